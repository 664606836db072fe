"""The progress line: its ETA follows the steps' pace, or a time limit that ends the run
sooner; the task display: a bar, plain lines, or nothing."""

import io
import re

from rich.console import Console

from ganforge.progress import ProgressDisplay, TaskProgress, format_eta, format_rate

STATS = {"d_loss": 1.0, "g_loss": 2.0, "d_real": 0.5, "d_fake": 0.4}


def line_of(capsys, total=1_000_000, step=10, rate=123.0, **kwargs) -> str:
    """The plain line of ``step`` after ten seconds (1 s a step for ten steps)."""
    bar = ProgressDisplay(total, 0, "gan", interactive=False, **kwargs.pop("display", {}))
    bar._t0 -= 10.0
    with bar:
        bar.update(step, 0.1, STATS, rate, **kwargs)
    return capsys.readouterr().err


def eta_of(capsys, **kwargs) -> str:
    line = line_of(capsys, **kwargs)
    return re.search(r"ETA (.+)$", line.strip()).group(1)


def test_eta_follows_the_pace_of_the_steps(capsys):
    line = line_of(capsys)
    assert "gan step 10/1000000 epoch" in line and "123 img/s" in line
    assert eta_of(capsys).startswith("277h ")  # 999,990 steps at 1 s a step
    assert eta_of(capsys, total=100) == "1m 30s"
    assert eta_of(capsys, total=40) == "30s"


def test_a_time_limit_shortens_the_eta_and_shows_the_budget_not_a_placeholder_total(capsys):
    """Under a time budget (compare --budget-minutes) the step total is a placeholder the run
    never reaches: the line shows the training seconds of the budget instead."""
    budget = {"display": {"time_limit": 45.0}}
    line = line_of(capsys, elapsed=9.8, **budget)
    assert "gan step 10, 9.8/45 s epoch 0.10" in line and "/1000000" not in line
    assert eta_of(capsys, elapsed=9.8, **budget) == "35s"
    # The steps end the run first: their count shows, and their pace gives the ETA.
    line = line_of(capsys, total=20, elapsed=9.8, **budget)
    assert "gan step 10/20 epoch" in line and "ETA 10s" in line


def test_eta_is_0s_only_when_no_work_remains(capsys):
    budget = {"display": {"time_limit": 45.0}}
    assert eta_of(capsys, elapsed=44.6, **budget) == "<1s"  # 0.4 s left: not "0s"
    assert eta_of(capsys, elapsed=45.2, **budget) == "0s"  # past the limit: the step ends it
    assert eta_of(capsys, total=100, step=100) == "0s"
    assert format_eta(0.4) == "<1s" and format_eta(0.0, over=True) == "0s"
    assert format_eta(3725) == "1h 02m"


def test_a_slow_rate_is_never_shown_as_0(capsys):
    """acgan-mult trains at about 1 image/s on a loaded 2-core CPU (batch 8, 14.8 M
    parameters in G): ``{:,.0f}`` showed that as ``0 img/s``."""
    assert "0.42 img/s" in line_of(capsys, rate=0.42)
    assert "1.37 img/s" in line_of(capsys, rate=1.372)
    assert [format_rate(x) for x in (0.0, 0.042, 27.34, 99.96, 771.2, 26492.0)] == [
        "0", "0.042", "27.3", "100", "771", "26,492",
    ]  # fmt: skip


def test_the_bar_counts_training_seconds_under_a_time_budget():
    console = Console(file=io.StringIO(), width=200)
    bar = ProgressDisplay(312_000, 0, "dcgan", console, interactive=True, time_limit=12.0)
    with bar:
        bar.update(20, 0.06, STATS, 237.0, elapsed=3.0)
        task = bar._progress.tasks[0]
        assert (task.completed, task.total) == (3.0, 12.0)
        assert task.fields["count"] == "20, 3.0/12 s"
        bar.update(21, 0.06, STATS, 237.0, elapsed=12.4)  # the step that passed the limit
        task = bar._progress.tasks[0]
        assert (task.completed, task.fields["count"]) == (12.0, "21, 12.4/12 s")


def test_an_80_column_terminal_shows_the_whole_line():
    """The statistics go below the bar: on one line an 80-column terminal cut the count, the
    statistics, the speed and the ETA short (``dcg… 11, 4.0/… r1 0.7… 83 im… ETA …``)."""
    console = Console(file=io.StringIO(), width=80, force_terminal=True, color_system=None)
    stats = {**STATS, "cls_loss": 2.559, "cls_acc": 0.281}
    bar = ProgressDisplay(312_000, 0, "improved-dcgan-classic", console, interactive=True)
    with bar:
        bar._t0 -= 100.0
        bar.update(1234, 0.06, stats, 8.98)
        bar._progress.refresh()
    text = console.file.getvalue()
    assert "…" not in text
    for part in ("improved-dcgan-classic", "1234/312000", "8.98 img/s", "ETA 6h 59m"):
        assert part in text, part
    assert "D 1.000  G 2.000  D(x) 0.500  D(G(z)) 0.400  cls_loss 2.559  cls_acc 0.281" in text


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
