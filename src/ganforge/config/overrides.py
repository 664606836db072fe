"""Filling the typed config in: YAML files, ``--set SECTION.KEY=VALUE`` flags and the checked
copy of a dataclass with new values (a one-line :class:`~ganforge.errors.ConfigError` for an
unknown key, a wrong type or a bad file)."""

from __future__ import annotations

import dataclasses
import difflib
import os
import stat
import types
import typing
from pathlib import Path
from typing import Any

import yaml

from ganforge.errors import ConfigError


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    """Check ``value`` against a dataclass field's annotation; ints are accepted for floats."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(annotation)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(value, option, where)
            except ConfigError as err:
                errors.append(str(err))
        raise ConfigError(errors[0])
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where} must be a list, got {value!r}")
        (item_type, *_rest) = typing.get_args(annotation)
        return tuple(_coerce(v, item_type, f"{where}[]") for v in value)
    if annotation is float:
        if isinstance(value, str):
            # YAML 1.1 reads "1e-4" (no dot) as a string; accept any float literal.
            try:
                value = float(value)
            except ValueError:
                raise ConfigError(f"{where} must be a number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number, got {value!r}")
        return float(value)
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer, got {value!r}")
        return value
    if annotation is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if annotation is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, got {value!r}")
        return value
    return value


def apply_overrides(obj: Any, values: dict[str, Any], where: str) -> Any:
    """Return a copy of dataclass ``obj`` with ``values`` set, each checked against its type."""
    if not isinstance(values, dict):
        raise ConfigError(f"{where} must be a mapping of keys to values, got {values!r}")
    fields = {f.name: f for f in dataclasses.fields(obj)}
    hints = typing.get_type_hints(type(obj))
    changes = {}
    for key, value in values.items():
        if key not in fields:
            close = difflib.get_close_matches(str(key), fields, n=1)
            hint = (
                f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(fields)}"
            )
            # A key is user text: repr() keeps one with a newline or a control character
            # from breaking the one-line message.
            name = key if isinstance(key, str) and key.isprintable() else repr(key)
            raise ConfigError(f"unknown key {where}.{name}{hint}")
        changes[key] = _coerce(value, hints[key], f"{where}.{key}")
    return dataclasses.replace(obj, **changes)


MAX_YAML_BYTES = 2**20  # a config file is a few kilobytes


class _PlainLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases: ``*a`` repeating ``&a`` can make a small file
    expand into a huge one (the "billion laughs"), and no config needs them."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases are not allowed", mark)
        return super().compose_node(parent, index)


class _NotRegular(OSError):
    """A config path that is a FIFO, a device or a folder: never read."""


def _read_regular(path: Path, limit: int) -> bytes:
    """Up to ``limit`` bytes of the regular file ``path``; anything else (a FIFO, which a
    plain open would wait on forever) raises before a byte is read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise _NotRegular("not a regular file")
        return fh.read(limit)


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML config file into a mapping, with a one-line error for a bad file: not
    there, not text, over :data:`MAX_YAML_BYTES`, not YAML, aliased, or not a mapping."""
    try:
        raw = _read_regular(path, MAX_YAML_BYTES + 1)
        if len(raw) > MAX_YAML_BYTES:
            raise ConfigError(f"config file {path} is over {MAX_YAML_BYTES // 1024} KiB")
        data = yaml.load(raw.decode("utf-8"), Loader=_PlainLoader)  # a SafeLoader: no tags
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    except OSError as err:
        raise ConfigError(f"config file {path} cannot be read: {err.strerror or err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        why = ": aliases are not allowed" if "aliases" in str(err) else ""
        raise ConfigError(f"config file {path} is not valid YAML{at}{why}") from None
    except RecursionError:
        raise ConfigError(f"config file {path} nests too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping (recipe:, model:, train:)")
    return data


def parse_assignments(items: list[str]) -> dict[str, dict[str, Any]]:
    """Turn ``--set model.lr_g=1e-4`` style strings into nested mappings (values are YAML)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        section, dot, name = key.partition(".")
        if not sep or not dot or section not in ("model", "train") or not name:
            raise ConfigError(
                f"--set expects SECTION.KEY=VALUE with SECTION model or train, got {item!r}"
            )
        out.setdefault(section, {})[name] = yaml.safe_load(raw)
    return out
