"""The verdict on one metric of a study: which arm is best, and whether its lead over the
runner-up is larger than the seeds' spread.

The rule is deliberately simple and stated in every report: the lead counts as clear when it
is larger than the sum of the two arms' standard deviations over seeds (their mean ± sd bars
do not overlap). With one seed there is no spread to compare against, and the verdict says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["RULE", "Verdict", "judge"]

RULE = (
    "a lead is clear when it is larger than the seed spread: the sum of the two arms' "
    "standard deviations over seeds (their mean ± sd bars do not overlap)"
)

Stat = tuple[float | None, float | None]  # (mean, sd) over seeds; None where missing


@dataclass(frozen=True)
class Verdict:
    """One metric's verdict: ``best`` (None with no values), whether its lead is ``clear``
    (None when that cannot be told: one arm, or no spread), and the sentence."""

    metric: str
    best: str | None
    clear: bool | None
    text: str


def judge(
    metric: str,
    stats: Mapping[str, Stat],
    higher_is_better: bool,
    fmt: Callable[[float], str] = "{:.3g}".format,
) -> Verdict:
    """The verdict on ``metric`` from each arm's (mean, sd), arms in their report order.

    Ties keep the earlier arm first. ``fmt`` formats a value (and a difference) for the text.
    """
    measured = [(name, m, s) for name, (m, s) in stats.items() if m is not None]
    if not measured:
        return Verdict(metric, None, None, f"{metric}: no arm has a value.")
    ranked = sorted(measured, key=lambda x: -x[1] if higher_is_better else x[1])
    best, m1, s1 = ranked[0]

    def shown(m: float, s: float | None) -> str:
        return fmt(m) + (f" ± {fmt(s)}" if s is not None else "")

    if len(ranked) == 1:
        return Verdict(metric, best, None, f"{metric}: only {best} has a value ({shown(m1, s1)}).")
    second, m2, s2 = ranked[1]
    lead = abs(m1 - m2)
    head = (
        f"{metric}: {best} is best ({shown(m1, s1)}), ahead of {second} ({shown(m2, s2)}) "
        f"by {fmt(lead)}"
    )
    if lead == 0:
        tied = [name for name, m, _ in ranked if m == m1]
        names = ", ".join(tied[:-1]) + f" and {tied[-1]}"
        return Verdict(metric, best, False, f"{metric}: {names} tie ({fmt(m1)}).")
    if s1 is None or s2 is None:
        return Verdict(metric, best, None, f"{head}; with one seed the spread is unknown.")
    spread = s1 + s2
    if lead > spread:
        return Verdict(metric, best, True, f"{head}, more than the seed spread ({fmt(spread)}).")
    return Verdict(
        metric, best, False, f"{head}, within the seed spread ({fmt(spread)}): not a clear lead."
    )
