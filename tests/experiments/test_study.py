"""A study's runs on tiny random data: failures do not stop the others, finished runs are
skipped and cut-short ones continued, settings are checked, and the progress line."""

import json
from pathlib import Path

import pytest
import yaml

from ganforge.engine.trainer import Trainer, TrainingInterrupted
from ganforge.errors import ConfigError, WriteError
from ganforge.experiments.study import (
    StudyProgress,
    StudyRun,
    arms,
    check_existing,
    check_fresh,
    finished,
    format_duration,
    train_all,
)
from ganforge.rundir.metrics_log import read_csv_rows
from ganforge.rundir.summary import write_summary


def plan(tmp_path: Path, tiny_config, **train) -> list[StudyRun]:
    """Arm ``a`` with seeds 0 and 1, arm ``b`` with seed 0: 3 runs of 3 tiny epochs."""
    return [
        StudyRun(
            arm, f"arm {arm}", seed, tiny_config(seed=seed, **train), tmp_path / arm / f"seed{seed}"
        )
        for arm, seed in (("a", 0), ("a", 1), ("b", 0))
    ]


def test_a_failing_run_is_recorded_and_the_others_finish(
    tmp_path, tiny_data, tiny_config, trainers, monkeypatch
):
    runs = plan(tmp_path, tiny_config)
    run = Trainer.run

    def fails_for_a1(self, stop_at=None, exporter=None):
        if self.layout.root == runs[1].dir:
            self.close()
            raise RuntimeError("out of luck\nsecond line")
        return run(self, stop_at, exporter)

    monkeypatch.setattr(Trainer, "run", fails_for_a1)
    said = []
    outcomes = train_all(runs, tiny_data, None, said.append, arm_word="recipe")
    assert set(outcomes.summaries) == {runs[0].dir, runs[2].dir}
    assert outcomes.failures == {runs[1].dir: "RuntimeError: out of luck"}
    assert "Traceback" in outcomes.tracebacks[runs[1].dir]
    assert said[0].startswith(f"[1/3] arm a seed 0 (recipe 1 of 2) → {runs[0].dir}")
    assert said[2] == "  arm a seed 1 failed: RuntimeError: out of luck"
    assert said[3].startswith("[3/3] arm b seed 0 (recipe 2 of 2)")

    # Again: the finished runs are skipped, the failed one is trained afresh.
    monkeypatch.setattr(Trainer, "run", run)
    trainers.clear()
    said.clear()
    outcomes = train_all(runs, tiny_data, None, said.append)
    assert trainers == [(runs[1].dir, False)]
    assert said[0] == "[1/3] arm a seed 0 (arm 1 of 2): finished before, skipped"
    assert len(outcomes.summaries) == 3 and not outcomes.failures


def test_a_cut_short_run_is_continued_and_an_interruption_stops_the_study(
    tmp_path, tiny_data, tiny_config, trainers, monkeypatch
):
    runs = plan(tmp_path, tiny_config)
    # Stopped at step 5 of 12 (as by Ctrl-C, which writes a summary at that step too)
    Trainer(runs[0].cfg, runs[0].dir, data=tiny_data).run(stop_at=5)
    assert not finished(runs[0])
    trainers.clear()
    outcomes = train_all(runs[:1], tiny_data, None)
    assert trainers == [(runs[0].dir, True)]
    assert outcomes.summaries[runs[0].dir].steps == 12
    steps = [r["step"] for r in read_csv_rows(runs[0].dir / "metrics" / "batches.csv")]
    assert steps == list(range(1, 13))  # continued from step 5, not retrained

    def interrupted(self, stop_at=None, exporter=None):
        self.close()
        raise TrainingInterrupted("SIGINT at step 3")

    monkeypatch.setattr(Trainer, "run", interrupted)
    with pytest.raises(TrainingInterrupted, match="rerun the same command"):
        train_all(runs[1:], tiny_data, None)


