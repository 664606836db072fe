"""The one rule for paths under a run or runs folder: a file ganforge reads or writes there
must, once every symlink on its way is followed, still lie inside that folder.

A run folder can come from a stranger (an unpacked archive, a shared drive): a
``config.yaml`` that is a symlink to ``~/.ssh/id_rsa``, a ``samples/`` folder that links to
``/etc``. Every path that :class:`~ganforge.rundir.layout.RunLayout` hands out, every file
a glob of it finds and every run a study or the studio opens goes through :func:`confined`,
for reading and for writing alike; a path leading out is a one-line :class:`UnsafePathError`.
Symlinks that stay inside (a run's ``last.safetensors`` linking to a numbered checkpoint)
are fine, and the folder itself may be a symlink: the rule is about what lies beneath it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ganforge.errors import GanforgeError


class UnsafePathError(GanforgeError):
    """A path under a run or runs folder that leads out of it (through a symlink)."""


def confined(root: Path, path: Path, what: str = "run folder") -> Path:
    """``path`` (absolute, or relative to ``root``) if, resolved, it lies inside ``root``
    resolved; else an :class:`UnsafePathError` naming both. ``path`` itself is returned, not
    its resolved form, so messages show the names the user knows."""
    root = Path(root)
    path = Path(path) if Path(path).is_absolute() else root / path
    try:
        base = root.resolve()
        target = path.resolve()
    except (OSError, RuntimeError) as err:  # RuntimeError: a symlink loop
        raise UnsafePathError(f"{path} cannot be resolved ({err}); refusing to use it") from None
    if target != base and not target.is_relative_to(base):
        raise UnsafePathError(
            f"{path} leads out of the {what} {root} (to {target}); ganforge reads and writes "
            "only inside it: remove that symlink"
        )
    return path


def confined_glob(root: Path, folder: Path, pattern: str) -> Iterator[Path]:
    """The regular files of ``folder`` matching ``pattern`` that lie inside ``root``: those
    that lead out of it are left out, as if absent (one bad file must not hide a run's
    others), and so is anything but a regular file (a folder, a FIFO that reading would
    wait on forever). A ``folder`` that itself leads out is refused (see :func:`confined`).

    ``folder`` is a path beneath ``root`` as a layout hands it out (``root / "samples"``:
    relative to the working folder when ``root`` is), not one relative to ``root``."""
    folder = Path(folder)
    confined(root, folder.absolute())
    for path in folder.glob(pattern):
        try:
            confined(root, path.absolute())
        except UnsafePathError:
            continue
        if path.is_file():
            yield path
