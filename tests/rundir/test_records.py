"""The read gate (rundir/records.py): bounded reads of regular files only, JSON of bounded
depth, one-line errors naming the file."""

import os

import pytest

from ganforge.errors import RunFileError
from ganforge.rundir.records import read_bounded, read_json


def test_a_read_is_bounded_and_names_the_file(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_bytes(b"x" * (2**20 + 1))
    assert read_bounded(path, 2**21, "metrics", RunFileError) == b"x" * (2**20 + 1)
    with pytest.raises(RunFileError, match=f"{path} is larger than 1 MiB"):
        read_bounded(path, 2**20, "metrics", RunFileError)


@pytest.mark.timeout(60)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_or_a_folder_is_refused_without_waiting(tmp_path):
    """Found by tests/fuzz: a run whose summary.json or metrics/batches.csv was a FIFO made
    the studio's run page (and resume) wait forever for a writer."""
    fifo = tmp_path / "summary.json"
    os.mkfifo(fifo)
    with pytest.raises(RunFileError, match=r"summary\.json is not a regular file"):
        read_bounded(fifo, 100, "run summary", RunFileError)
    with pytest.raises(RunFileError, match="is not a regular file"):
        read_json(fifo, "run summary", RunFileError)
    with pytest.raises(RunFileError, match=r"cannot be read \(run summary\): Is a directory"):
        read_bounded(tmp_path, 100, "run summary", RunFileError)