def test_runs_made_with_other_settings_are_refused(tmp_path, tiny_config):
    (run,) = plan(tmp_path, tiny_config, steps=5)[:1]
    run.dir.mkdir(parents=True)
    (run.dir / "config.yaml").write_text(yaml.safe_dump(run.cfg.to_dict()))
    (same,) = plan(tmp_path, tiny_config, steps=5, device="cpu", eval_every=1)[:1]
    check_existing(same)  # where it trains and what it measures on the way: not the run
    (other,) = plan(tmp_path, tiny_config, steps=6)[:1]
    with pytest.raises(ConfigError, match=r"was trained with train\.steps=5, this study asks 6"):
        check_existing(other)
    with pytest.raises(ConfigError, match=r"already holds runs .* pass --reuse"):
        check_fresh([run], tmp_path)
    check_fresh(plan(tmp_path / "new", tiny_config), tmp_path / "new")


def test_progress_estimates_the_time_left(tmp_path, tiny_config):
    runs = plan(tmp_path, tiny_config, time_limit=60.0)
    progress = StudyProgress(runs, "recipe")
    assert progress.eta_s() == 180.0  # before any run: the time limit of each
    assert "training ETA 3 min" in progress.line(runs[0], done=False)
    progress.ran(runs[0], 80.0)
    progress.ran(runs[1], None)  # failed: not a measure of a run's time
    assert progress.eta_s() == 80.0
    untimed = plan(tmp_path, tiny_config)
    assert (
        StudyProgress(untimed, "recipe")
        .line(untimed[0], done=False)
        .endswith("training ETA known after the first run")
    )
    assert [format_duration(s) for s in (45, 720, 3900)] == ["45 s", "12 min", "1 h 05 min"]
    assert arms(runs) == [("a", "arm a"), ("b", "arm b")]


def test_finished_means_the_whole_budget(tmp_path, tiny_config, run_summary):
    def with_summary(**train) -> StudyRun:  # the same run directory, other plans
        return plan(tmp_path, tiny_config, **train)[0]

    run = with_summary()  # 3 epochs
    assert not finished(run)  # no summary
    run.dir.mkdir(parents=True)
    summary = run.dir / "summary.json"
    write_summary(summary, run_summary(steps=8, epochs=2.0, wall_time_s=1.0))
    assert not finished(run)
    write_summary(summary, run_summary(steps=12, epochs=3.0, wall_time_s=1.0))
    assert finished(run)
    assert not finished(with_summary(steps=20)) and finished(with_summary(steps=12))
    write_summary(summary, run_summary(steps=5, epochs=1.25, wall_time_s=60.01))
    assert finished(with_summary(epochs=1000, time_limit=60.0))  # its time is up
    assert not finished(with_summary(epochs=1000, time_limit=90.0))
    summary.write_text("{")
    assert not finished(run)
    summary.write_text(json.dumps({"steps": 12, "epochs": 3.0, "wall_time_s": 1.0}))
    assert not finished(run)  # no run summary (its recipe, device, ... missing)


def test_a_full_disk_stops_the_study_and_says_how_to_continue_it(
    tmp_path, tiny_data, tiny_config, monkeypatch
):
    """The runs after would fail alike: the study stops at the first, in one line."""
    runs = plan(tmp_path, tiny_config)
    target = runs[0].dir / "checkpoints" / "last.safetensors"

    def disk_full(self, stop_at=None, exporter=None):
        self.close()
        raise WriteError(target, "No space left on device", full=True, what="checkpoint")

    monkeypatch.setattr(Trainer, "run", disk_full)
    with pytest.raises(WriteError) as info:
        train_all(runs, tiny_data, None)
    assert str(info.value) == (
        f"could not write checkpoint {target}: No space left on device; free space, then run "
        "the same command again (with --reuse where it has one) to continue the study: "
        "finished runs are kept, cut-short ones resume"
    )
    assert not runs[1].dir.exists()  # not tried
