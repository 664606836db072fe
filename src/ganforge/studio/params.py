"""Query parameters, each checked against its bounds: a bad one is a 400 that names it.

Unknown and repeated parameters are refused too, so that a typo (``clas=3``) is an error
instead of a silently ignored choice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from ganforge.config import SEED_MAX as SEED_MAX  # seeds: 0..2**32-1, as in every command
from ganforge.studio.errors import bad_request

N_MAX = 256  # images per grid: 256 take about half a second on a 2-core CPU
STEPS_MIN, STEPS_MAX = 2, 64  # images along an interpolation
COMPARE_MIN, COMPARE_MAX = 2, 6  # runs side by side
COMPARE_N_MAX = 64  # images per run in a comparison: six runs' worth stays under a second
_INTEGER = re.compile(r"[+-]?\d{1,20}")


class Query:
    """A request's query parameters (``getlist``-able, as Starlette's ``QueryParams``),
    checked once against the names an endpoint takes."""

    def __init__(
        self, params: Mapping[str, str], allowed: Iterable[str], repeatable: Iterable[str] = ()
    ) -> None:
        self.params = params
        allowed, repeatable = set(allowed), set(repeatable)
        for key in dict.fromkeys(params.keys()):
            if key not in allowed:
                expected = ", ".join(sorted(allowed)) or "none"
                raise bad_request(f"unknown parameter {key!r}; expected {expected}")
            if key not in repeatable and len(self.values(key)) > 1:
                raise bad_request(f"parameter {key!r} is given more than once")

    def values(self, name: str) -> list[str]:
        getlist = getattr(self.params, "getlist", None)
        if getlist is not None:
            return list(getlist(name))
        value = self.params.get(name)
        return [] if value is None else [value]

    def text(self, name: str) -> str | None:
        """The parameter's value; None when it is absent or empty."""
        values = self.values(name)
        return values[0] if values and values[0] != "" else None

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        """An integer in ``low..high``; ``default`` when absent."""
        raw = self.text(name)
        if raw is None:
            return default
        if not _INTEGER.fullmatch(raw) or not low <= int(raw) <= high:
            raise bad_request(f"{name} must be an integer in {low}..{high}, got {raw[:40]!r}")
        return int(raw)

    def choice(self, name: str, options: Sequence[str]) -> str:
        """One of ``options``; the first when absent."""
        raw = self.text(name)
        if raw is None:
            return options[0]
        if raw not in options:
            raise bad_request(f"{name} must be one of {', '.join(options)}, got {raw[:40]!r}")
        return raw


def parse_class(
    raw: str | None, classes: Sequence[str] | None, recipe: str, name: str = "class"
) -> int | None:
    """A class index for a conditional recipe (``classes`` its names), or None for "all
    classes" (``all`` or absent). Any class given to an unconditional recipe is refused."""
    if raw is None:
        return None
    if classes is None:
        raise bad_request(f"recipe {recipe!r} is not conditional: it takes no {name}")
    if raw == "all":
        return None
    last = len(classes) - 1
    if not re.fullmatch(r"\d{1,3}", raw) or int(raw) > last:
        raise bad_request(f"{name} must be 'all' or an integer in 0..{last}, got {raw[:40]!r}")
    return int(raw)
