"""Tables on the terminal: the compare table (17 columns) in an 80-column terminal, folded
into tables that fit, nothing cut."""

import io
import re

from rich.console import Console

from ganforge.cli.tables import column_groups, print_table
from ganforge.reporting.report_table import table_cells

MEAN = {
    "params_g": 1478928, "params_d": 533505, "steps": 612.0, "images": 39168.0,
    "wall_time_s": 12.31, "images_per_s": 771.2, "sampling_images_per_s": 26492.0,
    "peak_memory_mib": 761.0, "fid": 139.3041, "kid_mean": 1.4488, "precision": 0.7921,
    "recall": 0.19, "coverage": 0.038, "classes_covered": 9.667, "class_kl": 0.141,
    "class_accuracy": 0.912,
}  # fmt: skip


def arms() -> list[dict]:
    """Three recipes over three seeds: every cell a ``mean ± sd``."""
    sd = {k: v / 10 for k, v in MEAN.items()} | {"params_g": 0.0, "params_d": 0.0}
    return [
        {"name": name, "mean": MEAN, "sd": sd, "finished": 3, "runs": 3}
        for name in ("gan", "dcgan", "improved-dcgan")
    ]


def rendered(width: int) -> str:
    console = Console(width=width, file=io.StringIO())
    title = "3 recipes, 3 seeds, n = 10,000: mean ± sd over seeds"
    print_table(console, title, *table_cells(arms()))
    return console.file.getvalue()


def test_an_80_column_terminal_shows_every_header_and_value_whole():
    header, rows = table_cells(arms())
    assert len(header) == 18  # the names, seeds and 16 figures
    text = rendered(80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    words = re.findall(r"\S+", text)
    for cell in {c for row in rows for c in row}:  # each value on one line, whole
        assert cell in text, cell
    for name in header[1:]:  # each header's words, wrapped between them at most
        assert all(word in words for word in name.split()), name
    assert text.count("(continued)") == len(column_groups(header, rows, 80)) - 1 >= 1


def test_a_wide_console_shows_one_table():
    header, rows = table_cells(arms())
    assert len(column_groups(header, rows, 400)) == 1
    assert "(continued)" not in rendered(400)
