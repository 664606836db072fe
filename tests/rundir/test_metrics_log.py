"""CsvLog: append, read back, truncate on resume, survive a torn last line."""

import errno
import math
import os
from pathlib import Path

import pytest

from ganforge.errors import GanforgeError, WriteError
from ganforge.rundir.metrics_log import CsvLog, read_csv_rows

FIELDS = ["step", "d_loss", "g_loss"]


def rows(start: int, stop: int) -> list[dict[str, float]]:
    return [{"step": s, "d_loss": 1 / s, "g_loss": 0.1 * s} for s in range(start, stop + 1)]


def test_header_written_on_creation(tmp_path: Path) -> None:
    log = CsvLog(tmp_path / "runs" / "batches.csv", FIELDS)
    assert log.path.read_text() == "step,d_loss,g_loss\n"
    assert log.read() == []


def test_append_read_round_trip_is_exact(tmp_path: Path) -> None:
    log = CsvLog(tmp_path / "b.csv", FIELDS)
    log.write_rows(rows(1, 3))
    log.write_rows([{"step": 4, "d_loss": 0.1 + 0.2, "g_loss": -1e-300}])
    got = log.read()
    assert [r["step"] for r in got] == [1.0, 2.0, 3.0, 4.0]
    assert got[2]["d_loss"] == 1 / 3  # repr precision, no rounding
    assert got[3]["d_loss"] == 0.1 + 0.2
    assert got[3]["g_loss"] == -1e-300


def test_each_write_is_visible_immediately(tmp_path: Path) -> None:
    log = CsvLog(tmp_path / "b.csv", FIELDS)
    log.write_rows(rows(1, 1))
    # Another reader (the web UI, plots) sees the row without the log being closed.
    assert len(read_csv_rows(tmp_path / "b.csv")) == 1


def test_missing_keys_are_nan_and_unknown_keys_raise(tmp_path: Path) -> None:
    log = CsvLog(tmp_path / "b.csv", FIELDS)
    log.write_rows([{"step": 1, "d_loss": 0.5}])
    assert math.isnan(log.read()[0]["g_loss"])
    with pytest.raises(ValueError):
        log.write_rows([{"step": 2, "gp": 1.0}])


def test_reopen_appends_and_checks_header(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    CsvLog(path, FIELDS).write_rows(rows(1, 2))
    CsvLog(path, FIELDS).write_rows(rows(3, 3))
    assert [r["step"] for r in read_csv_rows(path)] == [1.0, 2.0, 3.0]
    with pytest.raises(GanforgeError, match="columns"):
        CsvLog(path, ["step", "d_loss"])


def test_truncate_then_resume_equals_uninterrupted_run(tmp_path: Path) -> None:
    straight = CsvLog(tmp_path / "straight.csv", FIELDS)
    straight.write_rows(rows(1, 10))

    resumed_path = tmp_path / "resumed.csv"
    CsvLog(resumed_path, FIELDS).write_rows(rows(1, 7))  # interrupted after step 7
    log = CsvLog(resumed_path, FIELDS)  # checkpoint was at step 5
    log.truncate_after(5)
    assert [r["step"] for r in log.read()] == [1.0, 2.0, 3.0, 4.0, 5.0]
    log.write_rows(rows(6, 10))
    assert resumed_path.read_bytes() == straight.path.read_bytes()


def test_truncate_by_other_key_and_unknown_key(tmp_path: Path) -> None:
    log = CsvLog(tmp_path / "e.csv", ["epoch", "d_loss"])
    log.write_rows([{"epoch": e, "d_loss": 0.0} for e in range(4)])
    log.truncate_after(1, key="epoch")
    assert [r["epoch"] for r in log.read()] == [0.0, 1.0]
    with pytest.raises(KeyError):
        log.truncate_after(1)


def test_torn_last_line_is_ignored_and_repaired(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    CsvLog(path, FIELDS).write_rows(rows(1, 3))
    with path.open("a") as f:
        f.write("1")  # killed while writing step 123: would parse as step 1
    assert [r["step"] for r in read_csv_rows(path)] == [1.0, 2.0, 3.0]
    log = CsvLog(path, FIELDS)  # reopening repairs the file so appends start on a new line
    log.write_rows(rows(4, 4))
    assert [r["step"] for r in log.read()] == [1.0, 2.0, 3.0, 4.0]


def test_read_missing_or_empty_file(tmp_path: Path) -> None:
    assert read_csv_rows(tmp_path / "absent.csv") == []
    (tmp_path / "empty.csv").write_text("")
    assert read_csv_rows(tmp_path / "empty.csv") == []


def test_invalid_fieldnames(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        CsvLog(tmp_path / "b.csv", ["step", "step"])


@pytest.mark.parametrize(
    "content, message",
    [
        (bytes(range(256)) * 4, "not UTF-8 text"),
        (b"step,d_loss\n1," + b"9" * 200_000 + b"\n", "field larger than field limit"),
    ],
    ids=["binary", "huge field"],
)
def test_a_log_that_is_not_ganforges_is_one_line(tmp_path, content, message) -> None:
    from ganforge.errors import RunFileError

    path = tmp_path / "batches.csv"
    path.write_bytes(content)
    for read in (lambda: read_csv_rows(path), lambda: CsvLog(path, ["step", "d_loss"])):
        with pytest.raises(RunFileError) as err:
            read()
        assert message in str(err.value) and str(path) in str(err.value)


def test_an_append_on_a_full_disk_is_one_write_error_and_keeps_the_rows_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = CsvLog(tmp_path / "batches.csv", FIELDS)
    log.write_rows(rows(1, 2))
    real_open = Path.open

    class FullDisk:  # the OS takes half the text, then reports the disk full
        def __init__(self, f) -> None:
            self.f = f

        def write(self, text: str) -> int:
            self.f.write(text[: len(text) // 2])
            self.f.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def flush(self) -> None:
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.f.close()

    monkeypatch.setattr(Path, "open", lambda self, *a, **k: FullDisk(real_open(self, *a, **k)))
    with pytest.raises(WriteError) as info:
        log.write_rows(rows(3, 4))
    assert str(info.value) == (
        f"could not write {log.path}: No space left on device; free space, then run the same "
        "command again"
    )
    monkeypatch.undo()
    assert not log.path.read_text().endswith("\n")  # a torn row
    assert [r["step"] for r in CsvLog(log.path, FIELDS).read()] == [1.0, 2.0]
