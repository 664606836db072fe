"""What a run writes into samples/: grids on the sample_every/sample_at schedule, and the
final figure in train.grid_layout (also when a resume only finishes a killed run)."""

import dataclasses
import json

import pytest
from PIL import Image

import ganforge.engine.memory as memory_module
import ganforge.engine.outputs as outputs_module
from ganforge.data import DATASETS
from ganforge.engine.trainer import Trainer, train
from ganforge.errors import ConfigError
from ganforge.figures.images import _title_size
from ganforge.figures.labels import label_size
from ganforge.figures.text import add_text_strip, text_image
from ganforge.setup.build import make_config

FASHION = DATASETS["fashion-mnist"].class_names


def grid_names(run):
    return sorted(p.name for p in (run / "samples").glob("*.png"))


def size(path):
    with Image.open(path) as im:
        return im.size


@pytest.fixture
def tiny_acgan(one_thread):
    """``tiny_acgan(**train)``: acgan with 8-channel nets, conditional and quick, one epoch."""

    def make(**train):
        settings = {"batch_size": 32, "log_every": 2, "epochs": 1, **train}
        nets = {"latent_dim": 8, "g_channels": 8, "d_channels": 8}
        return make_config("acgan", overrides={"train": settings, "model": nets})

    return make


@pytest.mark.parametrize(
    ("schedule", "epochs"),
    [
        ({"sample_every": 4, "sample_at": (1, 5)}, [0, 1, 4, 5, 6]),
        ({"sample_every": 0, "sample_at": (2,)}, [0, 2, 6]),  # 6: the last always gets one
        ({"sample_every": 0}, [0, 6]),
    ],
)
def test_grids_come_every_sample_every_epochs_and_at_sample_at(
    tmp_path, tiny_data, tiny_config, schedule, epochs
):
    run = tmp_path / "run"
    train(tiny_config(epochs=6, **schedule), run, data=tiny_data, display=False)
    assert grid_names(run) == [f"epoch_{e:04d}.png" for e in epochs]


def test_the_default_layout_adds_no_file(tmp_path, tiny_data, tiny_config):
    run = tmp_path / "run"
    train(tiny_config(epochs=1), run, data=tiny_data, display=False)
    assert grid_names(run) == ["epoch_0000.png", "epoch_0001.png"]


def test_final_figure_has_the_layouts_size_and_is_reproducible(tmp_path, tiny_data, tiny_config):
    a, b = tmp_path / "a", tmp_path / "b"
    train(tiny_config(epochs=1, grid_layout="2x5"), a, data=tiny_data, display=False)
    assert "final.png" in grid_names(a)
    assert size(a / "samples" / "final.png") == (5 * 30 + 2, 2 * 30 + 2)  # 5 columns, 2 rows
    # Another run of the same config draws the same figure.
    train(tiny_config(epochs=1, grid_layout="2x5"), b, data=tiny_data, display=False)
    assert (a / "samples" / "final.png").read_bytes() == (b / "samples" / "final.png").read_bytes()


def test_per_class_writes_one_grid_per_class_titled_with_its_name(tmp_path, tiny_data, tiny_acgan):
    run, fashion = tmp_path / "run", dataclasses.replace(tiny_data, class_names=FASHION)
    train(tiny_acgan(grid_layout="per-class"), run, data=fashion, display=False)
    finals = [f"final_class_{k}.png" for k in range(10)]
    assert [n for n in grid_names(run) if n.startswith("final")] == sorted(finals)
    side = 8 * 30 + 2
    blank = Image.new("L", (side, side), 0)
    dress = add_text_strip(blank, "Dress", size=_title_size(side), where="top")
    with Image.open(run / "samples" / "final_class_3.png") as page:
        assert page.size == dress.size  # an 8×8 grid under a title strip
        strip = (0, 0, side, dress.height - side)
        assert page.crop(strip).tobytes() == dress.crop(strip).tobytes()


