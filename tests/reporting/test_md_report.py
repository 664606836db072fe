"""report.md: the same table, with its images copied beside it."""

from pathlib import Path

from PIL import Image

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
