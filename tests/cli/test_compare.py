"""``ganforge compare``: its refusals in one line, and a tiny comparison on MNIST."""

import csv
import json
import re
import sys

import pytest
import yaml

from ganforge.cli import main


def ganforge(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """``ganforge ARGS`` through the console entry point, in this process:
    (exit status, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["ganforge", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    captured = capsys.readouterr()
    return exit_.value.code, captured.out, captured.err


def test_help_names_the_default_recipes_and_an_example(monkeypatch, capsys):
    code, out, _ = ganforge(monkeypatch, capsys, "compare", "--help")
    assert code == 0
    assert "improved-dcgan" in out and "ganforge compare dcgan wgan-gp --budget-epochs 5" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["dcgn"], "unknown recipe 'dcgn'; did you mean 'dcgan'?"),
        (["gan", "gan"], "recipe 'gan' is named twice"),
        (["--budget-epochs", "2", "--budget-minutes", "1"], "give --budget-epochs or"),
        (["--budget-minutes", "0"], "--budget-minutes must be a positive number"),
        (["--seeds", "0"], "Invalid value for '--seeds'"),
        (["--budget-epochs", "0"], "Invalid value for '--budget-epochs'"),
        (["--curve-samples", "50"], "--curve-samples must be 0 (no curves) or at least 100"),
        (["--eval-samples", "50"], "Invalid value for '--eval-samples'"),
        (["--set", "model.nope=1"], "unknown key model.nope"),
        (["--device", "gpu"], "train.device must be 'auto', 'cpu'"),
        (["--holdout", "0.2"], "--holdout is the test split of your own images; it needs --data"),
        (["--test-data", "t"], "--test-data is the test split of your own images; it needs"),
        (["--data", "d", "--dataset", "fashion"], "--data d and --dataset fashion-mnist name two"),
        (["--data", "/no/such"], "/no/such does not exist; expected a folder of images"),
        (["--data", ".", "--holdout", "0.9"], "Invalid value for '--holdout'"),
        (["--data-limit", "0"], "data_limit (--data-limit) must be a positive number of images"),
        (["--data-limit", "10", "--data-fraction", "0.5"], "both given; give one"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    code, _, stderr = ganforge(monkeypatch, capsys, "compare", *args, "--out", str(out))
    assert code == 2
    assert message in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert not out.exists()  # refused before anything is written


TINY = [
    *("--set", "model.latent_dim=8", "--set", "model.g_hidden=[32]"),
    *("--set", "model.d_hidden=[32]", "--set", "train.steps=5", "--set", "train.log_every=1"),
]


@pytest.mark.mnist
def test_tiny_comparison_writes_the_report(
    tmp_path, mnist_short_test_dir, mnist_evaluator, study_recipes, one_thread, monkeypatch, capsys
):
    out = tmp_path / "cmp"
    args = ["compare", "tiny-a", "tiny-b", "--seeds", "2", *TINY, "--device", "cpu"]
    args += ["--eval-samples", "100", "--curve-samples", "100"]
    args += ["--data-dir", str(mnist_short_test_dir), "--out", str(out)]
    code, table, log = ganforge(monkeypatch, capsys, *args)
    assert code == 0, log
    assert "[1/4] tiny-a seed 0 (recipe 1 of 2)" in log and "training ETA" in log
    assert "tiny-b" in table and " ± " in table and "FID: tiny-" in table  # table, verdicts
    with (out / "results.csv").open(newline="") as f:
        assert [(r["arm"], r["seed"]) for r in csv.DictReader(f)] == [
            ("tiny-a", "0"),
            ("tiny-a", "1"),
            ("tiny-b", "0"),
            ("tiny-b", "1"),
        ]
    html = (out / "report.html").read_text(encoding="utf-8")
    links = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", html, flags=re.IGNORECASE)
    assert links and all(link.startswith("data:image/") for link in links)
    assert html.count("data:image/gif;base64,") == 2  # each recipe's training GIF
    assert "Results: mean ± sd over seeds" in html and "ganforge compare tiny-a tiny-b" in html
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| tiny-a | 2 |" in md and "report_files/" in md
    for link in re.findall(r"\]\((report_files/[^)]+)\)", md):
        assert (out / link).is_file()
    code, _, stderr = ganforge(monkeypatch, capsys, *args)  # the same OUT again, no --reuse
    assert code == 2 and "pass --reuse" in stderr


@pytest.mark.mnist
def test_a_comparison_trains_every_run_on_your_own_images(
    digits, tmp_path, study_recipes, one_thread, monkeypatch, capsys
):
    """Each run trains on the class folders less their hold-out, is scored against the
    held-out images by their own evaluator, and the report's command names them."""
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path / "home"))
    classes, out = digits["root"] / "classes", tmp_path / "cmp"
    args = ["compare", "tiny-a", "tiny-b", "--seeds", "1", *TINY, "--device", "cpu"]
    args += ["--data", str(classes), "--holdout", "0.2", "--out", str(out)]
    code, _, log = ganforge(monkeypatch, capsys, *args, "--eval-samples", "100")
    assert code == 0, log
    held = f"{classes} (image folder), 240 of 300 images (60 held out for testing)"
    own = ("custom", str(classes), 0.2)
    for recipe in ("tiny-a", "tiny-b"):
        run = out / recipe / "seed0"
        config = yaml.safe_load((run / "config.yaml").read_text())
        assert (config["dataset"], config["data"], config["holdout"]) == own
        summary = json.loads((run / "summary.json").read_text())
        assert summary["data_source"] == held and summary["steps"] == 5
        metrics = json.loads((run / "metrics.json").read_text())
        assert metrics["n_real"] == 60 and metrics["evaluator"]["dataset"] == "custom"
        assert metrics["fid"] > 0
    record = json.loads((out / "results.json").read_text())
    assert (record["dataset"], record["data"], record["holdout"]) == own
    report = (out / "report.md").read_text(encoding="utf-8")
    assert (
        f"--data={classes} --holdout=0.2" in report
        and f"on {classes.parent.name}/{classes.name}," in report
    )


