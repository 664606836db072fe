"""examples/quickstart.ipynb runs end to end on a kernel of this Python (small settings), and
the README's Python section runs as written."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "quickstart.ipynb"


def _env_for_kernel(monkeypatch, mnist_dir: Path) -> None:
    """The kernel inherits this process's environment: this checkout's ``src`` first, the
    MNIST subset, one thread, and small settings."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT / "src"), *sys.path]))
    monkeypatch.setenv("GANFORGE_MNIST_DIR", str(mnist_dir))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    for key, value in {"STEPS": "40", "WIDTH": "8", "EVAL_N": "500"}.items():
        monkeypatch.setenv(f"QUICKSTART_{key}", value)


@pytest.mark.timeout(300)
def test_quickstart_notebook_runs(mnist_dir, mnist_evaluator, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    _env_for_kernel(monkeypatch, mnist_dir)  # GANFORGE_HOME: where the evaluator was trained
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells), "commit it without outputs"
    client = nbclient.NotebookClient(
        notebook,
        timeout=240,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    start = time.monotonic()
    client.execute()  # raises CellExecutionError on any cell's error
    print(f"quickstart.ipynb ran in {time.monotonic() - start:.1f}s")
    outputs = [out for cell in notebook.cells for out in cell.get("outputs", [])]
    assert sum("image/png" in out.get("data", {}) for out in outputs) >= 4  # grids inline
    assert (tmp_path / "runs" / "quickstart" / "checkpoints" / "last.safetensors").exists()
    assert (tmp_path / "sevens.png").exists()
    assert (tmp_path / "quickstart_metrics.json").exists()


def readme_python_blocks() -> list[str]:
    """The ```python blocks of the README's "From Python" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## From Python", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


@pytest.mark.timeout(300)
def test_readme_python_section_runs(mnist_dir, mnist_evaluator, tmp_path, monkeypatch):
    blocks = readme_python_blocks()
    assert blocks, "README.md's From Python section has no ```python block"
    _env_for_kernel(monkeypatch, mnist_dir)
    script = tmp_path / "readme.py"
    script.write_text("\n".join(blocks), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=280
    )
    assert done.returncode == 0, done.stderr[-3000:]
