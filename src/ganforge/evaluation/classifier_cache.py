"""The evaluator's cache file: where it lives (:func:`evaluator_path`), writing it
(:func:`save_evaluator`), reading and verifying it (:func:`read_evaluator`), and the
in-process memo of files already read (:func:`file_stamp`, :func:`remember`, :func:`recall`)."""

from __future__ import annotations

from pathlib import Path

import torch

from ganforge.data import ganforge_home
from ganforge.errors import CheckpointError
from ganforge.evaluation.classifier_net import (
    CLASSES,
    TASKS,
    Evaluator,
    EvaluatorNet,
    weights_hash,
)
from ganforge.rundir.atomic import read_safetensors, write_safetensors

FORMAT = "ganforge-evaluator/1"  # num_outputs and task added since: 10 and classes without
MAX_OUTPUTS = 1000  # as many classes as a data set may have

# path → ((mtime_ns, size, inode) when loaded, evaluator): repeated loads are free, and a file
# replaced since (retrained, or tampered with) is read and verified again.
_LOADED: dict[Path, tuple[tuple[int, int, int], Evaluator]] = {}


def evaluator_path(dataset: str, train_fingerprint: str) -> Path:
    """Where the evaluator trained on the split with ``train_fingerprint`` is cached."""
    return ganforge_home() / "evaluators" / f"{dataset}-{train_fingerprint}.safetensors"


def save_evaluator(evaluator: Evaluator, test_fingerprint: str) -> None:
    """Write ``evaluator.path`` atomically: a temporary file in the same folder, then rename,
    so a concurrent reader or a crash never sees half a file."""
    path = evaluator.path
    meta = {
        "format": FORMAT,
        "dataset": evaluator.dataset,
        "data_fingerprint": evaluator.data_fingerprint,
        "test_fingerprint": test_fingerprint,
        "test_accuracy": evaluator.test_accuracy,
        "weights_hash": evaluator.weights_hash,
        "channels": list(evaluator.net.channels),
        "num_outputs": evaluator.net.num_outputs,
        "task": evaluator.task,
        "epochs": evaluator.epochs,
        "seed": evaluator.seed,
        "torch": torch.__version__,
    }
    tensors = {k: v.detach().cpu().contiguous() for k, v in evaluator.net.state_dict().items()}
    write_safetensors(path, tensors, meta, "evaluator")


def read_evaluator(path: Path) -> Evaluator:
    """Load and verify a cached evaluator file."""
    retrain = "delete it or run `ganforge evaluator train --force`"
    try:
        tensors, meta = read_safetensors(path, "evaluator")
    except CheckpointError as err:
        raise CheckpointError(f"{err}; {retrain}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise CheckpointError(f"{path} is not a {FORMAT} file (format {found!r}); {retrain}")
    try:
        task, outputs = meta.get("task", CLASSES), meta.get("num_outputs", 10)
        if task not in TASKS or type(outputs) is not int or not 1 <= outputs <= MAX_OUTPUTS:
            raise ValueError(f"task {task!r} with {outputs!r} outputs")
        channels = tuple(meta["channels"])
        net = EvaluatorNet(channels=channels, num_outputs=outputs)  # type: ignore[arg-type]
        net.load_state_dict(tensors)
        evaluator = Evaluator(
            net=net.eval(),
            dataset=str(meta["dataset"]),
            data_fingerprint=str(meta["data_fingerprint"]),
            weights_hash=str(meta["weights_hash"]),
            test_accuracy=float(meta["test_accuracy"]),
            path=path,
            epochs=int(meta["epochs"]),
            seed=int(meta["seed"]),
            task=task,
        )
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(
            f"{path}: corrupt or modified evaluator ({first}); {retrain}"
        ) from None
    actual = weights_hash(net)
    if actual != evaluator.weights_hash:
        raise CheckpointError(
            f"{path}: corrupt or modified evaluator (weights hash {actual}, recorded "
            f"{evaluator.weights_hash}); {retrain}"
        )
    return evaluator


def file_stamp(path: Path) -> tuple[int, int, int]:
    """What identifies the file now at ``path``: (mtime_ns, size, inode)."""
    st = path.stat()
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def remember(evaluator: Evaluator, stamp: tuple[int, int, int]) -> None:
    """Memoise ``evaluator`` as the content of its file while the file keeps ``stamp``."""
    _LOADED[evaluator.path] = (stamp, evaluator)


def recall(path: Path, stamp: tuple[int, int, int]) -> Evaluator | None:
    """The evaluator read from ``path`` before, if the file is still the one that was read."""
    cached = _LOADED.get(path)
    return cached[1] if cached is not None and cached[0] == stamp else None


def forget(path: Path) -> None:
    """Drop the memo of ``path`` (its file is gone)."""
    _LOADED.pop(path, None)
