"""What a fuzz target may do with a hostile input, and the runner of each target.

Allowed: success (exit 0, a 2xx answer) or a refusal in one line (exit 2 with one
``error: …`` line on stderr; a 4xx JSON answer with an ``"error"``). A traceback, any other
exit status, a 5xx, a hang, a secret from outside the run in any output, or a file written
outside the run is a failure. Each target's outcomes are counted (:data:`OUTCOMES`) and
shown at the end of the session (see ``conftest.py``).
"""

from __future__ import annotations

import contextlib
import faulthandler
import hashlib
import io
import json
import os
import signal
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, seed, settings

from ganforge.cli import main

# Hypothesis examples per target: small in CI (all fuzz tests together within about a
# minute on one core), thousands for a long hunt: GANFORGE_FUZZ_EXAMPLES=2000.
EXAMPLES = int(os.environ.get("GANFORGE_FUZZ_EXAMPLES", "20"))
# A fixed seed: derandomized by default (CI sees the same cases every time); another seed
# explores other cases, reproducibly.
SEED = os.environ.get("GANFORGE_FUZZ_SEED")
# The most one example may take before it counts as a hang (generous: a slow shared machine
# trains a resumed run's step in about a second).
EXAMPLE_CAP_S = int(os.environ.get("GANFORGE_FUZZ_EXAMPLE_CAP_S", "120"))

# A string that lives only outside the runs: it must never come back from a target.
SECRET = "OUTSIDE-SECRET-4a1d"
PASSWD = Path("/etc/passwd")
PASSWD_MARK = (PASSWD.read_text().splitlines() or ["root:x:0:0"])[0] if PASSWD.exists() else ""

OUTCOMES: defaultdict[str, Counter] = defaultdict(Counter)
# A file to append each outcome to as it happens ("target<TAB>outcome"): a long hunt's
# counts so far, should it be stopped before its end.
LOG = os.environ.get("GANFORGE_FUZZ_LOG")


def record(target: str, outcome: str) -> str:
    OUTCOMES[target][outcome] += 1
    if LOG:
        with open(LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{target}\t{outcome}\n")
    return outcome


def fuzz(test):
    """Hypothesis settings of every fuzz target: EXAMPLES cases, no deadline (the cap is
    per example, :func:`example_cap`), no database, a fixed seed."""
    configured = settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=SEED is None,
        suppress_health_check=list(HealthCheck),
    )(test)
    return seed(int(SEED))(configured) if SEED is not None else configured


class ExampleHang(AssertionError):
    """An example ran past :data:`EXAMPLE_CAP_S`."""


def _stop_the_session(seconds: int) -> None:
    """What a hang the cap's exception cannot end (a studio handler's thread waiting on a
    file) comes to: every thread's stack on the terminal, then the test process ends."""
    capture = CONFIG.pluginmanager.getplugin("capturemanager") if CONFIG else None
    if capture is not None:
        capture.suspend_global_capture(in_=True)
    sys.stderr.write(f"\n+++ a fuzz example hung for {seconds} s; every thread's stack:\n")
    faulthandler.dump_traceback(sys.stderr)
    sys.stderr.flush()
    os._exit(1)


CONFIG = None  # pytest's, set by conftest.py: to show a hard stop's stacks
HARD_GRACE_S = 60  # after the soft cap, before the hard stop


@contextlib.contextmanager
def example_cap(seconds: int = EXAMPLE_CAP_S) -> Iterator[None]:
    """Fail the example if it takes longer than ``seconds`` (a hang): an ExampleHang in the
    test's thread, and a minute later, if that did not end it, the whole session."""

    def expired(signum, frame):
        raise ExampleHang(f"the example ran past {seconds} s: a hang")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    watchdog = threading.Timer(seconds + HARD_GRACE_S, _stop_the_session, (seconds + HARD_GRACE_S,))
    watchdog.daemon = True
    watchdog.start()
    try:
        yield
    finally:
        watchdog.cancel()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def no_leak(text: str | bytes, where: str) -> None:
    """Neither the outside secret nor /etc/passwd's first line is in ``text``."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    assert SECRET not in text, f"{where} shows a secret from outside the run"
    assert not PASSWD_MARK or PASSWD_MARK not in text, f"{where} shows /etc/passwd"


def cli(*args: str) -> tuple[int, str, str]:
    """``ganforge ARGS`` in this process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "argv", ["ganforge", *map(str, args)])
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
                code = 0
            except SystemExit as exited:
                code = exited.code if isinstance(exited.code, int) else 0
    return code, out.getvalue(), err.getvalue()


def check_cli(target: str, *args: str, progress: bool = False) -> str:
    """Run ``ganforge ARGS`` and check its outcome; returns "ok" or "refused". With
    ``progress`` (train) lines before the error line are allowed (what it said it does)."""
    code, out, err = cli(*args)
    shown = f"ganforge {' '.join(map(str, args))}\nexit {code}\nstdout:\n{out}\nstderr:\n{err}"
    assert "Traceback" not in out + err, shown
    no_leak(out + err, f"ganforge {target}")
    if code == 0:
        outcome = "ok"
    else:
        lines = err.strip().splitlines()
        errors = [line for line in lines if line.startswith("error:")]
        assert code == 2, shown
        assert len(errors) == 1 and lines[-1] == errors[0], shown
        assert progress or len(lines) == 1, shown
        outcome = "refused"
    return record(target, outcome)


def check_response(target: str, response) -> str:
    """A studio answer: 2xx, or 4xx JSON with a one-line "error"; never the secret."""
    where = f"GET {response.request.url} -> {response.status_code}"
    no_leak(response.content, where)
    for value in response.headers.values():
        no_leak(value, where)
    assert response.status_code < 500, f"{where}: {response.text[:300]}"
    if response.status_code >= 400:
        body = json.loads(response.content)
        assert isinstance(body.get("error"), str), where
        assert body["error"] and "\n" not in body["error"], where
        outcome = "refused"
    else:
        assert 200 <= response.status_code < 300, where
        outcome = "ok"
    return record(target, outcome)


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` (symlinks not followed) with its kind and content hash:
    two equal snapshots mean nothing there was written, created or removed."""
    entries = {}
    for current, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            path = Path(current) / name
            key = path.relative_to(folder).as_posix()
            if path.is_symlink():
                entries[key] = "link:" + os.readlink(path)
            elif path.is_file():
                entries[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                entries[key] = "dir"
    return entries
