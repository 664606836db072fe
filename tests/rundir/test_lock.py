"""One training per run directory: the second is refused by name and PID; a released or
killed holder leaves nothing stuck."""

import errno
import os
import signal
import subprocess
import sys

import pytest

from ganforge.engine.trainer import Trainer, train
from ganforge.errors import GanforgeError, WriteError
from ganforge.rundir import lock as run_lock
from ganforge.rundir.lock import LOCK_NAME, RunLock, RunLocked

# A holder in its own process: takes the lock, says so, then waits to be killed.
HOLDER = """
import sys, time
from ganforge.rundir.lock import RunLock
lock = RunLock(sys.argv[1]).acquire()  # kept referenced: held until killed
print("locked", flush=True)
time.sleep(60)
"""


def test_second_trainer_on_the_same_directory_is_refused_until_the_first_ends(
    tmp_path, tiny_data, tiny_config
):
    run = tmp_path / "run"
    first = Trainer(tiny_config(steps=2), run, data=tiny_data, display=False)
    with pytest.raises(RunLocked) as refused:
        Trainer(tiny_config(steps=4), run, data=tiny_data, resume=True, display=False)
    message = str(refused.value)
    assert "\n" not in message
    assert str(run) in message and f"PID {os.getpid()}" in message
    assert (run / LOCK_NAME).read_text().strip() == str(os.getpid())

    first.run()  # ends, and with it the lock
    result = train(tiny_config(steps=4), run, data=tiny_data, resume=True, display=False)
    assert result.step == 4


def test_lock_is_released_when_the_run_fails(tmp_path, tiny_data, tiny_config, monkeypatch):
    run = tmp_path / "run"
    trainer = Trainer(tiny_config(steps=2), run, data=tiny_data, display=False)

    def crash(batches):
        raise RuntimeError("boom")

    monkeypatch.setattr(trainer, "train_step", crash)
    with pytest.raises(RuntimeError, match="boom"):
        trainer.run()
    with RunLock(run):  # free again
        pass


def test_refused_setup_releases_the_lock_and_leaves_no_empty_folder(tmp_path, tiny_data):
    from ganforge.setup.build import make_config

    missing = tmp_path / "typo"
    with pytest.raises(GanforgeError, match="nothing to resume"):
        Trainer(make_config("gan"), missing, data=tiny_data, resume=True)
    assert not missing.exists()
    existing = tmp_path / "existing"
    existing.mkdir()
    with pytest.raises(GanforgeError, match="nothing to resume"):
        Trainer(make_config("gan"), existing, data=tiny_data, resume=True)
    assert list(existing.iterdir()) == []  # no stray train.lock


def test_release_deletes_the_lock_file(tmp_path):
    run = tmp_path / "run"
    lock = RunLock(run).acquire()
    assert (run / LOCK_NAME).exists()
    lock.release()
    assert not (run / LOCK_NAME).exists()


def test_a_closed_trainer_does_not_run(tmp_path, tiny_data, tiny_config):
    trainer = Trainer(tiny_config(steps=2), tmp_path / "run", data=tiny_data, display=False)
    trainer.close()
    with pytest.raises(RuntimeError, match="this Trainer was closed"):
        trainer.run()


def test_a_lock_file_deleted_by_its_releasing_holder_is_not_locked_alone(tmp_path, monkeypatch):
    """The holder deletes train.lock on release; a process that opened the old file just
    before locks a file no one else can find, notices, and locks the new one instead."""
    run = tmp_path / "run"
    real_flock, calls = run_lock.fcntl.flock, []

    def flock_after_a_release(fd, op):
        calls.append(fd)
        if len(calls) == 1:  # between our open and our flock, the holder lets go
            (run / LOCK_NAME).unlink()
        return real_flock(fd, op)

    monkeypatch.setattr(run_lock.fcntl, "flock", flock_after_a_release)
    lock = RunLock(run).acquire()
    monkeypatch.undo()
    assert len(calls) == 2  # it tried again
    assert os.fstat(lock._fd).st_ino == os.stat(run / LOCK_NAME).st_ino
    with pytest.raises(RunLocked):
        RunLock(run).acquire()  # the next training finds the lock we hold
    lock.release()


def test_a_file_system_without_locks_is_a_one_line_error(tmp_path, monkeypatch):
    def no_locks(fd, op):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(run_lock.fcntl, "flock", no_locks)
    with pytest.raises(GanforgeError, match=r"could not lock .*train\.lock: No locks available"):
        RunLock(tmp_path / "run").acquire()


def test_a_run_folder_that_may_not_be_written_is_a_one_line_write_error(tmp_path, monkeypatch):
    real_open = os.open

    def read_only(path, flags, *args):
        if str(path).endswith(LOCK_NAME):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(run_lock.os, "open", read_only)
    run = tmp_path / "run"
    with pytest.raises(WriteError) as info:
        RunLock(run).acquire()
    assert str(info.value) == (
        f"could not write {run / LOCK_NAME}: Read-only file system; make {run} writable (or "
        "write elsewhere), then run the same command again"
    )


def test_a_killed_holder_leaves_no_stuck_lock(tmp_path):
    run = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(run)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunLocked, match=f"PID {holder.pid} holds"):
            RunLock(run).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        holder.stdout.close()
    # The dead holder's PID is still in the file, but the kernel dropped its lock.
    assert (run / LOCK_NAME).read_text().strip() == str(holder.pid)
    lock = RunLock(run).acquire()
    assert (run / LOCK_NAME).read_text().strip() == str(os.getpid())
    lock.release()