def test_classes_5x6_is_five_rows_of_six_named_on_both_sides(tmp_path, tiny_data, tiny_acgan):
    run = tmp_path / "run"
    train(tiny_acgan(grid_layout="classes-5x6"), run, data=tiny_data, display=False)
    with Image.open(run / "samples" / "final.png") as final:
        grid = 6 * 30 + 2
        assert final.height == 5 * 30 + 2 and final.width > grid
        left = (final.width - grid) // 2  # "0".."9" on either side: strips of one width
        for r in range(5):  # class 2r on the left of row r, 2r+1 on its right
            band = (r * 30 + 2, r * 30 + 30)
            assert final.crop((0, band[0], left, band[1])).getextrema()[1] > 200
            assert final.crop((left + grid, band[0], final.width, band[1])).getextrema()[1] > 200


def test_a_conditional_runs_grids_and_gif_name_each_row(tmp_path, tiny_data, tiny_acgan):
    run, fashion = tmp_path / "run", dataclasses.replace(tiny_data, class_names=FASHION)
    train(tiny_acgan(), run, data=fashion, display=False)
    grid = 8 * 30 + 2  # the fixed-latent grid: a row of 8 per class
    names_w = max(text_image(name, size=label_size(28)).width for name in FASHION) + 8
    with Image.open(run / "samples" / "epoch_0001.png") as png:
        assert png.size == (names_w + grid, 10 * 30 + 2)
        shirt = text_image("T-shirt/top", size=label_size(28))
        top = 2 + 14 - shirt.height // 2  # centred on the first row, right-aligned by it
        box = (names_w - 4 - shirt.width, top, names_w - 4, top + shirt.height)
        assert png.crop(box).tobytes() == shirt.tobytes()
        assert png.crop((names_w, 0, png.width, png.height)).getextrema() != (0, 0)
    with Image.open(run / "progress.gif") as gif:  # frames are the grids, names and all
        assert gif.width == names_w + grid


def test_a_class_layout_of_an_unconditional_recipe_is_refused_before_any_output(
    tmp_path, tiny_data, tiny_config
):
    run = tmp_path / "run"
    cfg = tiny_config()  # built valid, then changed as a caller of Trainer could
    cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, grid_layout="per-class"))
    with pytest.raises(
        ConfigError, match=r"needs a conditional recipe \(acgan, .*\); gan is uncond"
    ):
        Trainer(cfg, run, data=tiny_data, display=False)
    assert not run.exists()


def test_resume_finishing_a_killed_run_writes_the_final_figure(
    tmp_path, tiny_data, tiny_config, monkeypatch
):
    """Killed before _finish, resumed with another layout: the new figure, no stale one."""
    run = tmp_path / "run"
    trainer = Trainer(tiny_config(epochs=1, grid_layout="5x5"), run, data=tiny_data, display=False)
    monkeypatch.setattr(trainer, "_finish", lambda: (_ for _ in ()).throw(RuntimeError("kill")))
    with pytest.raises(RuntimeError, match="kill"):
        trainer.run()
    (run / "samples" / "final_class_2.png").write_bytes(b"an earlier layout's")
    cfg = tiny_config(epochs=1, grid_layout="10x10")
    Trainer(cfg, run, data=tiny_data, resume=True, display=False).run()
    assert [n for n in grid_names(run) if n.startswith("final")] == ["final.png"]
    assert size(run / "samples" / "final.png") == (10 * 30 + 2, 10 * 30 + 2)


def test_a_resumed_runs_gif_leaves_out_grids_named_by_no_epoch(tmp_path, tiny_data, tiny_config):
    """Found by tests/fuzz: a ``samples/epoch_x.png`` in the run made the resumed run's GIF
    fail with a ValueError traceback."""
    run = tmp_path / "run"
    train(tiny_config(epochs=1), run, data=tiny_data, display=False)
    (run / "samples" / "epoch_x.png").write_bytes(b"not one of ours")
    Trainer(tiny_config(epochs=2), run, data=tiny_data, resume=True, display=False).run()
    with Image.open(run / "progress.gif") as gif:
        assert gif.n_frames >= 3  # epochs 0, 1 and 2 (the first held longer)


