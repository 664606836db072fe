"""The progress line: its ETA follows the steps' pace, or a time limit that ends the run
sooner."""

import re

from ganforge.progress import ProgressDisplay

STATS = {"d_loss": 1.0, "g_loss": 2.0, "d_real": 0.5, "d_fake": 0.4}


def eta_of(capsys, **kwargs) -> float:
    bar = ProgressDisplay(1_000_000, 0, "gan", interactive=False)
    bar._t0 -= 10.0  # ten seconds for the first ten steps: 1 s a step
    with bar:
        bar.update(10, 0.1, STATS, 123.0, **kwargs)
    line = capsys.readouterr().err
    assert "gan step 10/1000000" in line and "123 img/s" in line
    return float(re.search(r"ETA (\d+)s", line).group(1))


def test_eta_follows_the_pace_of_the_steps(capsys):
    assert 999_000 < eta_of(capsys) < 1_000_000


def test_a_time_limit_shortens_the_eta(capsys):
    assert eta_of(capsys, time_left=35.2) == 35
    assert eta_of(capsys, time_left=-3.0) == 0  # past the limit: the step ends the run
