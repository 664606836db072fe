"""``report.md``: the report's table, verdicts and provenance in Markdown, with its images
copied beside it as files (``report_files/``), for a README or a pull request."""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Sequence
from pathlib import Path

from ganforge.reporting.report import Picture, Report
from ganforge.reporting.report_table import run_cells, table_cells, verdicts
from ganforge.rundir.atomic import atomic_path, writing

__all__ = ["FILES", "render_markdown", "write_markdown"]

FILES = "report_files"  # the images' folder, beside report.md


def _cell(text: object) -> str:
    """Table-safe text: a pipe would end the cell, a newline the row."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    align = ["---", *("---:" for _ in header[1:])]
    return [
        "| " + " | ".join(_cell(h) for h in header) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows),
    ]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "image"


def _copy(pictures: Sequence[Picture], folder: Path, prefix: str) -> list[tuple[str, str]]:
    """Copy the pictures into ``folder``; their (relative path, caption) for the links."""
    links = []
    for i, picture in enumerate(pictures, start=1):
        name = f"{prefix}-{i}-{_slug(picture.caption)[:40]}{picture.path.suffix.lower()}"
        shutil.copyfile(picture.path, folder / name)
        links.append((f"{FILES}/{name}", picture.caption))
    return links


def _side_by_side(links: Sequence[tuple[str, str]]) -> list[str]:
    """Images in one table row under their captions: side by side on GitHub."""
    if not links:
        return []
    return _table(
        [caption for _, caption in links], [[f"![{_cell(c)}]({path})" for path, c in links]]
    )


def render_markdown(report: Report, images: dict[str, list[tuple[str, str]]]) -> str:
    """The Markdown text; ``images`` holds the copied files' links by section."""
    header, rows = table_cells(report.arms)
    lines = [f"# {report.title}", "", *(f"{line}  " for line in report.intro), ""]
    lines += ["## Results: mean ± sd over seeds", "", *_table(header, rows), ""]
    lines += ["## Verdicts", "", *(f"- {v.text}" for v in verdicts(report.arms)), ""]
    lines += [f"The rule: {report.rule}.", ""]
    if report.failures:
        lines += ["## Failures", "", *(f"- {f}" for f in report.failures), ""]
    if report.notes:
        lines += ["## Notes", "", *(f"- {n}" for n in report.notes), ""]
    if images["grids"]:
        lines += ["## Final samples", "", *_side_by_side(images["grids"]), ""]
    if images["gifs"]:
        lines += ["## Training progress", "", *_side_by_side(images["gifs"]), ""]
    for path, caption in images["charts"]:
        lines += [f"## {caption}", "", f"![{caption}]({path})", ""]
    run_header, run_rows = run_cells(report.rows)
    lines += ["## Every run", "", *_table(run_header, run_rows), ""]
    lines += ["## Provenance", "", *(f"- {k}: {v}" for k, v in report.provenance), ""]
    lines += ["## Reproduce", "", "```bash", *report.commands, "```", ""]
    return "\n".join(lines)


def write_markdown(report: Report, path: Path) -> Path:
    """Write ``report.md`` to ``path`` and its images into ``report_files/`` beside it (the
    folder's earlier images are replaced). The images go to a new folder first and replace
    the old one once ``report.md`` is written, so a failure (a full disk) leaves the previous
    report and its images as they were."""
    folder = path.parent / FILES
    with writing(folder):
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.parent / f".{FILES}.{secrets.token_hex(4)}.tmp"
        staging.mkdir()  # with the mode the umask gives, as report_files/ had
    try:
        with writing(folder):
            images = {
                "grids": _copy(report.grids, staging, "grid"),
                "gifs": _copy(report.gifs, staging, "progress"),
                "charts": _copy(report.charts, staging, "chart"),
            }
        with atomic_path(path) as tmp:
            tmp.write_text(render_markdown(report, images), encoding="utf-8")
        if folder.is_dir():
            old = staging.with_name(f"{staging.name}.old")
            folder.rename(old)
            staging.rename(folder)
            shutil.rmtree(old)
        else:
            staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when all went well
    return path
