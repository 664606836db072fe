"""The progress line: its ETA follows the steps' pace, or a time limit that ends the run
sooner; the task display: a bar, plain lines, or nothing."""

import io
import re

from rich.console import Console

from ganforge.progress import ProgressDisplay, TaskProgress

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


def test_task_progress_prints_plain_lines_off_a_terminal(capsys):
    with TaskProgress.for_display(None, 3, "task") as shown:  # stderr is no terminal here
        assert not shown.interactive
        shown.step("loss 1.000")  # the status is for the bar only
        shown.line("task epoch 1/1 [not markup]")
    assert capsys.readouterr().err == "task epoch 1/1 [not markup]\n"


def test_task_progress_shows_nothing_when_display_is_false(capsys):
    with TaskProgress.for_display(False, 3, "task") as shown:
        shown.step("loss 1.000")
        shown.line("a line")
    assert capsys.readouterr().err == ""


def test_task_progress_bar_counts_steps_and_prints_lines_verbatim():
    console = Console(file=io.StringIO(), width=120)
    with TaskProgress(4, "task", console=console, interactive=True) as shown:
        shown.step("loss 0.5")
        shown.step("loss 0.4")
        shown.line("above the bar [bold]")
        assert shown._progress is not None
        assert shown._progress.tasks[0].completed == 2
    assert "above the bar [bold]" in console.file.getvalue()


def test_a_task_bar_started_inside_the_training_bar_is_drawn_nested_under_it(capsys):
    """The evaluator trained at a run's first --eval-every evaluation shows its bar under the
    live training bar (one console), not a second display redrawing the same lines."""
    with (
        ProgressDisplay(10, 0, "gan", interactive=True) as training,
        TaskProgress(4, "training the mnist evaluator", interactive=True) as task,
    ):
        assert task.console is training.console
        assert task._progress is not None and task._progress.live._nested
        task.step("loss 0.5")
        task.line("evaluator mnist epoch 1/1")
    err = capsys.readouterr().err
    assert "evaluator mnist epoch 1/1" in err and "training the mnist evaluator" in err
