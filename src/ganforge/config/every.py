"""Output intervals (``train.sample_every``, ``checkpoint_every``, ``eval_every``): a number of
epochs, as ``2``, or of steps with a suffix, as ``"500steps"``; and the sample grid's size
(``train.sample_grid``, rows × columns such as ``"4x4"``).

One convention for the three intervals. A whole number counts epochs (what configs saved
before step intervals existed hold, meaning the same); a number with ``steps`` after it
counts steps (G updates), so a long epoch still gets grids, checkpoints or evaluations along
the way. The config keeps the canonical form: an ``int`` for epochs, ``"<N>steps"`` for steps,
0 (off) for either unit's 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ganforge.errors import ConfigError

EVERY_FIELDS = ("sample_every", "checkpoint_every", "eval_every")
_EVERY = re.compile(r"\s*(\d+)\s*(steps?|epochs?)?\s*", re.IGNORECASE)
_GRID = re.compile(r"\s*(\d+)\s*[x×]\s*(\d+)\s*", re.IGNORECASE)
MAX_GRID_SIDE = 32  # rows or columns of a sample grid at most


@dataclass(frozen=True)
class Every:
    """An interval: every ``count`` epochs or steps (``unit``); a count of 0 is never."""

    count: int
    unit: str = "epoch"  # "epoch" or "step"

    def due(self, step: int, steps_per_epoch: int) -> bool:
        """Whether the end of ``step`` is on this interval (an epoch interval only at an
        epoch's end)."""
        if self.count <= 0:
            return False
        if self.unit == "step":
            return step % self.count == 0
        return step % steps_per_epoch == 0 and (step // steps_per_epoch) % self.count == 0


def canonical_every(value: object) -> object:
    """``"2"``, ``"2epochs"`` → ``2``; ``"500 step"`` → ``"500steps"``; ``"0steps"`` → ``0``;
    anything else as it is (for :func:`parse_every` to refuse)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    match = _EVERY.fullmatch(text)
    if match is None:
        return value
    count, unit = int(match.group(1)), (match.group(2) or "epochs").lower()
    return f"{count}steps" if unit.startswith("step") and count else count


def parse_every(value: object, where: str) -> Every:
    """The interval a config value means; a one-line :class:`ConfigError` for anything that
    is neither a number of epochs nor one of steps."""
    value = canonical_every(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ConfigError(f"{where} must be >= 0, got {value}")
        return Every(value)
    match = _EVERY.fullmatch(value) if isinstance(value, str) else None
    if match is None or not (match.group(2) or "").lower().startswith("step"):
        raise ConfigError(
            f"{where} must be a number of epochs (2) or of steps (500steps), got {value!r}"
        )
    return Every(int(match.group(1)), "step")


def step_intervals(values: list[object]) -> tuple[int, ...]:
    """The counts of those of ``values`` that are step intervals (on), for the loop's check."""
    every = (parse_every(v, "interval") for v in values)
    return tuple(e.count for e in every if e.unit == "step" and e.count)


def epoch_decimals(steps_per_epoch: int, step_units: bool) -> int:
    """Decimals of a fractional epoch in a grid's or checkpoint's name: 2 (``0003.25``), or
    with step intervals as many as tell every step of an epoch apart (``0000.534`` of 937
    steps an epoch), so that no two steps' files share a name."""
    if not step_units:
        return 2
    return max(2, len(str(max(steps_per_epoch - 1, 0))))


def parse_grid(value: str, where: str = "train.sample_grid") -> tuple[int, int]:
    """``"4x4"`` → ``(4, 4)``: rows and columns, each 1 to :data:`MAX_GRID_SIDE`."""
    match = _GRID.fullmatch(value) if isinstance(value, str) else None
    sides = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not all(1 <= side <= MAX_GRID_SIDE for side in sides):
        raise ConfigError(
            f"{where} must be ROWSxCOLUMNS such as 4x4 or 8x8, each 1 to {MAX_GRID_SIDE}, "
            f"got {value!r}"
        )
    return sides


def canonical_grid(value: object) -> object:
    """``" 4 X 4 "`` → ``"4x4"``; anything else as it is (for :func:`parse_grid` to refuse)."""
    match = _GRID.fullmatch(value) if isinstance(value, str) else None
    return f"{int(match.group(1))}x{int(match.group(2))}" if match else value
