"""``ganforge`` on a disk that fills up, or a folder that may not be written, at the lowest
point of each writer: safetensors' ``save_file`` raises what its Rust core raises (a
``SafetensorError`` carrying the OS error), Pillow's ``Image.save`` (grids, GIFs and, through
matplotlib, plots) and ``Path.open`` for writing (CSV appends, JSON, YAML, ``.npy``) an
``OSError``; a full disk takes half of what is written first, as a real one does.

Run as a script it is ``ganforge`` with that failure installed, from the environment:
``GANFORGE_TEST_FAIL=ERRNO:NAME[:AFTER]`` fails every write of a file whose name contains
NAME after the first AFTER such writes (``28:epoch_0002.safetensors``).
"""

from __future__ import annotations

import errno
import os
import pathlib
import sys
from typing import Any

import PIL.Image
from safetensors import SafetensorError

import ganforge.rundir.atomic as atomic

FULL = (errno.ENOSPC, errno.EDQUOT)


class HalfWritten:
    """A file open for writing on a full disk: the first write takes half its text, then
    this and every later one fail as the OS would."""

    def __init__(self, real: Any, code: int) -> None:
        self.real, self.code = real, code

    def write(self, text: Any) -> int:
        if not self.real.closed:
            self.real.write(text[: len(text) // 2])
            self.real.close()
        raise OSError(self.code, os.strerror(self.code))

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.real.close()

    def __enter__(self) -> HalfWritten:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def failing_writes(code: int, name: str, after: int = 0) -> list[tuple[Any, str, Any]]:
    """``(owner, attribute, replacement)`` for each writer, to be set (``setattr`` or
    ``monkeypatch.setattr``): every write of a file whose name contains ``name`` fails with
    ``code``, after the first ``after`` such writes."""
    seen = [0]

    def due(target: Any) -> bool:
        if not isinstance(target, str | os.PathLike) or name not in os.fspath(target):
            return False
        seen[0] += 1
        return seen[0] > after

    save_file, image_save, path_open = atomic.save_file, PIL.Image.Image.save, pathlib.Path.open

    def failing_save_file(tensors: Any, filename: str, metadata: Any = None) -> None:
        if due(filename):
            raise SafetensorError(
                f"Error while serializing: I/O error: {os.strerror(code)} (os error {code})"
            )
        save_file(tensors, filename, metadata=metadata)

    def failing_image_save(self: PIL.Image.Image, fp: Any, *args: Any, **kwargs: Any) -> None:
        if due(fp):
            raise OSError(code, os.strerror(code))
        image_save(self, fp, *args, **kwargs)

    def failing_open(self: pathlib.Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if ("w" in mode or "a" in mode) and due(self):
            if code not in FULL:  # no right to write: refused on opening
                raise OSError(code, os.strerror(code), str(self))
            return HalfWritten(path_open(self, mode, *args, **kwargs), code)
        return path_open(self, mode, *args, **kwargs)

    return [
        (atomic, "save_file", failing_save_file),
        (PIL.Image.Image, "save", failing_image_save),
        (pathlib.Path, "open", failing_open),
    ]


if __name__ == "__main__":
    code, name, *after = os.environ["GANFORGE_TEST_FAIL"].split(":")
    for owner, attribute, replacement in failing_writes(int(code), name, int(*after or [0])):
        setattr(owner, attribute, replacement)
    from ganforge.cli import main

    sys.argv = ["ganforge", *sys.argv[1:]]
    main()
