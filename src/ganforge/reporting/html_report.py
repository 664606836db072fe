"""``report.html``: one self-contained page (styles inline, images as base64 data: URIs, no
script, no outside link), so it opens anywhere and can be mailed or attached as it is."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path

from ganforge.reporting.report import Picture, Report
from ganforge.reporting.report_table import run_cells, table_cells, verdicts
from ganforge.rundir.atomic import atomic_path

__all__ = ["data_uri", "render_html", "write_html"]

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1400px;
       padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 12px; margin: .6em 0; display: block;
        overflow-x: auto; max-width: 100%; }
th, td { border: 1px solid #ccc; padding: 2px 5px; text-align: right; white-space: nowrap; }
th { white-space: normal; vertical-align: bottom; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3f3f3; } tr.failed td { color: #a00; }
.panels { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }
figure { margin: 0; text-align: center; } figcaption { font-size: 13px; }
img.grid { image-rendering: pixelated; width: 300px; }
img.chart { max-width: 100%; }
.failure { color: #a00; } code, pre { background: #f6f6f6; padding: 1px 4px; }
pre { padding: .6em; overflow-x: auto; }
"""

_MIME = {".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def data_uri(path: Path) -> str:
    """The file as a ``data:`` URI (its type from its suffix)."""
    mime = _MIME.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _e(text: object) -> str:
    return html.escape(str(text))


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], failed: Sequence[bool]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        ('<tr class="failed">' if bad else "<tr>")
        + "".join(f"<td>{_e(c)}</td>" for c in row)
        + "</tr>"
        for row, bad in zip(rows, failed, strict=True)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figures(pictures: Sequence[Picture], css: str = "") -> str:
    items = "".join(
        f'<figure><img{css} src="{data_uri(p.path)}" alt="{_e(p.caption)}">'
        f"<figcaption>{_e(p.caption)}</figcaption></figure>"
        for p in pictures
    )
    return f'<div class="panels">{items}</div>'


def _list(items: Sequence[str], css: str = "") -> str:
    return "<ul>" + "".join(f"<li{css}>{_e(item)}</li>" for item in items) + "</ul>"


def render_html(report: Report) -> str:
    """The page as a string."""
    header, rows = table_cells(report.arms)
    failed_arms = [arm["finished"] == 0 for arm in report.arms]
    run_header, run_rows = run_cells(report.rows)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(report.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(report.title)}</h1>",
        *(f"<p>{_e(line)}</p>" for line in report.intro),
        "<h2>Results: mean ± sd over seeds</h2>",
        _table(header, rows, failed_arms),
        "<h2>Verdicts</h2>",
        _list([v.text for v in verdicts(report.arms)]),
        f"<p><small>The rule: {_e(report.rule)}.</small></p>",
    ]
    if report.failures:
        parts += ["<h2>Failures</h2>", _list(report.failures, ' class="failure"')]
    if report.notes:
        parts += ["<h2>Notes</h2>", _list(report.notes)]
    if report.grids:
        parts += ["<h2>Final samples</h2>", _figures(report.grids, ' class="grid"')]
    if report.gifs:
        parts += ["<h2>Training progress</h2>", _figures(report.gifs, ' class="grid"')]
    for chart in report.charts:
        parts += [f"<h2>{_e(chart.caption)}</h2>", _figures([chart], ' class="chart"')]
    parts += [
        "<h2>Every run</h2>",
        _table(run_header, run_rows, [r["status"] != "ok" for r in report.rows]),
        "<h2>Provenance</h2>",
        "<table><tbody>"
        + "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in report.provenance)
        + "</tbody></table>",
        "<h2>Reproduce</h2>",
        f"<pre>{_e(chr(10).join(report.commands))}</pre>",
        "</body></html>",
    ]
    return "\n".join(parts)


def write_html(report: Report, path: Path) -> Path:
    """Write ``report.html`` to ``path``, replacing it atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(render_html(report), encoding="utf-8")
    return path