def test_a_checkpoint_with_null_facts_resumes(tmp_path, tiny_data, tiny_config):
    """Found by tests/fuzz: "elapsed": null in a checkpoint's metadata (a record field that
    may be null) failed the resume with a TypeError traceback; null reads as absent."""
    from ganforge.rundir.atomic import read_safetensors, write_safetensors

    run = tmp_path / "run"
    train(tiny_config(epochs=1), run, data=tiny_data, display=False)
    last = run / "checkpoints" / "last.safetensors"
    tensors, meta = read_safetensors(last, "checkpoint")
    write_safetensors(last, tensors, {**meta, "elapsed": None, "rollbacks": None}, "checkpoint")
    Trainer(tiny_config(epochs=2), run, data=tiny_data, resume=True, display=False).run()
    assert json.loads((run / "summary.json").read_text())["steps"] == 8


@pytest.mark.parametrize(("every_s", "drawings"), [(0.0, 3), (3600.0, 1)])
def test_loss_plots_are_redrawn_mid_run_once_plot_every_s_has_passed(
    tmp_path, tiny_data, tiny_config, monkeypatch, every_s, drawings
):
    """Before the run's end, an epoch redraws the loss plots only when PLOT_EVERY_S seconds
    have passed since the last drawing; the end always draws them."""
    drawn = []
    real = outputs_module.plot_training_curves
    monkeypatch.setattr(outputs_module, "PLOT_EVERY_S", every_s)
    monkeypatch.setattr(
        outputs_module, "plot_training_curves", lambda *args: drawn.append(real(*args))
    )
    run = tmp_path / "run"
    train(tiny_config(epochs=3), run, data=tiny_data, display=False)
    assert len(drawn) == drawings
    assert (run / "plots" / "loss_per_batch.png").exists()


def test_finishing_a_killed_runs_outputs_writes_the_same_peak_memory(
    tmp_path, tiny_data, tiny_config, monkeypatch
):
    """The summary's peak memory is the last checkpoint's figure, whether the run wrote its
    outputs itself or a resume finished them: memory that grows after the checkpoint (here
    each reading is 1 MiB above the last) must not make the two summaries differ."""
    readings = iter(range(1000, 2000))
    monkeypatch.setattr(memory_module.PeakMemory, "peak_mib", lambda self: float(next(readings)))
    run = tmp_path / "run"
    train(tiny_config(epochs=1), run, data=tiny_data, display=False)
    first = json.loads((run / "summary.json").read_text())["peak_memory_mib"]
    (run / "summary.json").unlink()  # as a kill during the final outputs leaves it
    Trainer(tiny_config(epochs=1), run, data=tiny_data, resume=True, display=False).run()
    assert json.loads((run / "summary.json").read_text())["peak_memory_mib"] == first


def test_every_file_of_a_run_has_the_mode_the_umask_gives(tmp_path, tiny_data, tiny_acgan, umask):
    # mkstemp's 0600 kept a run folder from a web server or a colleague
    run = tmp_path / "run"
    cfg = tiny_acgan(epochs=2, grid_layout="per-class", tensorboard=True)
    train(cfg, run, data=tiny_data, display=False)
    files = {p.relative_to(run).as_posix() for p in run.rglob("*") if p.is_file()}
    expected = {
        "config.yaml",
        "summary.json",
        "progress.gif",
        "samples/epoch_0002.png",
        "metrics/batches.csv",
        "metrics/epochs.csv",
        "checkpoints/last.safetensors",
        "checkpoints/epoch_0001.safetensors",
    }
    assert expected <= files, sorted(files)
    assert any(f.startswith("plots/") for f in files) and any("final_class_" in f for f in files)
    assert umask(run) == {}
