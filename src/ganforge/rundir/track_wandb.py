"""The Weights & Biases tracker (``--log-to wandb``, extra ``ganforge[wandb]``): the config,
per-step statistics, evaluations, sample grids (as ``wandb.Image``) and the summary, in a W&B
run whose files lie in the run directory (``wandb/``).

It runs offline (``mode="offline"``: no network, ``wandb sync RUN/wandb/offline-run-*``
uploads it later) unless the user is logged in (``WANDB_API_KEY``, or ``wandb login``'s
entry in ``~/.netrc``) or ``WANDB_MODE`` says otherwise; it never prompts. ``WANDB_PROJECT``
names the project (default ``ganforge``). A resume continues the same W&B run.
"""

from __future__ import annotations

import contextlib
import netrc
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ganforge.rundir.layout import RunLayout
from ganforge.rundir.trackers import Row, Tracker, keep_tracker_id, metric_name, tracker_id

PROJECT = "ganforge"


def logged_in() -> bool:
    """Whether W&B has credentials: ``WANDB_API_KEY``, or a netrc entry for its host."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = urlparse(os.environ.get("WANDB_BASE_URL") or "https://api.wandb.ai").hostname
    with contextlib.suppress(OSError, netrc.NetrcParseError):
        return netrc.netrc(os.environ.get("NETRC")).authenticators(host or "") is not None
    return False


def wandb_mode() -> str | None:
    """``None`` (W&B's own choice: ``WANDB_MODE``, or online when logged in), else offline."""
    return None if os.environ.get("WANDB_MODE") or logged_in() else "offline"


class WandbTracker(Tracker):
    """One W&B run per ganforge run; each call logs at the run's step."""

    def __init__(self, layout: RunLayout, stat_names: tuple[str, ...]) -> None:
        self.layout, self.stat_names = layout, stat_names
        self.run: Any = None
        self._ended = False

    def on_start(self, config: Mapping[str, Any], resumed: bool) -> None:
        import wandb

        run_id = tracker_id(self.layout, "wandb") or secrets.token_hex(4)
        keep_tracker_id(self.layout, "wandb", run_id)
        self.run = wandb.init(
            project=os.environ.get("WANDB_PROJECT") or PROJECT,
            name=self.layout.root.name,
            dir=str(self.layout.root.resolve()),
            id=run_id,
            resume="allow",
            mode=wandb_mode(),  # type: ignore[arg-type]
            config=dict(config),
            allow_val_change=True,  # a resume may change a few settings (epochs, ...)
            settings=wandb.Settings(console="off", silent=True, disable_git=True),
        )

    def _log(self, step: int, values: Mapping[str, Any], prefix: str = "") -> None:
        if self.run is not None:
            self.run.log({prefix + metric_name(k): v for k, v in values.items()}, step=step)

    def on_log(self, rows: list[dict[str, float]]) -> None:
        for row in rows:
            self._log(int(row["step"]), {k: row[k] for k in ("epoch", *self.stat_names)})

    def on_epoch(self, row: Row) -> None:
        self._log(int(row["step"]), {k: row[k] for k in self.stat_names}, "epoch_mean/")

    def on_grid(self, step: int, epoch: float, path: Path) -> None:
        if self.run is not None:
            import wandb

            image = wandb.Image(str(path), caption=f"epoch {epoch:g}")
            self.run.log({"samples": image}, step=step)

    def on_eval(self, step: int, row: Row) -> None:
        values = {k: v for k, v in row.items() if k not in ("epoch", "step", "time")}
        self._log(step, values, "eval/")

    def on_end(self, summary: Mapping[str, Any]) -> None:
        if self.run is not None:
            numbers = {k: v for k, v in summary.items() if isinstance(v, int | float | str)}
            self.run.summary.update({f"run/{k}": v for k, v in numbers.items()})
            final = summary.get("final") or {}
            self.run.summary.update({f"final/{metric_name(k)}": v for k, v in final.items()})
            self._ended = True

    def close(self) -> None:
        if self.run is not None:
            run, self.run = self.run, None
            run.finish(exit_code=0 if self._ended else 1)
