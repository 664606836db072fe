"""report.html: self-contained (images as data: URIs, nothing fetched), text escaped."""

import re
from pathlib import Path

from PIL import Image

from ganforge.reporting.html_report import data_uri, render_html, write_html
from ganforge.reporting.md_report import write_markdown
from ganforge.reporting.report import Picture, Report


def picture(tmp_path: Path, name: str, caption: str) -> Picture:
    path = tmp_path / name
    Image.new("L", (8, 8), 128).save(path)
    return Picture(path, caption)


def report(tmp_path: Path) -> Report:
    arms = [
        {"name": "gan", "mean": {"fid": 30.0}, "sd": {"fid": 2.0}, "finished": 3, "runs": 3},
        {"name": "<b>x</b>", "mean": {"fid": None}, "sd": {"fid": None}, "finished": 0, "runs": 3},
    ]
    rows = [{"name": "gan", "seed": 0, "status": "ok", "fid": 30.0, "run": "gan/seed0"}]
    return Report(
        title="compare & contrast",
        intro=["two recipes"],
        arms=arms,
        rows=rows,
        grids=[picture(tmp_path, "g.png", "gan: FID 30.00 ± 2.00")],
        gifs=[picture(tmp_path, "p.gif", "gan (seed 0)")],
        charts=[picture(tmp_path, "c.png", "FID during training")],
        failures=["<b>x</b> seed 0: RuntimeError: boom"],
        provenance=[("git commit", "abc123")],
        commands=["ganforge compare gan --out 'a b'"],
    )


def test_html_is_self_contained_and_escaped(tmp_path):
    path = write_html(report(tmp_path), tmp_path / "report.html")
    text = path.read_text(encoding="utf-8")
    links = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", text, flags=re.IGNORECASE)
    assert len(links) == 3 and all(link.startswith("data:image/") for link in links)
    assert "data:image/gif;base64," in text
    assert "<script" not in text.lower() and "@import" not in text and "url(" not in text
    assert "<b>x</b>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text
    assert "compare &amp; contrast" in text
    assert "30.00 ± 2.00" in text and "RuntimeError: boom" in text and "abc123" in text
    assert "FID: gan is best" in text or "FID: only gan has a value" in text


def test_data_uri_round_trips(tmp_path):
    import base64

    pic = picture(tmp_path, "a.png", "a")
    uri = data_uri(pic.path)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == pic.path.read_bytes()
    assert render_html(report(tmp_path)).startswith("<!DOCTYPE html>")


def test_the_reports_have_the_mode_the_umask_gives(tmp_path, umask):
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    out = tmp_path / "out"
    write_html(report(pictures), out / "report.html")
    write_markdown(report(pictures), out / "report.md")
    assert {"report.html", "report.md"} <= {p.name for p in out.iterdir()}
    assert any((out / "report_files").iterdir())
    assert umask(out) == {}
