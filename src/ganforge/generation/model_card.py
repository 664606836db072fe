"""The model card of an exported model (``README.md``): YAML front matter as the Hugging Face
Hub reads it (library, license, tags, datasets, metrics), the sample grid, what the model is,
how it was measured (or that it was not), how to load it and how to train it again."""

from __future__ import annotations

import math
from pathlib import PurePath
from typing import Any

import yaml

from ganforge.config.schema import CUSTOM_DATASET, SUBSET_KEYS

LICENSE = "mit"  # ganforge's own (pyproject.toml), which an export carries
HUB_DATASETS = {"mnist": "ylecun/mnist", "fashion-mnist": "zalando-datasets/fashion_mnist"}
# The metrics a card shows, by their key in metrics.json: (Hub metric id, label).
CARD_METRICS = {
    "fid": ("fid", "FID"),
    "kid_mean": ("kid", "KID"),
    "precision": ("precision", "precision"),
    "recall": ("recall", "recall"),
    "density": ("density", "density"),
    "coverage": ("coverage", "coverage"),
    "inception_score_mean": ("inception_score", "Inception Score"),
    "conditional_accuracy": ("accuracy", "conditional accuracy"),
}


def data_label(config: dict[str, Any]) -> str:
    """The training data as a reader knows it: a known dataset's name, else the folder or
    file of the user's own images (its name, not its path on the trainer's machine)."""
    if config["dataset"] == CUSTOM_DATASET and config.get("data"):
        return f"own images ({PurePath(str(config['data'])).name})"
    return str(config["dataset"])


def card_metrics(metrics: dict[str, Any] | None) -> dict[str, float]:
    """The finite numbers of :data:`CARD_METRICS` that ``metrics`` (metrics.json) holds."""
    found = {}
    for key in CARD_METRICS:
        value = (metrics or {}).get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            found[key] = float(value)
    return found


def protocol_line(metrics: dict[str, Any]) -> str:
    """How the numbers were measured: protocol, evaluator and sample sizes."""
    ev = metrics.get("evaluator") if isinstance(metrics.get("evaluator"), dict) else {}
    return (
        f"Measured by `ganforge evaluate` (protocol `{metrics.get('protocol')}`): "
        f"n = {_count(metrics.get('n_fake'))} generated images against "
        f"{_count(metrics.get('n_real'))} test images, in the features of ganforge's own "
        "classifier of the training data "
        f"(weights `{ev.get('weights_hash')}`, test accuracy {ev.get('test_accuracy')}), "
        "not Inception-V3's: not comparable with published FIDs"
    )


def front_matter(config: dict[str, Any], metrics: dict[str, Any] | None) -> dict[str, Any]:
    """The card's YAML metadata."""
    dataset, recipe = config["dataset"], config["recipe"]
    task = "unconditional-image-generation"
    tags = ["ganforge", "gan", "pytorch", "image-generation", recipe]
    tags += [dataset] if dataset != CUSTOM_DATASET else []
    if config["conditional"]:
        tags.append("class-conditional")
    meta: dict[str, Any] = {"library_name": "ganforge", "license": LICENSE, "tags": tags}
    meta["pipeline_tag"] = task
    if dataset in HUB_DATASETS:
        meta["datasets"] = [HUB_DATASETS[dataset]]
    found = card_metrics(metrics)
    if metrics and found:
        meta["metrics"] = [CARD_METRICS[k][0] for k in found]
        results = [
            {"type": CARD_METRICS[k][0], "name": CARD_METRICS[k][1], "value": round(v, 6)}
            for k, v in found.items()
        ]
        data = {
            "name": f"{data_label(config)}, test split",
            "type": HUB_DATASETS.get(dataset, dataset),
        }
        meta["model-index"] = [
            {
                "name": f"{recipe}-{dataset}",
                "results": [{"task": {"type": task}, "dataset": data, "metrics": results}],
            }
        ]
    return meta


