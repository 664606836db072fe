"""What produced a run: versions, git commit, machine — recorded in every summary."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path
from typing import Any

import torch

import ganforge


def git_commit() -> str | None:
    """The commit of the ganforge checkout in use, if it is one (with ``-dirty`` if modified)."""
    here = Path(ganforge.__file__).resolve().parent
    # An installed copy inside some other repository must not report that repository's commit.
    if not (here.parent.parent / "pyproject.toml").is_file() or here.parent.name != "src":
        return None
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def provenance() -> dict[str, Any]:
    """Versions of the stack and the machine, for ``summary.json``."""
    return {
        "ganforge": ganforge.__version__,
        "git_commit": git_commit(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_threads": torch.get_num_threads(),
        "cuda_device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
