"""The commands that redo a comparison and an ablation, as their reports show them."""

from pathlib import Path

from ganforge.experiments.ablation_results import ablate_command
from ganforge.experiments.comparison_results import compare_command, compare_options


def test_compare_options_spell_out_the_defaults_and_name_the_rest():
    assert compare_options(3, "mnist", 10_000, 2000) == [
        "--seeds=3",
        "--dataset=mnist",
        "--eval-samples=10000",
        "--curve-samples=2000",
    ]
    options = compare_options(1, "mnist", 100, 0, 2, 0.5, "cuda", ["train.log_every=5"])
    assert options[4:] == [
        "--budget-epochs=2",
        "--budget-minutes=0.5",
        "--device=cuda",
        "--set=train.log_every=5",
    ]
    command = compare_command(["gan"], Path("o u t"), options[:1], Path("d"))
    assert command == "ganforge compare gan --seeds=1 --data-dir d --out 'o u t'"


def test_ablate_command_names_the_budget_seeds_and_data():
    args = ("improved-dcgan", Path("runs/a"), 3, 5, None, "mnist", None, 1000, 0)
    assert ablate_command(*args) == (
        "ganforge ablate improved-dcgan --budget-epochs 5 --seeds 3 --eval-samples 1000 "
        "--curve-samples 0 --dataset mnist --out runs/a"
    )
    args = ("improved-dcgan", Path("runs/a"), 1, 5, 40, "fashion-mnist", Path("d"), 100, 50)
    assert ablate_command(*args) == (
        "ganforge ablate improved-dcgan --steps 40 --seeds 1 --eval-samples 100 "
        "--curve-samples 50 --dataset fashion-mnist --data-dir d --out runs/a"
    )
