"""``summary.json``'s one schema: it writes exactly what the trainer wrote as a dict, reads
older summaries, and refuses a hostile file in one line naming the file and the field."""

import dataclasses
import json
import math
from pathlib import Path

import pytest

from ganforge.engine.trainer import Trainer
from ganforge.errors import CheckpointError
from ganforge.rundir.layout import RunLayout
from ganforge.rundir.summary import RunSummary, read_summary, write_summary

# A summary as the trainer built it, a dict, before RunSummary: every key, in its order.
OLD_FORMAT = {
    "recipe": "dcgan",
    "dataset": "mnist",
    "data_source": "data/mnist (IDX files)",
    "data_fingerprint": "0123456789abcdef",
    "data_split": {"test_split": "holdout", "holdout": 0.1, "test_images": 6000},
    "data_subset": {"limit": 1000, "seed": 0, "images": 1000, "of": 54000, "per_class": [100] * 10},
    "train_images": 60000,
    "params_g": 1234567,
    "params_d": 765432,
    "steps": 1875,
    "epochs": 4.0,
    "wall_time_s": 123.457,
    "images_per_s": 4860.2,
    "device": "cuda:0",
    "processes": 1,
    "precision": "bf16",
    "compiled": False,
    "peak_memory_mib": 812.5,
    "peak_memory_kind": "cuda allocated",
    "rollbacks": 0,
    "learning_rates": {"opt_g": [0.0002], "opt_d": [0.0002]},
    "final": {"step": 1875, "epoch": 4, "d_loss": 0.61, "g_loss": 1.93, "d_real": float("nan")},
    "evaluation": {"best_fid": 12.5, "best_epoch": 3},
    "versions": {"ganforge": "0.1.0", "git_commit": None, "torch": "2.4", "cpu_threads": 8},
}
# The keys of the first summaries (the later ones were added since).
FIRST_KEYS = (
    *("recipe", "dataset", "data_source", "data_fingerprint", "train_images", "params_g"),
    *("params_d", "steps", "epochs", "wall_time_s", "images_per_s", "device", "final"),
    "versions",
)


def summary(**changes) -> RunSummary:
    return dataclasses.replace(RunSummary(**OLD_FORMAT), **changes)


def test_to_dict_is_the_old_dict_format_key_for_key_in_order():
    assert list(RunSummary(**OLD_FORMAT).to_dict()) == list(OLD_FORMAT)
    assert json.dumps(RunSummary(**OLD_FORMAT).to_dict(), indent=2) == json.dumps(
        OLD_FORMAT, indent=2
    )
    without = {k: v for k, v in OLD_FORMAT.items() if k != "evaluation"}
    assert list(summary(evaluation=None).to_dict()) == list(without)  # as without an eval


def test_write_then_read_is_the_same_file_and_record(tmp_path):
    layout = RunLayout(tmp_path)
    assert write_summary(layout, RunSummary(**OLD_FORMAT)) == layout.summary
    assert layout.summary.read_text() == json.dumps(OLD_FORMAT, indent=2)  # as the trainer did
    back = read_summary(layout)
    assert math.isnan(back.final["d_real"])
    assert json.dumps(back.to_dict(), indent=2) == json.dumps(OLD_FORMAT, indent=2)
    again = read_summary(layout.summary)  # a path works as the layout does
    assert json.dumps(again.to_dict()) == json.dumps(back.to_dict())
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically, nothing left beside it


def test_a_summary_of_an_older_version_reads_and_writes_back_as_it_was(tmp_path):
    old = {k: OLD_FORMAT[k] for k in FIRST_KEYS}
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(old, indent=2))
    read = read_summary(path)
    assert read.processes is None and read.learning_rates is None and read.evaluation is None
    assert json.dumps(read.to_dict(), indent=2) == path.read_text()  # NaN == NaN as text
    unknown = {**OLD_FORMAT, "added_by_a_later_version": [1, 2]}  # ignored, not an error
    path.write_text(json.dumps(unknown))
    assert json.dumps(read_summary(path).to_dict()) == json.dumps(OLD_FORMAT)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "is not a run summary: expected a JSON object, got an array"),
        ('"steps"', "is not a run summary: expected a JSON object, got a string"),
        (json.dumps({**OLD_FORMAT, "steps": "12"}), "'steps' must be an integer, got a string"),
        (json.dumps({**OLD_FORMAT, "steps": True}), "'steps' must be an integer, got a boolean"),
        (json.dumps({**OLD_FORMAT, "epochs": None}), "'epochs' must be a number, got null"),
        (
            json.dumps({**OLD_FORMAT, "final": {"d_loss": "x\ny"}}),
            "'final' must be an object of numbers, got an object",
        ),
        (
            json.dumps({**OLD_FORMAT, "learning_rates": {"opt_g": 1e-4}}),
            "'learning_rates' must be an object of arrays of numbers or null, got an object",
        ),
        (
            json.dumps({k: v for k, v in OLD_FORMAT.items() if k != "steps"}),
            "is not a run summary: 'steps' is missing",
        ),
        ("{not json", "is not valid JSON: Expecting property name"),
        ("[" * 100_000, "is not valid JSON: maximum recursion depth exceeded"),
        ("[" * 40 + "]" * 40, "nests JSON more than 32 levels deep"),
    ],
)
def test_a_hostile_summary_is_a_one_line_error_naming_file_and_field(tmp_path, text, message):
    path = tmp_path / "summary.json"
    path.write_text(text)
    with pytest.raises(CheckpointError) as err:
        read_summary(path)
    line = str(err.value)
    assert len(line.splitlines()) == 1 and line.startswith(str(path)) and message in line


def test_a_missing_or_undecodable_file_is_a_one_line_error(tmp_path):
    with pytest.raises(
        CheckpointError, match=r"summary.json cannot be read \(run summary\): No such file"
    ):
        read_summary(RunLayout(tmp_path / "nowhere"))
    (tmp_path / "summary.json").write_bytes(b'{"recipe": "\xff"}')
    with pytest.raises(CheckpointError, match="is not valid JSON: 'utf-8' codec"):
        read_summary(tmp_path / "summary.json")


def test_the_trainers_summary_reads_back_key_for_key(tmp_path, tiny_data, tiny_config):
    run = tmp_path / "run"
    Trainer(tiny_config(), run, data=tiny_data, display=False).run()
    written = json.loads(RunLayout(run).summary.read_text())
    read = read_summary(RunLayout(run))
    assert list(read.to_dict()) == list(written) and read.to_dict() == written
    assert read.steps > 0 and read.params_g > 0 and read.processes == 1


def test_the_record_names_every_key_of_the_old_format():
    assert [f.name for f in dataclasses.fields(RunSummary)] == list(OLD_FORMAT)
    for name in FIRST_KEYS:  # required: every summary ever written has them
        field = {f.name: f for f in dataclasses.fields(RunSummary)}[name]
        assert field.default is dataclasses.MISSING, name


def test_write_summary_to_a_path(tmp_path: Path):
    path = tmp_path / "deep" / "s.json"
    assert write_summary(path, summary(rollbacks=2)) == path
    assert json.loads(path.read_text())["rollbacks"] == 2
