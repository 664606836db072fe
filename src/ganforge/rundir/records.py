"""The gate for what ganforge reads back from disk: bounded reads, JSON of bounded depth,
and typed records whose fields are checked before anything uses them.

A record is a frozen dataclass whose annotations say what each JSON value must be (``int``,
``float``, ``str``, ``bool``, ``dict[str, float]``, ``list[...]``, ``X | None``, ``Any``); an
optional ``RANGES`` class attribute bounds its numbers. :func:`decode_record` checks a
decoded JSON object against it and builds it, or raises a one-line error naming the file
and the field: ``summary.json`` (:class:`~ganforge.rundir.summary.RunSummary`) and a
checkpoint's metadata (:class:`~ganforge.rundir.checkpoint.CheckpointMeta`) go through it.
A number outside its range (``NaN`` too, which Python writes into JSON) is refused; keys
this version does not know are ignored, so newer files still read.
"""

from __future__ import annotations

import json
import math
import os
import stat
import types
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from ganforge.errors import CheckpointError, GanforgeError

MAX_JSON_BYTES = 16 * 2**20  # a run's JSON files are kilobytes; a checkpoint's metadata too
MAX_DEPTH = 32  # nesting of JSON a run file may hold (a config is 3 levels deep)

R = TypeVar("R")


def read_bounded(path: Path, limit: int, what: str, error: type[GanforgeError]) -> bytes:
    """The bytes of ``path``, refused in one line if it holds more than ``limit`` or is no
    regular file: a file from a stranger must not make ganforge read gigabytes, nor wait
    forever on a FIFO (opened without blocking, then refused)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise error(f"{path} is not a regular file: not a {what} ganforge wrote")
            data = fh.read(limit + 1)
    except OSError as err:
        raise error(f"{path} cannot be read ({what}): {err.strerror or err}") from None
    if len(data) > limit:
        raise error(f"{path} is larger than {limit // 2**20} MiB: not a {what} ganforge wrote")
    return data


def parse_json(text: str | bytes, source: str | Path, error: type[GanforgeError]) -> Any:
    """Decoded JSON, at most :data:`MAX_DEPTH` levels deep; else a
    one-line ``error`` naming ``source``."""
    if len(text) > MAX_JSON_BYTES:
        raise error(f"{source} holds more than {MAX_JSON_BYTES // 2**20} MiB of JSON")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:  # ValueError: not JSON, not UTF-8
        raise error(f"{source} is not valid JSON: {str(err).splitlines()[0][:120]}") from None
    if depth(data) > MAX_DEPTH:
        raise error(f"{source} nests JSON more than {MAX_DEPTH} levels deep")
    return data


def read_json(path: Path, what: str, error: type[GanforgeError] = CheckpointError) -> Any:
    """The JSON value in ``path`` through :func:`read_bounded` and :func:`parse_json`."""
    return parse_json(read_bounded(path, MAX_JSON_BYTES, what, error), path, error)


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply ``value`` nests lists and dicts (a scalar: 0), counted no further than
    one past ``limit``."""
    stack, deepest = [(value, 0)], 0
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level + 1)
            if level + 1 <= limit:
                stack.extend((v, level + 1) for v in item)
    return deepest


def decode_record(
    cls: type[R],
    data: Any,
    source: str | Path,
    kind: str,
    error: type[GanforgeError] = CheckpointError,
) -> R:
    """``cls`` built from the decoded JSON object ``data``, each field's type (and range,
    from ``cls.RANGES``) checked; a one-line ``error`` naming ``source`` and the field if
    not. ``kind`` says what the file should be ("a run summary")."""
    if not isinstance(data, dict):
        raise error(f"{source} is not {kind}: expected a JSON object, got {json_type(data)}")
    hints = _field_types(cls)
    ranges: dict[str, tuple[float, float]] = getattr(cls, "RANGES", {})
    values: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name not in data:
            if f.default is MISSING:
                raise error(f"{source} is not {kind}: {f.name!r} is missing")
            continue
        value = data[f.name]
        if not conforms(value, hints[f.name]):
            raise error(
                f"{source} is not {kind}: {f.name!r} must be "
                f"{describe(hints[f.name])}, got {json_type(value)}"
            )
        low, high = ranges.get(f.name, (-math.inf, math.inf))
        if isinstance(value, (int, float)) and not low <= value <= high:
            raise error(
                f"{source} is not {kind}: {f.name!r} must be in {low:g}..{high:g}, got {value}"
            )
        values[f.name] = value
    return cls(**values)


_HINTS: dict[type, dict[str, Any]] = {}


def _field_types(cls: type) -> dict[str, Any]:
    """The fields' types, resolved from their annotations once per class."""
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


def conforms(value: Any, hint: Any) -> bool:
    """Whether the decoded JSON ``value`` is of the type ``hint`` (see the module)."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return True
    if origin in (Union, types.UnionType):
        return any(conforms(value, arg) for arg in args)
    if origin is dict:
        return isinstance(value, dict) and all(
            conforms(k, args[0]) and conforms(v, args[1]) for k, v in value.items()
        )
    if origin is list:
        return isinstance(value, list) and all(conforms(v, args[0]) for v in value)
    if hint is float:  # a JSON number (NaN too: a range refuses it); never a boolean
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


JSON_NAMES = {  # a value of the type, several of them
    bool: ("a boolean", "booleans"),
    int: ("an integer", "integers"),
    float: ("a number", "numbers"),
    str: ("a string", "strings"),
    list: ("an array", "arrays"),
    dict: ("an object", "objects"),
    type(None): ("null", "nulls"),
}


def describe(hint: Any, plural: bool = False) -> str:
    """``hint`` in JSON's words: ``an object of arrays of numbers or null``."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(describe(arg, plural) for arg in args)
    if origin is dict:
        of = "" if args[1] is Any else f" of {describe(args[1], True)}"
        return JSON_NAMES[dict][plural] + of
    if origin is list:
        return f"{JSON_NAMES[list][plural]} of {describe(args[0], True)}"
    return JSON_NAMES[hint][plural] if hint in JSON_NAMES else "any value"


def json_type(value: Any) -> str:
    """What the decoded JSON ``value`` is, in JSON's words."""
    for kind in (bool, int, float, str, list, dict, type(None)):
        if isinstance(value, kind):
            return JSON_NAMES[kind][0]
    return type(value).__name__
