"""The studio in a real browser: Playwright drives Debian's Chromium (headless) against the
app served by uvicorn on 127.0.0.1, as a person would use it, and takes screenshots.

Outside CI these skip with a reason when Chromium or Playwright is missing; in CI
(``CI=true``), where ``.ci/run`` installs both, a missing one fails. With
``GANFORGE_UPDATE_SCREENSHOTS=1`` the screenshots replace ``docs/studio_*.png`` (the README's);
otherwise they go to a temporary folder, so a test run leaves the tree clean. With
``GANFORGE_STUDIO_RUNS=DIR`` the studio shows DIR (e.g. a ``ganforge compare`` output of
longer runs, for the README) instead of the tiny runs trained here.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
# Headless, no sandbox (CI runs as root), and none of Chromium's own background connections:
# this machine reaches no network but the studio on 127.0.0.1.
FLAGS = [
    *("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"),
    *("--disable-background-networking", "--disable-component-update", "--disable-sync"),
]
DOCS = Path(__file__).resolve().parents[2] / "docs"
MAX_SCREENSHOT = 200_000  # bytes: small enough for the repository
WAIT_MS = 60_000  # for anything the page waits on (a loaded CI machine is slow)

pytestmark = pytest.mark.mnist


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright; skipped outside CI when either is missing."""
    reason = missing_browser()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def runs_dir(request) -> Path:
    """``GANFORGE_STUDIO_RUNS``, else the tiny runs of the ``studio_root`` fixture."""
    chosen = os.environ.get("GANFORGE_STUDIO_RUNS")
    return Path(chosen) if chosen else request.getfixturevalue("studio_root")


@contextlib.contextmanager
def serve(root: Path) -> Iterator[str]:
    """The studio over ``root`` served by uvicorn in a thread, on a free port of
    127.0.0.1: its URL."""
    import uvicorn

    from ganforge.studio.app import create_app

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as `ganforge studio` does: small grids are fastest so
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(root), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def studio(runs_dir: Path) -> Iterator[str]:
    """The studio over ``runs_dir``: its URL."""
    with serve(runs_dir) as url:
        yield url


@pytest.fixture(scope="module")
def runs(studio: str) -> dict[str, list[str]]:
    """The trained runs the studio lists: all, the conditional ones, one of each recipe."""
    with urllib.request.urlopen(f"{studio}/api/runs") as response:
        listed = [r for r in json.load(response)["runs"] if r["trained"]]
    one_each = list({r["recipe"]: r["name"] for r in reversed(listed)}.values())[::-1]
    return {
        "all": [r["name"] for r in listed],
        "conditional": [r["name"] for r in listed if r["conditional"]],
        "one_each": one_each,
    }


@pytest.fixture
def errors() -> list[str]:
    """The page's script errors and failed loads, in order."""
    return []


@pytest.fixture
def page(browser, studio, errors):
    """A fresh page of the studio's size on a laptop; fails the test on any script error or
    failed load (a test that expects one clears ``errors``)."""
    context = browser.new_context(viewport={"width": 1200, "height": 780})
    page = context.new_page()
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    if os.environ.get("GANFORGE_UPDATE_SCREENSHOTS") == "1":
        return DOCS
    return tmp_path_factory.mktemp("studio-screenshots")


def screenshot(page, folder: Path, name: str, full: bool = False) -> Path:
    """The visible (or ``full``) page as ``studio_NAME.png``: a palette PNG (the page has
    few colours, the digits are grey), checked to stay small."""
    path = folder / f"studio_{name}.png"
    raw = path.with_suffix(".raw.png")
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(raw), full_page=full)
    with Image.open(raw) as image:
        image.convert("RGB").quantize(colors=96).save(path, optimize=True)
    raw.unlink()
    assert path.stat().st_size < MAX_SCREENSHOT, f"{path} is {path.stat().st_size} bytes"
    return path


# Waits are written as functions: a bare expression would be eval'd in the page, which its
# Content-Security-Policy (script-src 'self') forbids.
def loaded(page, selector: str) -> None:
    """Wait until the image (or canvas source) at ``selector`` has been drawn."""
    page.wait_for_function(
        "s => { const el = document.querySelector(s); return el && el.complete !== false"
        " && (el.naturalWidth || el.width) > 0 }",
        arg=selector,
    )


