"""The package's shape, kept as tests: small files, short functions, a docstring on every
module, and docs/architecture.md naming every module (the layers' direction is import-linter's
contract, which `make test` runs)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "ganforge"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_FILE_LINES = 300
MAX_FUNCTION_LINES = 60


def name(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


def test_the_package_is_found() -> None:
    assert len(MODULES) > 50


@pytest.mark.parametrize("path", MODULES, ids=name)
def test_files_stay_small_and_say_what_they_own(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_FILE_LINES
    assert ast.get_docstring(ast.parse(text)), f"{name(path)} has no module docstring"


def function_lengths(path: Path) -> list[tuple[str, int]]:
    """Each function's lines; a CLI command's (typer parameters) counted from its body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    cli = path.parent.name == "cli"
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start = node.body[0].lineno if cli else node.lineno
            out.append((node.name, node.end_lineno - start + 1))
    return out


@pytest.mark.parametrize("path", MODULES, ids=name)
def test_functions_stay_short(path: Path) -> None:
    long = [(f, n) for f, n in function_lengths(path) if n > MAX_FUNCTION_LINES]
    assert not long, f"{name(path)}: {long}"


def test_the_architecture_page_names_every_module() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [name(p) for p in MODULES if f"`{name(p)}`" not in page]
    assert not missing, f"docs/architecture.md lacks {missing}"