def model_card(
    config: dict[str, Any], metrics: dict[str, Any] | None, summary: str, grid_note: str
) -> str:
    """``README.md`` of an exported model whose ``config.json`` holds ``config``."""
    head = yaml.safe_dump(front_matter(config, metrics), sort_keys=False, allow_unicode=True)
    recipe, dataset = config["recipe"], data_label(config)
    classes = config["class_names"] or []
    lines = [
        f"---\n{head}---\n",
        f"# {recipe} trained on {dataset}\n",
        f"![{grid_note}](grid.png)\n",
        f"*{grid_note}.*\n",
        "| model | |\n|---|---|",
        f"| recipe | `{recipe}`: {summary} |",
        f"| trained | {_steps(config.get('step'))} on {dataset} "
        f"(data fingerprint `{config.get('data_fingerprint')}`) |",
        f"| output | {config['resolution']}×{config['resolution']}, {config['channels']} "
        f"channel, values in [{config['data_range']}] |",
        f"| latent | {config['latent_dim']} numbers, {config['latent_distribution']} |",
        f"| classes | {config['num_classes']}"
        + (f": {', '.join(classes)}" if classes else "")
        + (" (class-conditional)" if config["conditional"] else " (unconditional)")
        + " |",
        f"| license | {LICENSE.upper()}, ganforge's license |\n",
        *evaluation(metrics),
        *usage(config),
        *reproduce(config),
    ]
    return "\n".join(lines)


def _count(n: Any) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)


def _steps(step: Any) -> str:
    return "an unknown number of steps" if step is None else f"{step:,} step" + "s" * (step != 1)


def evaluation(metrics: dict[str, Any] | None) -> list[str]:
    """The card's evaluation section: the run's metrics.json, or "not evaluated"."""
    found = card_metrics(metrics)
    if not metrics or not found:
        return [
            "## Evaluation\n",
            "Not evaluated (the run had no `metrics.json` of this "
            "checkpoint; `ganforge evaluate RUN_DIR` writes one).\n",
        ]
    rows = [f"| {CARD_METRICS[k][1]} | {v:.4g} |" for k, v in found.items()]
    return [
        "## Evaluation\n",
        protocol_line(metrics) + ".\n",
        "| metric | value |",
        "|---|---:|",
        *rows,
        "",
    ]


def usage(config: dict[str, Any]) -> list[str]:
    """How to load and sample the model, with ganforge's loader and with the Hub mixin."""
    label = ", label=0" if config["conditional"] else ""
    hub_labels = ", labels=torch.arange(16) % g.num_classes" if config["conditional"] else ""
    return [
        "## Use\n",
        "With ganforge (`pip install ganforge`), which checks every tensor before loading:\n",
        "```python\nimport ganforge as gf\n\n"
        'model = gf.load("THIS_FOLDER")\n'
        f"images = model.sample(16, seed=0{label})  # floats N×1×H×W in [0, 1]\n"
        'gf.save_grid(images, "grid.png")\n```\n',
        "Or from the command line: `ganforge sample THIS_FOLDER --n 64 --grid digits.png`.\n",
        "With `huggingface_hub`'s `PyTorchModelHubMixin` (`pip install ganforge[hub]`; a local "
        "folder or a Hub repository id):\n",
        "```python\nimport torch\nfrom ganforge.generation.hub import GanforgeGenerator\n\n"
        'g = GanforgeGenerator.from_pretrained("THIS_FOLDER", strict=True)\n'
        f"images = g.sample(16, seed=0{hub_labels})\n```\n",
    ]


def reproduce(config: dict[str, Any]) -> list[str]:
    """The run's config as ``config.yaml`` and the command that trains the model again."""
    keys = ("recipe", "dataset", "model", "train", "data", "test_data", "holdout", *SUBSET_KEYS)
    run = {k: config[k] for k in keys if k in config}
    text = yaml.safe_dump(run, sort_keys=False, allow_unicode=True)
    return [
        "## Train it again\n",
        "Save the run's config (below) as `config.yaml`, then:\n",
        "```sh\nganforge train --config config.yaml --out runs/again\n```\n",
        "<details><summary>config.yaml</summary>\n",
        f"```yaml\n{text}```\n",
        "</details>\n",
    ]
