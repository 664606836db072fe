"""``ganforge train``'s output options: --plain, --sample-at, --grid-layout, step intervals
(--sample-every 500steps …) and --grid."""

import os
import pty
import subprocess
import sys

import pytest
import yaml
from PIL import Image

from ganforge.cli.options import parse_epochs
from ganforge.errors import ConfigError


def on_a_terminal(*args: str) -> str:
    """Run ``python -m ganforge ARGS`` with stdout and stderr on a pseudo-terminal, as in an
    interactive shell; return what it wrote there."""
    parent, child = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "200"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganforge", *args],
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=child,
        env=env,
    )
    os.close(child)
    output = bytearray()
    while True:
        try:
            chunk = os.read(parent, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(parent)
    assert proc.wait(timeout=600) == 0, output.decode(errors="replace")
    return output.decode(errors="replace")


def test_parse_epochs_reads_comma_separated_epochs():
    assert parse_epochs("5,25,50,75,100") == [5, 25, 50, 75, 100]
    assert parse_epochs(" 3 ") == [3]


@pytest.mark.parametrize("text", ["", "5,,7", "5;7", "0,5", "-1", "five"])
def test_parse_epochs_refuses_anything_else_in_one_line(text):
    with pytest.raises(ConfigError) as err:
        parse_epochs(text)
    assert str(err.value) == (
        f"--sample-at expects comma-separated positive epochs such as 5,25,50, got {text!r}"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--grid-layout", "per-class"],
            "grid layout 'per-class' needs a conditional recipe (acgan, acgan-classic, "
            "acgan-mult); gan is unconditional",
        ),
        (["--sample-at", "5,x"], "--sample-at expects comma-separated positive epochs"),
        (["--sample-every", "-2"], "train.sample_every must be >= 0"),
        (["--grid-layout", "3x3"], "Invalid value for '--grid-layout'"),
        (["--sample-every", "5batches"], "train.sample_every must be a number of epochs (2) or"),
        (["--checkpoint-every", "0steps"], "train.checkpoint_every must be a positive number"),
        (["--eval-every", "x"], "train.eval_every must be a number of epochs (2) or of steps"),
        (["--grid", "4"], "train.sample_grid must be ROWSxCOLUMNS such as 4x4 or 8x8"),
    ],
)
def test_bad_output_options_are_refused_with_nothing_written(tmp_path, run_cli, args, message):
    run = tmp_path / "run"
    code, err = run_cli("train", "gan", "--out", str(run), *args)
    assert code == 2 and message in err
    assert len(err.strip().splitlines()) == 1, err
    assert not run.exists()


@pytest.mark.mnist
def test_plain_prints_status_lines_even_on_a_terminal(tmp_path, mnist_dir):
    run = tmp_path / "run"
    out = on_a_terminal(
        *("train", "gan", "--steps", "4", "--log-every", "2", "--plain", "--device", "cpu"),
        *("--data-dir", str(mnist_dir), "--out", str(run), "--sample-at", "1"),
    )
    assert "\x1b[" in out  # rich saw a terminal: its banner is styled
    lines = [line for line in out.splitlines() if line.startswith("gan step ")]
    assert [line.split()[2] for line in lines] == ["2/4", "4/4"]  # one per --log-every steps
    assert all("D(x)" in line and "D(G(z))" in line for line in lines)
    saved = (run / "config.yaml").read_text()
    assert "plain" not in saved and "sample_at:\n  - 1\n" in saved


@pytest.mark.mnist
def test_step_intervals_and_the_grid_are_flags_kept_in_the_config_and_on_resume(
    tmp_path, run_cli, mnist_dir
):
    """``--sample-every 3steps --checkpoint-every 4steps --grid 4x4``: config.yaml holds them,
    and a resume that does not repeat them keeps them (grids of 16, step-interval names)."""
    run = tmp_path / "run"
    common = ["--data-dir", str(mnist_dir), "--out", str(run), "--device", "cpu", "--plain"]
    common += [
        "--batch-size",
        "1024",
        "--set",
        "model.g_hidden=[32]",
        "--set",
        "model.d_hidden=[32]",
    ]
    code, err = run_cli(
        "train", "gan", "--steps", "4", *common,
        "--sample-every", "3steps", "--checkpoint-every", "4 steps", "--grid", "4x4",
    )  # fmt: skip
    assert code == 0, err
    saved = yaml.safe_load((run / "config.yaml").read_text())["train"]
    assert (saved["sample_every"], saved["checkpoint_every"]) == ("3steps", "4steps")
    assert saved["sample_grid"] == "4x4"
    code, err = run_cli("train", "--resume", "--steps", "7", *common)
    assert code == 0, err
    saved = yaml.safe_load((run / "config.yaml").read_text())["train"]
    assert (saved["sample_every"], saved["sample_grid"]) == ("3steps", "4x4")
    # 10,000 images in batches of 1,024: 9 steps an epoch, grids at steps 3 and 6.
    grids = sorted(p.name for p in (run / "samples").glob("*.png"))
    # (and the first session's last, at step 4, and the run's, at step 7).
    assert grids == [f"epoch_0000{e}.png" for e in (".33", ".44", ".67", ".78", "")]
    for name in grids:
        with Image.open(run / "samples" / name) as grid:
            assert grid.size == (4 * 30 + 2, 4 * 30 + 2), name
    numbered = sorted(p.name for p in (run / "checkpoints").glob("epoch_*.safetensors"))
    assert numbered == ["epoch_0000.44.safetensors"]  # step 4
