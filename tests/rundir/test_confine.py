"""The path rule: every file of a run folder stays inside it, symlinks followed."""

import os
from pathlib import Path

import pytest

from ganforge.engine.trainer import Trainer
from ganforge.rundir.confine import UnsafePathError, confined, confined_glob
from ganforge.rundir.layout import RunLayout
from ganforge.rundir.lock import RunLock

SECRET = "the secret outside the run"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the run, holding a file no run may read."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(SECRET)
    return folder


def test_paths_inside_pass_and_keep_their_names(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "epoch_0001.safetensors").write_text("x")
    os.symlink("epoch_0001.safetensors", run / "checkpoints" / "last.safetensors")
    assert (
        confined(run, Path("checkpoints/last.safetensors")) == run / "checkpoints/last.safetensors"
    )
    assert confined(run, run / "not-yet-written.csv") == run / "not-yet-written.csv"
    assert confined(run, Path(".")) == run


def test_a_run_folder_that_is_itself_a_symlink_is_fine(tmp_path: Path) -> None:
    real = tmp_path / "real-run"
    real.mkdir()
    (real / "config.yaml").write_text("recipe: gan\n")
    os.symlink(real, tmp_path / "link")
    assert RunLayout(tmp_path / "link").config.read_text() == "recipe: gan\n"


@pytest.mark.parametrize(
    "make",
    [
        lambda run, out: os.symlink(out / "secret.txt", run / "config.yaml"),  # a file
        lambda run, out: os.symlink(out / "gone.yaml", run / "config.yaml"),  # dangling
        lambda run, out: os.symlink("../../outside/secret.txt", run / "config.yaml"),  # relative
        lambda run, out: os.symlink("config.yaml", run / "config.yaml"),  # a loop
    ],
    ids=["file", "dangling", "relative", "loop"],
)
def test_a_symlink_out_of_the_run_is_refused_in_one_line(tmp_path, outside, make) -> None:
    run = tmp_path / "runs" / "run"
    run.mkdir(parents=True)
    make(run, outside)
    with pytest.raises(UnsafePathError) as err:
        _ = RunLayout(run).config
    assert len(str(err.value).splitlines()) == 1 and str(run / "config.yaml") in str(err.value)


def test_a_folder_symlinked_out_refuses_every_file_beneath_it(tmp_path, outside) -> None:
    run = tmp_path / "run"
    run.mkdir()
    os.symlink(outside, run / "samples")
    layout = RunLayout(run)
    for get in (lambda: layout.samples, lambda: layout.sample_grid(1), lambda: layout.final_grid()):
        with pytest.raises(UnsafePathError, match="leads out of the run folder"):
            get()
    with pytest.raises(UnsafePathError):
        list(layout.glob(layout.samples, "*"))


def test_a_glob_leaves_out_the_files_that_lead_out(tmp_path, outside) -> None:
    run = tmp_path / "run"
    (run / "samples").mkdir(parents=True)
    (run / "samples" / "epoch_0001.png").write_bytes(b"png")
    os.symlink(outside / "secret.txt", run / "samples" / "epoch_0002.png")
    found = list(confined_glob(run, run / "samples", "epoch_*.png"))
    assert found == [run / "samples" / "epoch_0001.png"]
    assert RunLayout(run).final_grids() == []


def test_a_glob_finds_the_files_of_a_run_named_by_a_relative_path(tmp_path, monkeypatch) -> None:
    """Found by `ganforge ablate --out abl`: a relative run folder's layout globbed
    ``abl/RUN/abl/RUN/samples`` and found no grid (the run folder was joined twice)."""
    (tmp_path / "abl" / "run" / "samples").mkdir(parents=True)
    for name in ("epoch_0001.png", "final.png"):
        (tmp_path / "abl" / "run" / "samples" / name).write_bytes(b"png")
    monkeypatch.chdir(tmp_path)
    run = Path("abl/run")
    layout = RunLayout(run)
    assert list(layout.glob(layout.samples, "epoch_*.png")) == [run / "samples/epoch_0001.png"]
    assert layout.final_grids() == [run / "samples/final.png"]


def test_the_lock_file_is_not_followed_out(tmp_path, outside) -> None:
    run = tmp_path / "run"
    run.mkdir()
    os.symlink(outside / "lock", run / "train.lock")
    with pytest.raises(UnsafePathError):
        RunLock(run).acquire()
    assert not (outside / "lock").exists()


def test_training_into_a_run_whose_folder_leads_out_writes_nothing_there(
    tmp_path, outside, tiny_data, tiny_config
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    os.symlink(outside, run / "checkpoints")
    with pytest.raises(UnsafePathError, match="checkpoints leads out of the run folder"):
        Trainer(tiny_config(), run, data=tiny_data, display=False).run()
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
