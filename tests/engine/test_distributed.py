"""Data-parallel training under torchrun (gloo on this CPU, 2 processes): the set-up's checks,
equivalence with one process on the global batch, every recipe's DDP step, rank 0's outputs,
resuming on another number of processes, and a process that fails."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from ganforge.data import load_dataset
from ganforge.data.idx import write_idx
from ganforge.engine.distributed import (
    Distributed,
    DistributedError,
    check_sync_bn,
    choose_backend,
    process_device,
    process_group,
    sync_batch_norm,
    torchrun_env,
)
from ganforge.engine.trainer import Trainer
from ganforge.errors import ConfigError, DataError
from ganforge.models import RECIPES
from ganforge.models.recipes import DEFAULT_RECIPES
from ganforge.rundir.checkpoint import load_checkpoint
from ganforge.rundir.metrics_log import read_csv_rows
from ganforge.setup.build import build_recipe, make_config

HERE = Path(__file__).parent
SMALL = 256  # training images of the small data set: 8 steps of 32 an epoch


# -- the set-up's checks, in this process ---------------------------------------------------------


def test_torchrun_environment_is_read_and_checked() -> None:
    assert torchrun_env({}) is None
    env = {"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1"}
    assert torchrun_env(env) == (4, 3, 1)
    with pytest.raises(ConfigError, match="do not fit"):
        torchrun_env({"WORLD_SIZE": "2", "RANK": "2", "LOCAL_RANK": "0"})
    with pytest.raises(ConfigError, match="must be integers"):
        torchrun_env({"WORLD_SIZE": "two"})


def test_one_process_needs_no_process_group() -> None:
    train = make_config("dcgan", overrides={"train": {"sync_bn": True}}).train
    for env in ({}, {"WORLD_SIZE": "1", "RANK": "0", "LOCAL_RANK": "0"}):
        with process_group(train, env) as dist:  # --sync-bn on one process: no effect
            assert not dist.enabled and dist.is_main and dist.world_size == 1
    assert not torch.distributed.is_initialized()


def test_backend_and_device_choices() -> None:
    cpu = torch.device("cpu")
    assert choose_backend("auto", cpu) == "gloo"
    assert choose_backend("gloo", cpu) == "gloo"
    with pytest.raises(ConfigError, match="nccl needs CUDA"):
        choose_backend("nccl", cpu)
    assert process_device("cpu", 1) == cpu
    if not torch.cuda.is_available():
        assert process_device("auto", 1) == cpu
        with pytest.raises(ConfigError, match="CUDA is not available"):
            process_device("cuda", 0)
    with pytest.raises(ConfigError, match="cuda:LOCAL_RANK"):
        process_device("cuda:1", 0)
    with pytest.raises(ConfigError, match="no MPS backend"):
        process_device("mps", 0)
    with pytest.raises(ConfigError, match="dist_backend"):
        make_config("gan", overrides={"train": {"dist_backend": "mpi"}})


def test_sync_bn_needs_cuda_and_no_double_backward() -> None:
    """SyncBatchNorm of this torch raises on CPU tensors, so --sync-bn on CPUs is refused at
    once; a D with batch norm under a gradient penalty is refused anywhere."""
    train = make_config("dcgan", overrides={"train": {"sync_bn": True}}).train
    with pytest.raises(ConfigError, match="--sync-bn needs GPUs"):
        check_sync_bn(train, torch.device("cpu"))
    dcgan = build_recipe(make_config("dcgan", overrides={"model": {"r1_weight": 0.0}}), 10)
    names = {name for name, _ in dcgan.generator.state_dict().items()}
    sync_batch_norm(dcgan)
    layers = [*dcgan.generator.modules(), *dcgan.discriminator.modules()]
    assert any(isinstance(m, nn.SyncBatchNorm) for m in layers)
    assert not any(type(m) in (nn.BatchNorm1d, nn.BatchNorm2d) for m in layers)
    assert set(dcgan.generator.state_dict()) == names  # checkpoints unchanged
    with pytest.raises(ConfigError, match="no double backward"):
        sync_batch_norm(build_recipe(make_config("wgan-gp-classic"), 10))
    with pytest.raises(ConfigError, match="no double backward"):  # dcgan's R1, on by default
        sync_batch_norm(build_recipe(make_config("dcgan"), 10))


def test_the_global_batch_must_split_over_the_processes(tiny_config, tiny_data, tmp_path) -> None:
    three = Distributed(rank=0, world_size=3, device=torch.device("cpu"), backend="gloo")
    with pytest.raises(ConfigError, match="global batch, which the 3 processes split evenly"):
        Trainer(tiny_config(batch_size=32), tmp_path / "run", data=tiny_data, dist=three)
    assert not (tmp_path / "run").exists()


@pytest.mark.timeout(300)  # a hang fails here; the test measures no time itself
def test_a_process_group_that_never_fills_times_out(monkeypatch) -> None:
    """Rank 0 of 2 alone: joining gives up (after --dist-timeout) instead of waiting."""
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(free_port()))
    train = make_config("gan", overrides={"train": {"dist_timeout": 2}}).train
    alone = {"WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "0"}
    with (
        pytest.raises(DistributedError, match="rank 0: could not join"),
        process_group(train, alone),
    ):
        pass
    assert not torch.distributed.is_initialized()


# -- under torchrun -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun(*args: str, nproc: int = 2, timeout: float = 180, **launch: str):
    """``python -m torch.distributed.run --nproc-per-node NPROC ... ARGS``; the finished
    process (its output as text)."""
    options = {"master_addr": "127.0.0.1", "master_port": str(free_port()), **launch}
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={nproc}"]
    command += [f"--{k.replace('_', '-')}={v}" for k, v in options.items()]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture(scope="module")
def small_mnist(mnist_dir: Path, tmp_path_factory) -> Path:
    """The first 256 real training images (and the test split's first 100), as IDX files."""
    folder = tmp_path_factory.mktemp("mnist-256")
    for split, prefix, n in (("train", "train", SMALL), ("test", "t10k", 100)):
        data = load_dataset("mnist", split, mnist_dir)
        write_idx(folder / f"{prefix}-images-idx3-ubyte", data.images[:n].numpy())
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", data.labels[:n].numpy().astype(np.uint8))
    return folder


@pytest.fixture
def batch_norm_in_eval(monkeypatch) -> None:
    """This process's batch norm as ``bn_eval_cli.py`` holds it (see there)."""
    sys.path.insert(0, str(HERE))
    from bn_eval_cli import eval_only_train

    sys.path.remove(str(HERE))
    monkeypatch.setattr(nn.modules.batchnorm._BatchNorm, "train", eval_only_train)


def networks(path: Path) -> dict[str, torch.Tensor]:
    ckpt = load_checkpoint(path)
    prefixes = ("generator.", "discriminator.")
    return {k: v for k, v in ckpt.tensors.items() if k.startswith(prefixes)}


# Adam's ε raised from 1e-8: Adam's first steps are near ±lr whatever a gradient's size, so
# for a weight whose gradient is about 0 they turn float rounding (which differs between a sum
# over one batch and DDP's average of two half sums) into ±lr, and 4 steps of such flips
# differ by ~1e-3. With ε = 1e-3 an update is smooth in its gradient and rounding stays
# rounding; a wrong slice of data or noise, or unaveraged gradients, would still differ by
# far more than the tolerance.
SMOOTH_ADAM = {"eps": 1e-3}
SMOOTH_FLAGS = ("--set", "model.eps=0.001")
NO_R1 = {"r1_weight": 0.0}


def one_process(
    recipe: str,
    run: Path,
    data_dir: Path,
    train: dict,
    resume=False,
    model: dict | None = None,
    nudge: bool = False,
) -> None:
    """Train ``recipe`` in this process; ``nudge``: every initial weight moved by one float
    rounding step (to the next float up) before the first step."""
    cfg = make_config(recipe, overrides={"train": train, "model": {**SMOOTH_ADAM, **(model or {})}})
    trainer = Trainer(cfg, run, data_dir=data_dir, resume=resume, display=False)
    if nudge:
        with torch.no_grad():
            for p in trainer.recipe.generator.parameters():
                p.copy_(torch.nextafter(p, torch.full_like(p, float("inf"))))
            for p in trainer.recipe.discriminator.parameters():
                p.copy_(torch.nextafter(p, torch.full_like(p, float("inf"))))
    trainer.run()


def max_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    return max((a[k] - b[k]).abs().max().item() for k in a)


# How far two runs may drift apart on float rounding alone is this machine's arithmetic's to
# say, not a constant's: each test measures it as the drift that one rounding step (one ulp)
# on every initial weight causes over the same steps, and the 2-process run must stay within
# ROUNDING_FACTOR times that. Measured on AMD (AVX2): the 2-process drift is 0.001 (dcgan),
# 2.3 (wgan-gp, whose gradient penalty amplifies rounding most) and 0.7 (24 steps resumed
# across process counts) times the one-ulp drift; a wrong slice of the data or the noise, or
# gradients summed instead of averaged, drifts by the learning rate per step, far more.
ROUNDING_FACTOR = 10.0


# ADA adjusting p every 2 steps by 32 images / 64 = 0.5, from the interval's sums, each step's
# added over the processes.
FAST_ADA = {"augment": "ada", "ada_interval": 2, "ada_speed": 64}


@pytest.mark.parametrize(
    ("recipe", "batch", "model"),
    [("dcgan", 16, {}), ("wgan-gp", 8, {}), ("dcgan", 16, FAST_ADA)],
    ids=["dcgan", "wgan-gp", "dcgan-ada"],
)
def test_two_processes_train_as_one_on_the_global_batch(
    recipe, batch, model, small_mnist, tmp_path, batch_norm_in_eval, one_thread
) -> None:
    """2 processes × batch/2 for 4 steps = 1 process × batch: the same data, latents and
    penalty weights (slices of the global draws), gradients averaged by DDP, the same
    weights up to float rounding. Batch norm in its eval form (see bn_eval_cli.py); dcgan's
    D loss has its R1 penalty, and wgan-gp takes 2 critic steps with a gradient penalty per
    G step. With ADA, each process augments its slice of the global batch's draws and p
    follows r_t over both processes' real images, so p is the one process's too."""
    train = {"steps": 4, "batch_size": batch, "seed": 3, "log_every": 2}
    flags = ["--steps", "4", "--batch-size", str(batch), "--seed", "3", "--log-every", "2"]
    flags += SMOOTH_FLAGS
    for key, value in model.items():
        flags += ["--set", f"model.{key}={value}"]
    two = torchrun(
        str(HERE / "bn_eval_cli.py"), "train", recipe, "--data-dir", str(small_mnist),
        "--out", str(tmp_path / "two"), "--plain", *flags,
    )  # fmt: skip
    assert two.returncode == 0, two.stderr[-3000:]
    one_process(recipe, tmp_path / "one", small_mnist, train, model=model)
    one_process(recipe, tmp_path / "nudged", small_mnist, train, model=model, nudge=True)
    one, both, nudged = (
        networks(tmp_path / f"{name}/checkpoints/last.safetensors")
        for name in ("one", "two", "nudged")
    )
    worst, rounding = max_difference(one, both), max_difference(one, nudged)
    if model:  # ADA's p moved, and alike in both runs
        p_one, p_two = (
            [r["ada_p"] for r in read_csv_rows(tmp_path / f"{name}/metrics/batches.csv")]
            for name in ("one", "two")
        )
        assert p_one == p_two and p_one[-1] > 0, (p_one, p_two)
    print(f"{recipe}: 2 processes differ by {worst:.3g}, one ulp drifts by {rounding:.3g}")
    assert worst <= ROUNDING_FACTOR * rounding, (worst, rounding)
    # ... and that is a match, not two runs that barely trained: 4 steps moved the weights
    # far more than rounding drifts them.
    torch.manual_seed(3)  # as the trainer seeds before it builds the networks
    init = build_recipe(make_config(recipe), 10)
    start = {f"generator.{k}": v for k, v in init.generator.state_dict().items()}
    moved = max((one[k] - start[k]).abs().max().item() for k in start if k in one)
    assert moved > ROUNDING_FACTOR * rounding, (moved, rounding)


def step_every_recipe(names: list[str], small_mnist: Path, tmp_path: Path) -> list[str]:
    """``ddp_step_worker.py`` on 2 processes: the recipes it stepped."""
    worker = torchrun(str(HERE / "ddp_step_worker.py"), str(tmp_path), str(small_mnist), *names)
    assert worker.returncode == 0, worker.stderr[-3000:]
    return [line.split()[1] for line in worker.stdout.splitlines() if line.startswith("ok ")]


def test_every_recipe_steps_under_ddp_without_unused_parameters(small_mnist, tmp_path) -> None:
    """Two DDP steps in 2 processes with find_unused_parameters off, for every recipe and
    preset, and for each preset whose classic quirk trains D in G's step with the quirk on:
    every parameter gets its gradient (G's step runs a frozen D bare, the quirk's trainable D
    through DDP; AC-GAN's class head; improved-dcgan's and wgan-gp's extra D steps), and
    both processes end with the same, changed weights (about 40 s on 2 cores)."""
    stepped = step_every_recipe(["all"], small_mnist, tmp_path)
    assert set(stepped) == set(RECIPES)
    assert {*DEFAULT_RECIPES, "dcgan-upsample"} <= set(stepped)
    assert stepped.count("dcgan-upsample") == 2  # with and without its classic quirk


def test_two_processes_write_one_set_of_outputs_and_resume_on_any_number(
    small_mnist, tmp_path, batch_norm_in_eval, one_thread
) -> None:
    """Epoch 1 on 2 processes, epoch 2 resumed on 1, epoch 3 resumed on 2 again: rank 0
    alone wrote, and the run ends where 3 uninterrupted epochs on 1 process end."""
    run, data = tmp_path / "run", str(small_mnist)
    # Without dcgan's R1 penalty: differentiating D's gradient amplifies the 2-process
    # rounding over 24 steps past the tolerance below (to ~1e-3); that R1 trains the same on
    # 2 processes as on one is the test above's.
    flags = ["--batch-size", "32", "--seed", "1", "--log-every", "4", "--plain", *SMOOTH_FLAGS]
    flags += ["--set", "model.r1_weight=0"]
    first = torchrun(
        str(HERE / "bn_eval_cli.py"), "train", "dcgan", "--data-dir", data, "--out", str(run),
        "--epochs", "1", *flags,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr[-3000:]
    said = " ".join(first.stderr.split())  # rich wraps lines at 80 columns off a terminal
    assert said.count("done: 8 steps") == 1  # rank 0 alone reports
    assert said.count("× 2 processes, gloo") == 1
    files = {p.relative_to(run).as_posix() for p in run.rglob("*") if p.is_file()}
    assert files == {
        "config.yaml",
        "summary.json",
        "progress.gif",
        "samples/epoch_0000.png",
        "samples/epoch_0001.png",
        "metrics/batches.csv",
        "metrics/epochs.csv",
        "plots/loss_per_batch.png",
        "plots/loss_per_epoch.png",
        "checkpoints/epoch_0001.safetensors",
        "checkpoints/last.safetensors",
    }  # fmt: skip  -- no train.lock left, no events.log, no file of rank 1's
    steps = (run / "metrics/batches.csv").read_text().splitlines()[1:]
    assert [int(row.split(",")[0]) for row in steps] == list(range(1, 9))

    train = {"batch_size": 32, "seed": 1, "log_every": 4}
    one_process("dcgan", run, small_mnist, {**train, "epochs": 2}, resume=True, model=NO_R1)
    third = torchrun(
        str(HERE / "bn_eval_cli.py"), "train", "--resume", "--out", str(run), "--data-dir", data,
        "--epochs", "3", "--plain",
    )  # fmt: skip
    assert third.returncode == 0, third.stderr[-3000:]
    straight_train = {**train, "epochs": 3}
    one_process("dcgan", tmp_path / "straight", small_mnist, straight_train, model=NO_R1)
    one_process("dcgan", tmp_path / "nudged", small_mnist, straight_train, model=NO_R1, nudge=True)
    # Rounding differences of the 2-process epochs grow over 24 steps, as one ulp's do; a
    # resume that lost the data position or the random stream would differ from its first
    # step on by orders of magnitude more.
    resumed = networks(run / "checkpoints/last.safetensors")
    straight = networks(tmp_path / "straight/checkpoints/last.safetensors")
    nudged = networks(tmp_path / "nudged/checkpoints/last.safetensors")
    worst, rounding = max_difference(resumed, straight), max_difference(straight, nudged)
    print(f"resumed across process counts: {worst:.3g}, one ulp drifts by {rounding:.3g}")
    assert worst <= ROUNDING_FACTOR * rounding, (worst, rounding)
    rows, same, near = (
        read_csv_rows(path / "metrics/batches.csv")
        for path in (run, tmp_path / "straight", tmp_path / "nudged")
    )
    assert [row["step"] for row in rows] == list(range(1, 25))
    for k in ("d_loss", "g_loss", "d_real", "d_fake"):
        # the logged statistics drift as the weights do: by rounding, as one ulp's do
        ulp_drift = max(abs(a[k] - b[k]) for a, b in zip(same, near, strict=True))
        drift = max(abs(a[k] - b[k]) for a, b in zip(rows, same, strict=True))
        assert drift <= ROUNDING_FACTOR * ulp_drift + 1e-6, (k, drift, ulp_drift)
    assert len((run / "metrics/epochs.csv").read_text().splitlines()) == 1 + 3


def test_two_processes_train_on_your_own_images_held_out_alike(
    digits, tmp_path, monkeypatch
) -> None:
    """``torchrun -m ganforge train --data``: each process loads the class folders and holds
    out the same seeded share (the processes check each other's fingerprint)."""
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path / "home"))  # both write one cache
    run, classes = tmp_path / "run", digits["root"] / "classes"
    two = torchrun(
        "-m", "ganforge", "train", "dcgan", "--data", str(classes), "--holdout", "0.2",
        "--steps", "2", "--batch-size", "16", "--plain", "--sample-every", "0",
        "--out", str(run),
    )  # fmt: skip
    assert two.returncode == 0, two.stderr[-3000:]
    summary = json.loads((run / "summary.json").read_text())
    held = f"{classes} (image folder), 240 of 300 images (60 held out for testing)"
    assert (summary["processes"], summary["data_source"], summary["steps"]) == (2, held, 2)


