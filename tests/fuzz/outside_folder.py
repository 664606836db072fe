"""The folder outside every run (:func:`make_outside`): it mirrors a run's layout, each file
carrying :data:`~outcomes.SECRET`, so that anything read through a link out of a hostile
run shows up in what a target prints or answers.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from checkpoint_files import write_checkpoint
from hostile_checkpoints import CheckpointCase
from hostile_runs import CHECKPOINTS, CSV_FILES, IMAGES
from outcomes import SECRET
from PIL import Image, PngImagePlugin


def secret_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRET)
    buffer = io.BytesIO()
    Image.new("L", (8, 8)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def make_outside(folder: Path, base_run: Path, bases: dict) -> Path:
    """A folder outside every run mirroring a run's files, each one carrying the secret: a
    summary and config of recipe SECRET, CSV logs with a SECRET column, PNGs with a SECRET
    text chunk, checkpoints of recipe SECRET."""
    folder.mkdir(parents=True)
    (folder / "secret.txt").write_text(SECRET + "\n")
    (folder / "config.yaml").write_text(f"recipe: {SECRET}\ndataset: mnist\n")
    summary = json.loads((base_run / "summary.json").read_text())
    (folder / "summary.json").write_text(json.dumps({**summary, "recipe": SECRET}))
    (folder / "metrics.json").write_text(json.dumps({"fid": SECRET, "n_fake": 100}))
    (folder / "events.log").write_text(SECRET + "\n")
    for rel in CSV_FILES:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(f"step,{SECRET}\n1,2\n")
    for rel in IMAGES:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(secret_png())
    leak = CheckpointCase(
        "gan", meta=(("set", ("recipe",), SECRET), ("set", ("config", "recipe"), SECRET))
    )
    for rel in CHECKPOINTS:
        write_checkpoint(leak, bases["gan"], folder / rel)
    for name in ("generated", "tensorboard"):
        (folder / name).mkdir()
    return folder