def test_the_runs_list_shows_every_run_with_its_grid(page, studio, runs, shots):
    page.goto(f"{studio}/#/")
    page.wait_for_selector("table.runs tbody tr")
    assert page.locator("table.runs tbody tr").count() >= len(runs["all"])
    loaded(page, "table.runs img.thumb")
    screenshot(page, shots, "runs")


def test_pick_a_run_generate_change_class_and_download(page, studio, runs, shots):
    name = runs["conditional"][0]
    page.goto(f"{studio}/#/")
    page.click(f"tr[data-run='{name}'] a.run-name")
    page.wait_for_selector("#epoch-grid")
    loaded(page, "#epoch-grid")
    screenshot(page, shots, "run", full=True)

    page.click("#tab-generate")
    page.wait_for_selector("#gen-status:has-text('64 images')")
    loaded(page, "#generated")
    width = page.eval_on_selector("#generated", "img => img.naturalWidth")
    assert width == 10 * 30 + 2  # every class: a column each
    page.click(".classes button[data-class='7']")
    page.wait_for_function("() => document.querySelector('#generated').dataset.klass === '7'")
    loaded(page, "#generated")
    assert page.eval_on_selector("#generated", "img => img.naturalWidth") == 8 * 30 + 2
    assert "class 7" in page.inner_text("#gen-labels")
    assert page.get_attribute("#download", "href").startswith("blob:")
    assert page.get_attribute("#download", "download").endswith("_seed0_n64_class7.png")
    screenshot(page, shots, "generate")

    page.fill("#seed", "5")
    page.dispatch_event("#seed", "change")  # as leaving the field does
    page.wait_for_function("() => document.querySelector('#generated').dataset.seed === '5'")


def test_interpolate_between_two_classes_and_scrub(page, studio, runs, shots):
    name = runs["conditional"][0]
    page.goto(f"{studio}/#/run/{name.replace('/', '%2F')}/interpolate")
    page.wait_for_selector("#interp-status:has-text('images')")  # between seeds 0 and 1
    page.select_option("#mode", "classes")
    page.select_option("#class-from", "1")
    page.select_option("#class-to", "7")
    page.fill("#steps", "10")
    page.dispatch_event("#steps", "change")
    page.click("#interpolate")
    page.wait_for_function("() => document.querySelector('#strip').src.length > 100")
    page.wait_for_selector("#interp-status:has-text('10 images')")
    loaded(page, "#strip")
    assert page.eval_on_selector("#strip", "img => img.naturalWidth") == 10 * 30 + 2
    page.click("#play")  # pause, then scrub to the middle of the path
    page.fill("#scrub", "4")
    page.dispatch_event("#scrub", "input")
    assert page.input_value("#scrub") == "4"
    assert page.get_attribute("a[download$='.gif']", "href").startswith("data:image/gif")
    assert page.is_hidden("#to") and page.is_visible("#class-to")  # the fields of this walk
    screenshot(page, shots, "interpolate")


def test_compare_runs_side_by_side(page, studio, runs, shots):
    chosen = runs["one_each"][:4]
    page.goto(f"{studio}/#/")
    page.wait_for_selector("table.runs tbody tr")
    for name in chosen:
        page.check(f"tr[data-run='{name}'] input[type=checkbox]")
    page.click("#compare-selected")
    page.wait_for_selector(f"#compare-grids figure:nth-child({len(chosen)}) img")
    loaded(page, f"#compare-grids figure:nth-child({len(chosen)}) img")
    captions = page.locator("#compare-grids figcaption a").all_inner_texts()
    assert captions == chosen
    screenshot(page, shots, "compare", full=True)


def test_a_bad_request_shows_its_message_not_a_broken_page(page, studio, errors):
    page.goto(f"{studio}/#/run/no-such-run")
    page.wait_for_selector("#error:not([hidden])")
    assert "no run named 'no-such-run'" in page.inner_text("#error")
    assert errors and all("404" in e for e in errors)  # the request's own, nothing else
    errors.clear()


