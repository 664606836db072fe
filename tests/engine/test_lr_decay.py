"""Linear learning-rate decay: the factor by hand, the peak kept in the optimizer's state, and
a decaying run that uses those rates, reports its peaks and resumes bit for bit."""

import json

import pytest
import torch

from ganforge.engine.lr_decay import PEAK_LR, apply_lr_decay, decay_factor
from ganforge.engine.trainer import Trainer
from ganforge.rundir.checkpoint import load_checkpoint
from ganforge.rundir.metrics_log import read_csv_rows


@pytest.mark.parametrize(
    ("progress", "decay_from", "factor"),
    [
        (0.0, 0.5, 1.0),
        (0.5, 0.5, 1.0),
        (0.75, 0.5, 0.5),  # halfway from 0.5 to the end
        (0.9, 0.5, 0.2),
        (1.0, 0.5, 0.0),
        (0.3, 0.0, 0.7),  # decaying over the whole run
        (0.99, 1.0, 1.0),  # 1: constant
        (1.2, 0.5, 0.0),  # past the end (a time limit overrun): never negative
    ],
)
def test_decay_factor_by_hand(progress, decay_from, factor):
    assert decay_factor(progress, decay_from) == pytest.approx(factor)


def test_the_peak_is_kept_in_the_optimizers_state():
    """The first call takes the rate as the peak; later calls scale the peak, not the
    already decayed rate; a state dict carries the peak to a resumed optimizer."""
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam([param], lr=1e-3)
    apply_lr_decay([opt], 0.75, 0.5)
    apply_lr_decay([opt], 0.9, 0.5)
    assert opt.param_groups[0]["lr"] == pytest.approx(2e-4)
    resumed = torch.optim.Adam([param], lr=5.0)
    resumed.load_state_dict(opt.state_dict())
    assert resumed.param_groups[0][PEAK_LR] == 1e-3
    apply_lr_decay([resumed], 0.5, 0.5)
    assert resumed.param_groups[0]["lr"] == 1e-3


def rates_used(trainer, monkeypatch) -> list[float]:
    """G's rate at each step, read after the step has set it."""
    seen: list[float] = []
    step = trainer.train_step

    def probe(batches):
        stats = step(batches)
        seen.append(trainer.opt_g.param_groups[0]["lr"])
        return stats

    monkeypatch.setattr(trainer, "train_step", probe)
    return seen


def test_a_run_decays_from_half_way_and_reports_its_peaks(
    tmp_path, tiny_data, tiny_config, monkeypatch
):
    cfg = tiny_config(epochs=3, lr_decay_from=0.5)  # 12 steps; G's peak 2e-4, D's 4e-4
    trainer = Trainer(cfg, tmp_path / "run", data=tiny_data, display=False)
    seen = rates_used(trainer, monkeypatch)
    trainer.run()
    # Step s (0-based) runs at progress s/12: constant to step 6, then linear towards 0.
    expected = [2e-4 * min(1.0, (1 - s / 12) / 0.5) for s in range(12)]
    assert seen == pytest.approx(expected)
    assert seen[9] == pytest.approx(1e-4) and seen[11] == pytest.approx(2e-4 / 6)
    groups = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.safetensors").meta[
        "optimizers"
    ]
    assert groups["opt_d"]["param_groups"][0]["lr"] == pytest.approx(4e-4 / 6)
    assert groups["opt_d"]["param_groups"][0][PEAK_LR] == 4e-4
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["learning_rates"] == {"opt_g": [2e-4], "opt_d": [4e-4]}


def test_without_a_decay_the_rates_stay_and_the_state_has_no_peak(
    tmp_path, tiny_data, tiny_config, monkeypatch
):
    trainer = Trainer(tiny_config(epochs=1), tmp_path / "run", data=tiny_data, display=False)
    seen = rates_used(trainer, monkeypatch)
    trainer.run()
    assert seen == [2e-4] * 4
    groups = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.safetensors").meta[
        "optimizers"
    ]
    assert PEAK_LR not in groups["opt_g"]["param_groups"][0]


def test_a_decaying_run_resumes_bit_for_bit(tmp_path, tiny_data, tiny_config):
    cfg = tiny_config(epochs=3, lr_decay_from=0.25)
    Trainer(cfg, tmp_path / "straight", data=tiny_data, display=False).run()
    pieces = tmp_path / "pieces"
    Trainer(cfg, pieces, data=tiny_data, display=False).run(stop_at=7)
    Trainer(cfg, pieces, data=tiny_data, resume=True, display=False).run()

    def losses(run):
        rows = read_csv_rows(run / "metrics" / "batches.csv")
        return [{k: v for k, v in r.items() if k != "time"} for r in rows]

    assert losses(pieces) == losses(tmp_path / "straight")
    a, b = (
        load_checkpoint(run / "checkpoints" / "last.safetensors").module_state("generator")
        for run in (tmp_path / "straight", pieces)
    )
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resumed_with_the_decay_off_the_run_goes_back_to_its_peak(
    tmp_path, tiny_data, tiny_config, monkeypatch
):
    """Extending a decayed run with ``lr_decay_from`` 1 trains at the configured rates, not
    at the last decayed ones, and its checkpoint and summary say so."""
    run = tmp_path / "run"
    Trainer(tiny_config(epochs=3, lr_decay_from=0.0), run, data=tiny_data, display=False).run()
    trainer = Trainer(tiny_config(epochs=4), run, data=tiny_data, resume=True, display=False)
    seen = rates_used(trainer, monkeypatch)
    trainer.run()
    assert seen == [2e-4] * 4
    groups = load_checkpoint(run / "checkpoints" / "last.safetensors").meta["optimizers"]
    assert groups["opt_d"]["param_groups"][0]["lr"] == 4e-4
    assert PEAK_LR not in groups["opt_d"]["param_groups"][0]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["learning_rates"] == {"opt_g": [2e-4], "opt_d": [4e-4]}
