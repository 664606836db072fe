"""Files taken out of a published zip archive (EMNIST's ``gzip.zip``) into the download cache.

The archive is hostile input even once its md5 matched: only members named exactly are read,
each of a bounded size, written under names of ganforge's own (a member's path is never a
path here), checked against the archive's CRC-32 and placed atomically (a ``.part`` file
renamed) only once every one of them is intact. Whatever fails leaves nothing behind.
"""

from __future__ import annotations

import functools
import secrets
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ganforge.data.download import RemoteFile
from ganforge.errors import DataError

__all__ = ["MAX_MEMBER_BYTES", "Archive", "extract_members", "members_intact"]

#: Largest member extracted. The files ganforge takes out of EMNIST's zip hold at most
#: 124,800 images (98 MB unzipped, a fraction of that gzipped), so 256 MiB only refuses an
#: archive that is not the published one (a zip bomb, a lying directory).
MAX_MEMBER_BYTES = 256 * 2**20
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Archive:
    """A published zip holding several datasets' files.

    ``remote`` is the zip as published; ``cache_dir`` the folder under the datasets cache
    where it and the files taken out of it are kept (shared by the datasets it holds);
    ``members_dir`` the folder of those files inside the zip (``gzip/``).
    """

    remote: RemoteFile
    cache_dir: str
    members_dir: str = ""


class _Refused(Exception):
    """The archive is not what was published: says why, in words for a message."""


def extract_members(zip_path: Path, archive: Archive, names: Sequence[str], dest: Path) -> None:
    """Take ``archive.members_dir + name`` out of ``zip_path`` into ``dest/name`` for each of
    ``names``: all of them, or none.

    An archive that is not what was expected (not a zip, a member missing, twice, encrypted,
    over :data:`MAX_MEMBER_BYTES` or failing its CRC, any member's path leading out of its
    folder) raises :class:`DataError` and is removed; a file that cannot be written raises
    :class:`DataError` and leaves the archive where it is.
    """
    parts: list[Path] = []
    try:
        with zipfile.ZipFile(zip_path) as zf:
            infos = _members(zf, archive, names)
            for info, name in zip(infos, names, strict=True):
                parts.append(_new_part(dest, name))
                _copy(zf, info, parts[-1])
        for part, name in zip(parts, names, strict=True):
            part.replace(dest / name)
    except (_Refused, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        zip_path.unlink(missing_ok=True)
        raise DataError(
            f"{zip_path} is not the published {archive.remote.name} ({_reason(exc)}); expected "
            f"a zip holding {', '.join(archive.members_dir + n for n in names)}; removed it"
        ) from exc
    except OSError as exc:
        raise DataError(
            f"cannot extract {zip_path} into {dest}: {exc.strerror or exc}; "
            "expected a readable archive and a writable directory"
        ) from exc
    finally:
        for part in parts:
            part.unlink(missing_ok=True)


def members_intact(zip_path: Path, archive: Archive, names: Sequence[str], dest: Path) -> bool:
    """Whether ``dest/name`` holds, for each of ``names``, the bytes of its member in
    ``zip_path`` (same size and CRC-32 as the archive's directory gives)."""
    try:
        with zipfile.ZipFile(zip_path) as zf:
            entries = [zf.getinfo(archive.members_dir + name) for name in names]
        stats = [(dest / name).stat() for name in names]
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return all(
        stat.st_size == info.file_size
        and _crc32(dest / name, stat.st_mtime_ns, stat.st_size) == info.CRC
        for name, info, stat in zip(names, entries, stats, strict=True)
    )


@functools.lru_cache(maxsize=16)
def _crc32(path: Path, mtime_ns: int, size: int) -> int | None:
    # Keyed on mtime and size so that a file's CRC is computed once per version, not per load.
    crc = 0
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK * 16):
                crc = zlib.crc32(chunk, crc)
    except OSError:
        return None
    return crc


def _members(zf: zipfile.ZipFile, archive: Archive, names: Sequence[str]) -> list[zipfile.ZipInfo]:
    """The entries of ``names``, once every entry's name and theirs are checked."""
    listed = zf.namelist()
    for name in listed:
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts or "\\" in name or ":" in name:
            raise _Refused(f"a member named {name!r}, a path leading out of its folder")
    infos = []
    for name in names:
        member = archive.members_dir + name
        if member not in listed:
            raise _Refused(f"no member {member}")
        if listed.count(member) > 1:
            raise _Refused(f"member {member} twice")
        info = zf.getinfo(member)
        if info.is_dir() or info.flag_bits & 0x1:
            raise _Refused(f"member {member} is a folder or encrypted")
        if info.file_size > MAX_MEMBER_BYTES:
            raise _Refused(
                f"member {member} declares {info.file_size} bytes, over {MAX_MEMBER_BYTES}"
            )
        infos.append(info)
    return infos


def _copy(zf: zipfile.ZipFile, info: zipfile.ZipInfo, part: Path) -> None:
    """Decompress ``info`` into ``part``, never more than it declares (nor the limit); the
    zip module checks its CRC-32 when the member ends."""
    done = 0
    with zf.open(info) as member, open(part, "wb") as out:
        while chunk := member.read(_CHUNK):
            done += len(chunk)
            if done > min(info.file_size, MAX_MEMBER_BYTES):
                raise _Refused(f"member {info.filename} holds more than it declares")
            out.write(chunk)
    if done != info.file_size:
        raise _Refused(f"member {info.filename} holds {done} bytes, declares {info.file_size}")


def _new_part(dest: Path, name: str) -> Path:
    # A unique name per process, as download.py's: two loads filling one cache never mix.
    dest.mkdir(parents=True, exist_ok=True)
    part = dest / f"{name}.{secrets.token_hex(8)}.part"
    part.open("xb").close()
    return part


def _reason(exc: BaseException) -> str:
    text = str(exc).replace("\n", " ").strip()
    return text or type(exc).__name__