# -- numbers: one formatter, never "null" ------------------------------------------------------
MISSING_WORDS = ("null", "undefined", "NaN")


def view_texts(page, studio: str) -> dict[str, str]:
    """The text of every view the studio has over its runs folder: the runs list, each
    run's page, each study's page and a comparison of the first runs."""
    with urllib.request.urlopen(f"{studio}/api/runs") as response:
        index = json.load(response)
    enc = lambda name: urllib.parse.quote(name, safe="")  # noqa: E731
    trained = [r["name"] for r in index["runs"] if r["trained"]]
    views = ["#/", *(f"#/run/{enc(r['name'])}" for r in index["runs"])]
    views += [f"#/study/{enc(s['name'])}" for s in index["studies"]]
    views += [f"#/compare/{','.join(enc(n) for n in trained[:3])}"] if len(trained) > 1 else []
    ready = {"#/run/": ".run-head", "#/study/": "section.card table", "#/compare/": "table.metrics"}
    texts = {}
    for view in views:
        page.goto("about:blank")  # a fresh page each: no view's text is an earlier one's
        page.goto(f"{studio}/{view}")
        page.wait_for_selector(next((s for p, s in ready.items() if view.startswith(p)), "h2"))
        # A run's config.yaml is shown as it is, where YAML's null is the file's own word.
        page.eval_on_selector_all("pre.config", "els => els.forEach(el => el.remove())")
        texts[view] = page.inner_text("#view")
    return texts


def markdown_table(path: Path) -> dict[str, dict[str, str]]:
    """report.md's results table: each arm's cells by header."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.startswith("|")]
    cells = [[c.strip() for c in ln.strip("|").split(" | ")] for ln in lines]
    header, rows = cells[0], [r for r in cells[2:] if len(r) == len(cells[0])]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def test_the_study_page_shows_the_reports_numbers_and_no_null(page, studio, studio_root):
    """KID in the report's unit (×10³), every figure as report.md shows it, and a missing
    value as "—": the studio's numbers come from the reports' formatter."""
    texts = view_texts(page, studio)
    for view, text in texts.items():
        assert not any(word in text.split() for word in MISSING_WORDS), (view, text)
    report = markdown_table(studio_root / "cmp" / "report.md")
    page.goto("about:blank")
    page.goto(f"{studio}/#/study/cmp")
    page.wait_for_selector("section.card table")
    heads = page.locator("section.card table").first.locator("thead th").all_inner_texts()
    for row in page.locator("section.card table").first.locator("tbody tr").all():
        cells = dict(zip(heads, row.locator("th, td").all_inner_texts(), strict=True))
        arm = report[cells["recipe"]]
        for head in ("FID ↓", "KID×10³ ↓", "precision ↑", "recall ↑", "coverage ↑"):
            assert cells[head] == arm[head], head
        assert cells["steps"] == arm["steps"] and cells["images"] == arm["images"]
        assert cells["class accuracy ↑"] == arm.get("class accuracy ↑", "—")


def test_missing_values_show_as_a_dash_never_null(browser, errors, studio_root, tmp_path):
    """A study folder of an older ganforge (no dataset or seeds in its results.json) with a
    failed run (no status, no figures) and a run without a summary yet: "—" everywhere."""
    shutil.copytree(studio_root / "cmp", tmp_path / "old")
    results = json.loads((tmp_path / "old" / "results.json").read_text())
    del results["dataset"], results["seeds"]
    row = {k: None for k in results["runs"][0]}
    results["runs"].append({**row, "arm": "gan", "name": "gan", "seed": 1, "run": "gan/seed1"})
    (tmp_path / "old" / "results.json").write_text(json.dumps(results))
    (tmp_path / "old" / "acgan" / "seed0" / "summary.json").unlink()  # still training
    context = browser.new_context(viewport={"width": 1200, "height": 780})
    page = context.new_page()
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        with serve(tmp_path) as url:
            texts = view_texts(page, url)
    finally:
        context.close()
    assert not errors, errors
    assert any("—" in text for text in texts.values())
    for view, text in texts.items():
        assert not any(word in text.split() for word in MISSING_WORDS), (view, text)
