"""Names of runs, studies and their files, checked so that none leads out of the runs folder.

A name is a relative POSIX path (``acgan/seed0``) under the resolved runs folder. Refused with
400: an empty or overlong name, an absolute path, a backslash, a NUL, and ``.``/``..`` or
empty segments. After that the path is resolved (symlinks followed) and must still lie
inside the runs folder, so a symlink pointing elsewhere is refused too.
"""

from __future__ import annotations

import re
from pathlib import Path

from ganforge.rundir.confine import UnsafePathError, confined
from ganforge.studio.errors import bad_request, not_found

MAX_NAME = 400  # characters: deeper than any real runs tree, short enough to log
# A file inside a run's folder (samples/, plots/, checkpoints/): one plain file name.
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,120}")


def check_name(name: str, what: str = "run") -> str:
    """``name`` if it is a well-formed relative name, else a 400 saying why."""
    if not name:
        raise bad_request(f"{what} name is empty")
    if len(name) > MAX_NAME:
        raise bad_request(f"{what} name is longer than {MAX_NAME} characters")
    if "\x00" in name or "\\" in name:
        raise bad_request(f"{what} name {name!r} holds a NUL or a backslash")
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        raise bad_request(f"{what} name {name!r} is absolute; names are relative to the runs")
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise bad_request(f"{what} name {name!r} has an empty, '.' or '..' part")
    return name


def inside(root: Path, name: str, what: str = "run", allow_root: bool = False) -> Path:
    """The resolved path of ``name`` under ``root`` (itself resolved): 400 for a malformed
    name or one whose symlinks lead out of ``root``, 404 when nothing is there. With
    ``allow_root``, ``.`` names ``root`` itself (a compare folder given as the runs folder)."""
    if allow_root and name == ".":
        return root
    check_name(name, what)
    path = root / name
    if not path.exists():
        raise not_found(f"no {what} named {name!r}")
    return _confined(root, path, f"{what} name {name!r}")


def file_in(root: Path, folder: Path, name: str, suffix: str, what: str) -> Path:
    """A plain file ``name`` (ending in ``suffix``) directly in ``folder``, which is inside
    ``root``: 400 for any other shape of name or a symlink out of ``root``, 404 if absent."""
    if not FILE_NAME.fullmatch(name) or not name.endswith(suffix) or ".." in name:
        raise bad_request(f"{what} name {name!r} is not a plain '*{suffix}' file name")
    path = folder / name
    if not path.is_file():
        raise not_found(f"no {what} named {name!r}")
    return _confined(root, path, f"{what} {name!r}")


def _confined(root: Path, path: Path, what: str) -> Path:
    """``path`` resolved, by ganforge's one path rule (:func:`~ganforge.rundir.confine.
    confined`); a 400 if it leads out of ``root``."""
    try:
        return confined(root, path, "runs folder").resolve()
    except UnsafePathError:
        raise bad_request(f"{what} leads out of the runs folder") from None


def relative_name(root: Path, path: Path) -> str:
    """The name of ``path`` (inside ``root``) as the API uses it: a relative POSIX path
    (``.`` for ``root`` itself)."""
    return path.relative_to(root).as_posix()