@pytest.mark.mnist
def test_unlabelled_images_for_a_conditional_recipe_stop_the_comparison_first(
    digits, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path / "home"))
    flat, out = digits["root"] / "flat", tmp_path / "cmp"
    args = ("compare", "gan", "acgan", "--data", str(flat), "--out", str(out))
    code, _, stderr = ganforge(monkeypatch, capsys, *args)
    assert code == 2 and not out.exists()
    assert stderr.strip() == (
        f"error: {flat} is unlabelled; recipe 'acgan' is conditional: it needs class "
        "sub-folders (or an .npz with labels)"
    )


@pytest.mark.mnist
def test_every_run_of_a_comparison_trains_on_the_same_subset_of_the_data(
    tmp_path, mnist_short_test_dir, mnist_evaluator, study_recipes, one_thread, monkeypatch, capsys
):
    """``--data-limit 200``: both seeds train on the same 200 images (20 of each digit), their
    folders and results.json record it, and the report's command repeats it."""
    out, data = tmp_path / "cmp", ["--data-dir", str(mnist_short_test_dir)]
    args = ["compare", "tiny-a", "--seeds", "2", *TINY, "--device", "cpu", *data]
    args += ["--data-limit", "200", "--eval-samples", "100", "--curve-samples", "0"]
    code, _, log = ganforge(monkeypatch, capsys, *args, "--out", str(out))
    assert code == 0, log
    summaries = [json.loads((out / f"tiny-a/seed{s}/summary.json").read_text()) for s in (0, 1)]
    assert {s["data_fingerprint"] for s in summaries} == {summaries[0]["data_fingerprint"]}
    for seed, summary in enumerate(summaries):
        assert summary["train_images"] == 200 and summary["data_subset"]["per_class"] == [20] * 10
        config = yaml.safe_load((out / f"tiny-a/seed{seed}/config.yaml").read_text())
        assert (config["data_limit"], config["data_limit_seed"]) == (200, 0)
        assert config["train"]["seed"] == seed  # the training seed differs, the subset not
    assert json.loads((out / "results.json").read_text())["data_limit"] == 200
    assert "--dataset=mnist --data-limit=200" in (out / "report.md").read_text(encoding="utf-8")
    code, _, err = ganforge(  # more than the split has: refused before anything is written
        monkeypatch, capsys, "compare", "tiny-a", *data, "--data-limit", "10001", "--out",
        str(tmp_path / "big"),
    )  # fmt: skip
    assert code == 2 and "asks for more images than the training split has (10,000" in err
    assert not (tmp_path / "big").exists()
