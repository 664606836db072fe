"""report.md: the same table, with its images copied beside it."""

import errno
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from ganforge.errors import WriteError
from ganforge.reporting.md_report import FILES, write_markdown
from ganforge.reporting.report import Picture, Report


def test_markdown_table_and_images_beside_it(tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    grid = src / "epoch_0003.png"
    Image.new("L", (8, 8)).save(grid)
    arms = [
        {"name": "a|b", "mean": {"fid": 3.0}, "sd": {"fid": 0.25}, "finished": 2, "runs": 2},
    ]
    report = Report("t", ["intro"], arms, [], grids=[Picture(grid, "a|b: FID 3.00")])
    out = tmp_path / "out"
    (out / FILES).mkdir(parents=True)
    (out / FILES / "stale.png").write_bytes(b"old")  # an earlier report's
    text = write_markdown(report, out / "report.md").read_text(encoding="utf-8")
    assert "| a\\|b | 2 | 3.00 ± 0.25 |" in text
    assert "FID ↓" in text and "## Verdicts" in text
    copied = sorted(p.name for p in (out / FILES).iterdir())
    assert copied == ["grid-1-a-b-fid-3-00.png"]
    assert f"]({FILES}/grid-1-a-b-fid-3-00.png)" in text


def test_a_full_disk_leaves_the_previous_report_and_its_images(tmp_path: Path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    grids = []
    for name in ("a", "b"):
        Image.new("L", (8, 8)).save(src / f"{name}.png")
        grids.append(Picture(src / f"{name}.png", f"{name}: FID 3.00"))
    arms = [{"name": "a", "mean": {"fid": 3.0}, "sd": {"fid": 0.25}, "finished": 2, "runs": 2}]
    out = tmp_path / "out"
    write_markdown(Report("old", ["intro"], arms, [], grids=grids[:1]), out / "report.md")
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    copy = shutil.copyfile

    def disk_full(source, target, *args, **kwargs):
        if "grid-2" in str(target):  # the second image: the first one is copied already
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return copy(source, target, *args, **kwargs)

    monkeypatch.setattr(shutil, "copyfile", disk_full)
    with pytest.raises(WriteError, match=f"^could not write {out / FILES}: No space left"):
        write_markdown(Report("new", ["intro"], arms, [], grids=grids), out / "report.md")
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in out.iterdir()) == ["report.md", FILES]  # no staging left