def test_a_process_on_other_images_than_rank_0s_is_refused(tiny_data, monkeypatch) -> None:
    second = Distributed(rank=1, world_size=2, device=torch.device("cpu"), backend="gloo")
    monkeypatch.setattr(Distributed, "broadcast_text", lambda self, text: "rank0sprint")
    with pytest.raises(DataError) as err:
        second.check_same_data(tiny_data)
    assert str(err.value) == (
        "rank 1: its training data (random test images, fingerprint tiny-random-0000) is not "
        "rank 0's (rank0sprint); expected every process to load the same images"
    )
    monkeypatch.setattr(Distributed, "broadcast_text", lambda self, text: text)
    second.check_same_data(tiny_data)


def test_a_failing_process_ends_the_run_with_its_error(small_mnist, tmp_path) -> None:
    """Two "machines" (torchrun agents) resume a run, and the second lacks the data: it fails
    with its one-line error, rank 0 stops at its first collective with a one-line error
    instead of waiting, both agents exit non-zero in bounded time, and the checkpoint rank 0
    had written is untouched."""
    run = tmp_path / "run"
    cfg = make_config("dcgan", overrides={"train": {"steps": 2, "batch_size": 16}})
    Trainer(cfg, run, data_dir=small_mnist, display=False).run()
    checkpoint = (run / "checkpoints/last.safetensors").read_bytes()
    port = str(free_port())
    args = ["-m", "ganforge", "train", "--resume", "--out", str(run), "--steps", "6", "--plain"]
    args += ["--dist-timeout", "60"]

    def node(rank: int, data_dir: Path) -> subprocess.Popen:
        command = [sys.executable, "-m", "torch.distributed.run", "--nnodes=2",
                   f"--node-rank={rank}", "--nproc-per-node=1", "--master-addr=127.0.0.1",
                   f"--master-port={port}", *args, "--data-dir", str(data_dir)]  # fmt: skip
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)  # fmt: skip

    nodes = [node(0, small_mnist), node(1, tmp_path / "no-data")]
    outputs = [p.communicate(timeout=300)[0] for p in nodes]  # a hang fails here
    assert [p.returncode for p in nodes] == [1, 1]
    assert "error: --data-dir" in outputs[1] and "is not a directory" in outputs[1]
    assert "error: rank 0: a collective between the training processes failed" in outputs[0]
    assert (run / "checkpoints/last.safetensors").read_bytes() == checkpoint
    assert not (run / "train.lock").exists()
