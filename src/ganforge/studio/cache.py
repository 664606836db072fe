"""A bounded least-recently-used cache of loaded generators.

Loading a checkpoint takes a tenth of a second or more (the whole safetensors file is read),
generating 64 digits a few hundredths: keeping the last few generators in memory is what
makes the page feel live. The bound keeps memory in check (a generator is 1-15 MB of
weights); a checkpoint is keyed by its path, size and modification time, so a run still
training (its ``last.safetensors`` replaced) is reloaded rather than served stale.
A checkpoint that was refused (corrupt, hostile, too large) is remembered as refused under
the same key, so a bad file costs one load, not one per request under the lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ganforge.errors import GanforgeError
from ganforge.generation import TrainedModel, load_model
from ganforge.studio.errors import StudioError

DEFAULT_SIZE = 4
REFUSALS_KEPT = 64  # refused checkpoints remembered (each a key and a one-line error)

Key = tuple[str, int, int]


class GeneratorCache:
    """Up to ``size`` :class:`~ganforge.generation.TrainedModel` s, the least recently used
    dropped first. One lock serialises loading and generating: on a small CPU, concurrent
    requests each get all cores in turn instead of slowing each other down, and a model's
    modules are never used by two threads at once."""

    def __init__(
        self,
        size: int = DEFAULT_SIZE,
        loader: Callable[[Path], TrainedModel] | None = None,
    ) -> None:
        if size < 1:
            raise ValueError(f"cache size must be at least 1, got {size}")
        self.size = size
        self._loader = loader or (lambda path: load_model(path, None, "cpu"))
        self._models: OrderedDict[Key, TrainedModel] = OrderedDict()
        self._refused: OrderedDict[Key, GanforgeError | StudioError] = OrderedDict()
        self._lock = threading.Lock()
        self.loads = 0  # how many times a checkpoint was read: for tests and the status line

    @staticmethod
    def key(checkpoint: Path) -> Key:
        stat = checkpoint.stat()
        return (str(checkpoint), stat.st_size, stat.st_mtime_ns)

    @contextmanager
    def use(self, checkpoint: Path) -> Iterator[TrainedModel]:
        """The generator of ``checkpoint``, loaded if it is not cached, held under the lock
        while the caller generates with it."""
        with self._lock:
            key = self.key(checkpoint)
            model = self._models.get(key)
            if model is None:
                model = self._load(key, checkpoint)
                # A replaced checkpoint's old entry is of no more use.
                for old in [k for k in self._models if k[0] == key[0]]:
                    del self._models[old]
                self._models[key] = model
                while len(self._models) > self.size:
                    self._models.popitem(last=False)
            self._models.move_to_end(key)
            yield model

    def _load(self, key: Key, checkpoint: Path) -> TrainedModel:
        """Read ``checkpoint``, or raise the refusal it met before under the same key."""
        if key in self._refused:
            raise self._refused[key]
        self.loads += 1
        try:
            return self._loader(checkpoint)
        except (GanforgeError, StudioError) as err:
            self._refused[key] = err
            while len(self._refused) > REFUSALS_KEPT:
                self._refused.popitem(last=False)
            raise

    def __len__(self) -> int:
        return len(self._models)
