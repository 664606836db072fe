"""``ganforge compare`` and ``ganforge ablate`` output folders: their ``results.json``
table and their ``report.html``, for the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganforge.experiments.study_results import METRICS, RUN_FACTS, TRAINED
from ganforge.reporting.metric_format import number
from ganforge.studio.errors import not_found
from ganforge.studio.paths import file_in, inside, relative_name
from ganforge.studio.reading import finite, read_json
from ganforge.studio.runs import is_run, is_study
from ganforge.studio.shown import shown, shown_mean_sd

# Per run, besides arm, seed and status: the metrics, the run's facts and what it got.
ROW_KEYS = (*METRICS, *RUN_FACTS, *TRAINED, "error")


def study_summary(root: Path, folder: Path) -> dict[str, Any]:
    """What the studies list shows of one: kind, arms, seeds, dataset (and its training
    subset, if any), budget, runs."""
    data = read_json(folder, "results.json")
    arms = data.get("arms") if isinstance(data.get("arms"), list) else []
    return finite(
        {
            "name": relative_name(root, folder),
            "kind": data.get("kind"),
            "arms": [a.get("name") for a in arms if isinstance(a, dict)],
            "seeds": data.get("seeds"),
            "dataset": data.get("dataset"),
            # --data-limit N or --data-fraction F: a subset of the training split
            "data_limit": number(data.get("data_limit")),
            "data_fraction": number(data.get("data_fraction")),
            "budget": data.get("budget"),
            "runs": len(data.get("runs") or []),
            "report": (folder / "report.html").is_file(),
        }
    )


def study_detail(root: Path, folder: Path) -> dict[str, Any]:
    """The study's table: a row per run (linked to the run's page when the run is there) and
    per arm the means and standard deviations over seeds."""
    data = read_json(folder, "results.json")
    rows = []
    for row in data.get("runs") or []:
        if not isinstance(row, dict):
            continue
        run = row.get("run")
        path = folder / run if isinstance(run, str) else None
        linked = (
            path is not None
            and path.is_dir()
            and path.resolve().is_relative_to(root)
            and is_run(path.resolve())
        )
        rows.append(
            {
                "arm": row.get("arm"),
                "name": row.get("name"),
                "seed": row.get("seed"),
                "status": row.get("status"),
                "run": relative_name(root, path.resolve()) if linked and path else None,
                **{k: row.get(k) for k in ROW_KEYS},
                "shown": shown({k: row.get(k) for k in ROW_KEYS}),
            }
        )
    arms = [
        {
            "arm": a.get("arm"),
            "name": a.get("name"),
            "finished": a.get("finished"),
            "runs": a.get("runs"),
            "mean": a.get("mean") or {},
            "sd": a.get("sd") or {},
            "shown": shown_mean_sd(a.get("mean") or {}, a.get("sd") or {}),
        }
        for a in data.get("arms") or []
        if isinstance(a, dict)
    ]
    return finite({**study_summary(root, folder), "rows": rows, "arm_results": arms})


def find_study(root: Path, name: str) -> Path:
    """The study folder called ``name`` (``.`` for the runs folder itself)."""
    path = inside(root, name, "study", allow_root=True)
    if not path.is_dir() or not is_study(path):
        raise not_found(f"{name!r} is not a compare or ablate folder (no results.json)")
    return path


def report_file(root: Path, folder: Path) -> Path:
    """The study's self-contained ``report.html`` (a symlink out of ``root`` refused)."""
    return file_in(root, folder, "report.html", ".html", "report")
