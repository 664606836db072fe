"""The report's table: mean ± sd cells, the columns shown, verdicts per judged column."""

from ganforge.reporting.report_table import (
    COLUMNS,
    cell,
    run_cells,
    shown_columns,
    table_cells,
    verdicts,
)

BY_KEY = {c.key: c for c in COLUMNS}


def arm(name, fid, fid_sd, finished=3, runs=3, **more):
    mean = {"fid": fid, "kid_mean": 0.0123, "params_g": 1234567, **more}
    sd = {"fid": fid_sd, "kid_mean": 0.0011, "params_g": 0.0}
    return {"name": name, "mean": mean, "sd": sd, "finished": finished, "runs": runs}


def test_cells_are_mean_plus_minus_sd_in_the_column_format():
    a = arm("dcgan", 21.456, 1.234)
    assert cell(a, BY_KEY["fid"]) == "21.46 ± 1.23"
    assert cell(a, BY_KEY["kid_mean"]) == "12.3 ± 1.1"  # KID shown ×10³
    assert cell(a, BY_KEY["params_g"]) == "1,234,567"  # the same in every seed: no ± 0
    assert cell(arm("x", 5.0, None), BY_KEY["fid"]) == "5.00"  # one seed: no spread
    assert cell(arm("x", None, None), BY_KEY["fid"]) == "—"
    assert cell(arm("x", float("nan"), None), BY_KEY["fid"]) == "—"


def test_table_shows_columns_with_values_and_failed_seeds():
    arms = [arm("gan", 30.0, 1.0), arm("acgan", 20.0, 0.5, finished=2, class_accuracy=0.9)]
    assert [c.key for c in shown_columns(arms)] == ["params_g", "fid", "kid_mean", "class_accuracy"]
    header, rows = table_cells(arms)
    assert header == ["", "seeds", "params G", "FID ↓", "KID×10³ ↓", "class accuracy ↑"]
    assert rows[0][:2] == ["gan", "3"] and rows[1][:2] == ["acgan", "2 of 3"]
    assert rows[1][-1] == "0.900"
    texts = [v.text for v in verdicts(arms)]  # params have no better direction: no verdict
    assert [t.split(":")[0] for t in texts] == ["FID", "KID×10³", "class accuracy"]
    assert texts[0].startswith("FID: acgan is best (20.00 ± 0.50)")


def test_run_cells_show_each_seed_and_a_failure():
    rows = [
        {"name": "gan", "seed": 0, "status": "ok", "fid": 12.0, "run": "gan/seed0"},
        {
            "name": "gan",
            "seed": 1,
            "status": "failed",
            "error": "RuntimeError: boom",
            "run": "gan/seed1",
        },
    ]
    header, body = run_cells(rows)
    assert header[:2] == ["", "seed"] and header[-2:] == ["run", "status"]
    fid = header.index("FID")
    assert body[0][fid] == "12.00" and body[0][-1] == "ok"
    assert body[1][fid] == "—" and body[1][-1] == "failed: RuntimeError: boom"


def test_the_table_says_what_each_run_got_steps_images_and_seconds():
    """Under a time budget the runs get different steps and images: the table says which."""
    gan = arm("gan", 30.0, 1.0, steps=600.0, images=38400.0, wall_time_s=12.04)
    dcgan = arm("dcgan", 20.0, 0.5, steps=120.0, images=7680.0, wall_time_s=12.51)
    gan["sd"] |= {"steps": 10.0, "images": 640.0, "wall_time_s": 0.02}
    header, rows = table_cells([gan, dcgan])
    got = [header.index(h) for h in ("steps", "images", "train time (s)")]
    assert [rows[0][i] for i in got] == ["600 ± 10", "38,400 ± 640", "12.0 ± 0.0"]
    assert [rows[1][i] for i in got] == ["120", "7,680", "12.5"]
    assert not any(v.text.startswith(("steps", "images")) for v in verdicts([gan, dcgan]))
    run_header, body = run_cells(
        [{"name": "gan", "seed": 0, "status": "ok", "steps": 600, "images": 38400,
          "wall_time_s": 12.04, "run": "gan/seed0"}]
    )  # fmt: skip
    assert [body[0][run_header.index(h)] for h in ("steps", "images", "train time (s)")] == [
        "600",
        "38,400",
        "12.0",
    ]


def test_class_kl_is_shown_lower_is_better_so_mode_collapse_loses():
    arms = [arm("gan", 30.0, 1.0, class_kl=0.9), arm("dcgan", 20.0, 0.5, class_kl=0.05)]
    header, rows = table_cells(arms)
    assert "class KL ↓" in header
    assert rows[0][header.index("class KL ↓")] == "0.900"
    kl = next(v.text for v in verdicts(arms) if v.text.startswith("class KL"))
    assert kl.startswith("class KL: dcgan is best (0.050)")
