"""The studio's API over real tiny runs: every endpoint's answer, and every bad input refused
with the right 4xx and a one-line JSON error, never a 500."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from starlette.testclient import TestClient

from ganforge.reporting.metric_format import format_metric
from ganforge.reporting.report_table import COLUMNS, cell
from ganforge.setup.build import make_config
from ganforge.studio.app import create_app
from ganforge.studio.cache import GeneratorCache

pytestmark = [pytest.mark.mnist, pytest.mark.usefixtures("one_thread")]
COLUMN = {c.key: c for c in COLUMNS}
CELL = 28 + 2  # a grid cell: the image and its 2-pixel separator (reporting.images)
# The runs that the studio_root fixture trains (conftest.py), by their names in the API.
GAN, ACGAN, SOLO, STUDY = "cmp/gan/seed0", "cmp/acgan/seed0", "solo/gan-tiny", "cmp"


def client_for(root: Path, **options) -> TestClient:
    # Requests come from 127.0.0.1, as a browser on this machine sends them.
    return TestClient(create_app(root, **options), base_url="http://127.0.0.1")


@pytest.fixture(scope="module")
def client(studio_root: Path) -> TestClient:
    return client_for(studio_root)


def png_size(content: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "PNG"
        return image.size


def grid_size(columns: int, rows: int) -> tuple[int, int]:
    return (columns * CELL + 2, rows * CELL + 2)


# -- the page and the listings ---------------------------------------------------------------
def test_the_page_and_its_files_are_served_with_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/static/app.js"' in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    for name, kind in (("app.js", "javascript"), ("style.css", "text/css")):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and kind in response.headers["content-type"]
    # Nothing is fetched from elsewhere: no absolute URL in the page's files.
    for name in ("index.html", "app.js", "style.css"):
        text = client.get("/" if name == "index.html" else f"/static/{name}").text
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text


def test_runs_lists_every_run_and_study(client):
    index = client.get("/api/runs").json()
    runs = {run["name"]: run for run in index["runs"]}
    assert set(runs) == {GAN, ACGAN, SOLO}
    assert runs[ACGAN]["conditional"] and not runs[GAN]["conditional"]
    assert runs[ACGAN]["study"] == STUDY and runs[SOLO]["study"] is None
    assert runs[GAN]["recipe"] == "gan" and runs[GAN]["dataset"] == "mnist"
    assert runs[GAN]["steps"] == 5 and runs[GAN]["trained"]
    assert runs[GAN]["fid"] > 0 and runs[GAN]["fid_n"] == 100  # the comparison's scoring
    assert runs[SOLO]["fid"] is None  # never evaluated
    assert runs[GAN]["final_grid"].startswith("epoch_")
    [study] = index["studies"]
    assert study["name"] == STUDY and study["kind"] == "compare" and study["report"]
    assert study["arms"] == ["gan", "acgan"] and study["runs"] == 2
    assert index["limits"]["n"] == [1, 256] and index["limits"]["compare"] == [2, 6]


def test_a_run_page_has_its_curves_grids_checkpoints_and_config(client):
    run = client.get(f"/api/runs/{ACGAN}").json()
    assert run["classes"] == [str(k) for k in range(10)]
    assert run["checkpoints"][0] == "last.safetensors"
    assert [g["epoch"] for g in run["grids"]] == sorted(g["epoch"] for g in run["grids"])
    assert len(run["losses"]["batches"]) == 5 and "cls_loss" in run["losses"]["batches"][0]
    assert run["fid_curve"] and run["fid_curve"][-1]["step"] == 5
    listed = {r["name"]: r for r in client.get("/api/runs").json()["runs"]}
    assert run["metrics"]["fid"] == listed[ACGAN]["fid"]
    assert "recipe: acgan" in run["config"]
    assert run["summary"]["params_g"] > 0 and run["study"] == STUDY
    assert "loss_per_batch.png" in run["plots"]  # (per epoch too, once an epoch is done)
    solo = client.get(f"/api/runs/{SOLO}").json()
    assert solo["classes"] is None and solo["metrics"] == {} and solo["fid_curve"] == []


def test_a_runs_pictures_are_served_by_name(client):
    run = client.get(f"/api/runs/{GAN}").json()
    grid = client.get(f"/api/runs/{GAN}/samples/{run['grids'][-1]['name']}")
    assert grid.status_code == 200 and png_size(grid.content) == grid_size(8, 8)
    plot = client.get(f"/api/runs/{GAN}/plots/loss_per_batch.png")
    assert plot.status_code == 200 and plot.headers["content-type"] == "image/png"
    gif = client.get(f"/api/runs/{GAN}/progress.gif")
    assert gif.status_code == 200 and gif.content.startswith(b"GIF8")


def test_a_study_shows_its_results_table_and_report(client):
    study = client.get(f"/api/study?name={STUDY}").json()
    assert [(r["arm"], r["seed"], r["status"], r["run"]) for r in study["rows"]] == [
        ("gan", 0, "ok", GAN),
        ("acgan", 0, "ok", ACGAN),
    ]
    assert study["rows"][0]["fid"] > 0 and study["arm_results"][1]["mean"]["fid"] > 0
    report = client.get(f"/api/study/report.html?name={STUDY}")
    assert report.status_code == 200 and "ganforge compare" in report.text
    # ganforge's own report, yet it runs nothing: images and its inline styles only.
    assert "sandbox" in report.headers["content-security-policy"]


def test_numbers_come_as_the_reports_formatter_shows_them(client):
    """Every metric and run fact the page shows comes formatted by the one formatter of the
    CLI tables and reports (KID ×10³, "—" for a missing value), beside its raw value."""
    index = client.get("/api/runs").json()
    assert index["formats"]["kid_mean"]["header"] == "KID×10³ ↓"
    assert index["metrics"][:2] == ["fid", "kid_mean"]
    listed = {r["name"]: r for r in index["runs"]}
    assert listed[GAN]["shown"]["fid"] == format_metric("fid", listed[GAN]["fid"])
    assert listed[SOLO]["shown"]["fid"] == "—"  # never evaluated
    run = client.get(f"/api/runs/{GAN}").json()
    kid = run["metrics"]["kid_mean"]
    assert run["metrics_shown"]["kid_mean"] == f"{1000 * kid:,.1f}"
    assert run["summary_shown"]["images_per_s"] == format_metric(
        "images_per_s", run["summary"]["images_per_s"]
    )
    study = client.get(f"/api/study?name={STUDY}").json()
    gan, acgan = study["arm_results"]
    assert gan["shown"]["fid"] == cell(gan, COLUMN["fid"])
    assert gan["shown"]["class_accuracy"] == "—" and acgan["shown"]["class_accuracy"] != "—"
    row = study["rows"][0]
    assert row["shown"]["kid_mean"] == format_metric("kid_mean", row["kid_mean"])
    # What the run got: 5 steps of the gan recipe's batch, one batch per step.
    assert row["steps"] == 5 and row["images"] == 5 * make_config("gan").train.batch_size
    assert row["shown"]["images"] == f"{row['images']:,}"


def test_the_runs_folder_itself_can_be_a_study(studio_root):
    index = client_for(studio_root / STUDY).get("/api/runs").json()
    assert [s["name"] for s in index["studies"]] == ["."]
    assert {r["name"] for r in index["runs"]} == {"gan/seed0", "acgan/seed0"}
    study = client_for(studio_root / STUDY).get("/api/study?name=.")
    assert study.status_code == 200 and study.json()["rows"][1]["run"] == "acgan/seed0"


# -- generating --------------------------------------------------------------------------------
def test_generate_draws_the_same_digits_for_the_same_seed(client):
    first = client.get(f"/api/runs/{GAN}/generate?seed=7&n=64")
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert png_size(first.content) == grid_size(8, 8)
    assert "generate;dur=" in first.headers["server-timing"]
    again = client.get(f"/api/runs/{GAN}/generate?seed=7&n=64&checkpoint=last.safetensors")
    other = client.get(f"/api/runs/{GAN}/generate?seed=8&n=64")
    assert again.content == first.content and other.content != first.content
    assert png_size(client.get(f"/api/runs/{GAN}/generate?n=256").content) == grid_size(16, 16)
    assert png_size(client.get(f"/api/runs/{SOLO}/generate?n=1").content) == grid_size(1, 1)
    largest = client.get(f"/api/runs/{GAN}/generate?seed=4294967295&n=4")  # SEED_MAX, as the CLI
    assert largest.status_code == 200 and largest.headers["content-type"] == "image/png"


def test_generate_a_class_or_every_class(client):
    seven = client.get(f"/api/runs/{ACGAN}/generate?n=12&class=7&format=json").json()
    assert seven["labels"] == [7] * 12 and seven["class"] == 7 and seven["ms"] > 0
    assert seven["image"].startswith("data:image/png;base64,")
    every = client.get(f"/api/runs/{ACGAN}/generate?n=20&class=all&format=json").json()
    assert every["labels"] == [k % 10 for k in range(20)] and every["class"] is None
    grid = client.get(f"/api/runs/{ACGAN}/generate?n=20")  # no class: every class too
    width, height = png_size(grid.content)  # a column per class, its name over it
    assert width == grid_size(10, 2)[0] and height > grid_size(10, 2)[1]
    titled = client.get(f"/api/runs/{ACGAN}/generate?n=12&class=7").content
    assert png_size(titled)[0] == grid_size(4, 3)[0] and png_size(titled)[1] > grid_size(4, 3)[1]
    square = client.get(f"/api/runs/{GAN}/generate?n=20").content  # unconditional: no names
    assert png_size(square) == grid_size(5, 4)


def test_interpolate_between_seeds_and_between_classes(client):
    strip = client.get(f"/api/runs/{GAN}/interpolate?from=3&to=11&steps=12")
    assert strip.status_code == 200 and png_size(strip.content) == grid_size(12, 1)
    gif = client.get(f"/api/runs/{GAN}/interpolate?from=3&to=11&steps=12&format=gif")
    assert gif.headers["content-type"] == "image/gif" and gif.content.startswith(b"GIF8")
    with Image.open(io.BytesIO(gif.content)) as animation:
        assert animation.n_frames == 12 + 10  # there and back again
    both = client.get(f"/api/runs/{ACGAN}/interpolate?from=0&class=2&class_to=8&format=json")
    assert both.status_code == 200, both.text
    data = both.json()
    assert data["steps"] == 10 and data["gif"].startswith("data:image/gif;base64,")
    fixed_class = client.get(f"/api/runs/{ACGAN}/interpolate?from=0&to=5&class=4&steps=2")
    assert png_size(fixed_class.content) == grid_size(2, 1)


def test_compare_draws_each_run_from_the_same_latents(client):
    answer = client.get(f"/api/compare?run={GAN}&run={ACGAN}&run={SOLO}&seed=3&n=16")
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert [r["name"] for r in data["runs"]] == [GAN, ACGAN, SOLO] and data["seed"] == 3
    assert data["runs"][0]["metrics"]["fid"] > 0 and data["runs"][2]["metrics"] == {}
    assert data["runs"][1]["labels"] == [k % 10 for k in range(16)]
    alone = client.get(f"/api/runs/{GAN}/generate?seed=3&n=16&format=json").json()
    assert data["runs"][0]["image"] == alone["image"]  # the same digits as generate draws


def test_generators_are_cached_with_a_bound(studio_root):
    client = client_for(studio_root, cache_size=1)
    cache: GeneratorCache = client.app.state.api.cache
    for name in (GAN, GAN, GAN):
        assert client.get(f"/api/runs/{name}/generate?n=1").status_code == 200
    assert cache.loads == 1
    for name in (ACGAN, GAN, ACGAN):
        assert client.get(f"/api/runs/{name}/generate?n=1").status_code == 200
    assert cache.loads == 4 and len(cache) == 1


# -- refusals ----------------------------------------------------------------------------------
BAD = [
    # where: traversal, absolute paths, things that are not runs
    ("/api/runs/..%2F..%2Fetc/generate", 400, "'..'"),
    ("/api/runs/cmp%2F..%2F..%2Fetc%2Fpasswd", 400, "'..'"),
    ("/api/runs/%2Fetc%2Fpasswd", 400, "absolute"),
    ("/api/runs/%2Fetc/generate", 400, "absolute"),
    ("/api/runs/cmp%5Cgan/generate", 400, "backslash"),
    ("/api/runs/nope/generate", 404, "no run named 'nope'"),
    ("/api/runs/cmp", 404, "is not a run"),
    (f"/api/runs/{GAN}/samples/..%2Fconfig.yaml", 400, "'..'"),
    (f"/api/runs/{GAN}/samples/config.yaml", 400, "not a plain '*.png'"),
    (f"/api/runs/{GAN}/samples/epoch_9999.png", 404, "no samples image"),
    (f"/api/runs/{GAN}/plots/.hidden.png", 400, "not a plain"),
    # what: counts, seeds, classes, formats, checkpoints
    (f"/api/runs/{GAN}/generate?n=100000", 400, "n must be an integer in 1..256"),
    (f"/api/runs/{GAN}/generate?n=257", 400, "n must be"),
    (f"/api/runs/{GAN}/generate?n=0", 400, "n must be"),
    (f"/api/runs/{GAN}/generate?n=ten", 400, "n must be"),
    (f"/api/runs/{GAN}/generate?seed=-1", 400, "seed must be an integer in 0..4294967295"),
    (f"/api/runs/{GAN}/generate?seed=4294967296", 400, "seed must be"),
    (f"/api/runs/{GAN}/generate?seed=1e3", 400, "seed must be"),
    (f"/api/runs/{GAN}/generate?class=3", 400, "'gan' is not conditional"),
    (f"/api/runs/{GAN}/generate?class=all", 400, "is not conditional"),
    (f"/api/runs/{ACGAN}/generate?class=10", 400, "'all' or an integer in 0..9"),
    (f"/api/runs/{ACGAN}/generate?class=-1", 400, "class must be"),
    (f"/api/runs/{ACGAN}/generate?class=seven", 400, "class must be"),
    (f"/api/runs/{GAN}/generate?clas=3", 400, "unknown parameter 'clas'"),
    (f"/api/runs/{GAN}/generate?seed=1&seed=2", 400, "'seed' is given more than once"),
    (f"/api/runs/{GAN}/generate?format=jpeg", 400, "format must be one of png, json"),
    (f"/api/runs/{GAN}/generate?checkpoint=..%2F..%2Fconfig.yaml", 400, "not a plain"),
    (f"/api/runs/{GAN}/generate?checkpoint=%2Fetc%2Fpasswd", 400, "not a plain"),
    (f"/api/runs/{GAN}/generate?checkpoint=epoch_0099.safetensors", 404, "no checkpoint"),
    (f"/api/runs/{GAN}/interpolate?steps=1", 400, "steps must be an integer in 2..64"),
    (f"/api/runs/{GAN}/interpolate?steps=65", 400, "steps must be"),
    (f"/api/runs/{GAN}/interpolate?to=-5", 400, "to must be"),
    (f"/api/runs/{GAN}/interpolate?class=1&class_to=2", 400, "is not conditional"),
    (f"/api/runs/{ACGAN}/interpolate?class_to=all", 400, "class_to must be one class"),
    (f"/api/runs/{ACGAN}/interpolate?class_to=12", 400, "class_to must be 'all' or"),
    (f"/api/compare?run={GAN}", 400, "compare takes 2 to 6 runs"),
    ("/api/compare", 400, "compare takes 2 to 6 runs"),
    (f"/api/compare?{'&'.join([f'run={GAN}'] * 7)}", 400, "got 7"),
    (f"/api/compare?run={GAN}&run={GAN}", 400, "named twice"),
    (f"/api/compare?run={GAN}&run=nope", 404, "no run named 'nope'"),
    (f"/api/compare?run={GAN}&run=..%2F..", 400, "'..'"),
    (f"/api/compare?run={GAN}&run={ACGAN}&n=65", 400, "n must be an integer in 1..64"),
    ("/api/study", 400, "give the study's name"),
    ("/api/study?name=nope", 404, "no study named 'nope'"),
    ("/api/study?name=..%2F..%2Ftmp", 400, "'..'"),
    (f"/api/study?name={GAN}", 404, "not a compare or ablate folder"),
    ("/api/study/report.html?name=solo", 404, "not a compare or ablate folder"),
    ("/api/nothing-here", 404, "Not Found"),
]


@pytest.mark.parametrize(("url", "status", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_a_4xx_with_a_one_line_json_error(client, url, status, message):
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert message in error and "\n" not in error and "Traceback" not in error


def test_other_methods_and_hosts_are_refused(client):
    post = client.post("/api/runs")
    assert post.status_code == 405 and post.json()["error"] == "Method Not Allowed"
    rebound = client.get("/api/runs", headers={"host": "evil.example:8000"})
    assert rebound.status_code == 400 and "evil.example" in rebound.json()["error"]
    assert client.get("/api/runs", headers={"host": "localhost:8000"}).status_code == 200
    assert client.get("/api/runs", headers={"host": "[::1]:8000"}).status_code == 200


def test_symlinks_out_of_the_runs_folder_are_refused(studio_root, tmp_path):
    root = tmp_path / "runs"
    root.mkdir()
    (root / "escape").symlink_to(studio_root / SOLO)  # a real run, outside this root
    inside = root / "inside"
    shutil.copytree(studio_root / SOLO, inside)
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not yours")
    (inside / "samples" / "leak.png").symlink_to(secret)
    client = client_for(root)
    assert [r["name"] for r in client.get("/api/runs").json()["runs"]] == ["inside"]
    for url in (
        "/api/runs/escape",
        "/api/runs/escape/generate",
        "/api/runs/inside/samples/leak.png",
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "leads out of the runs folder" in response.json()["error"]
    assert client.get("/api/runs/inside/generate?n=4").status_code == 200


def test_a_corrupt_or_foreign_checkpoint_is_a_409(studio_root, tmp_path):
    root = tmp_path / "runs"
    broken = root / "broken"
    shutil.copytree(studio_root / SOLO, broken)
    last = broken / "checkpoints" / "last.safetensors"
    last.write_bytes(b"\x00" * 64)
    foreign = root / "foreign"
    shutil.copytree(studio_root / SOLO, foreign)
    shutil.copy(studio_root / ACGAN / "checkpoints" / "last.safetensors", foreign / "checkpoints")
    client = client_for(root)
    response = client.get("/api/runs/broken/generate")
    assert response.status_code == 409 and "cannot use this checkpoint" in response.json()["error"]
    assert str(root) not in response.json()["error"]  # names relative to the runs folder
    # An acgan checkpoint in a gan run still draws acgan digits: the checkpoint holds its config.
    assert client.get("/api/runs/foreign/generate?class=3").status_code == 200
    (foreign / "checkpoints" / "last.safetensors").write_bytes(
        last.read_bytes()[:0] + json.dumps({"not": "a checkpoint"}).encode()
    )
    assert client.get("/api/runs/foreign/interpolate").status_code == 409
    assert client.get("/api/runs/broken").status_code == 200  # its page still opens


def test_a_run_with_unreadable_files_still_opens(studio_root, tmp_path):
    run = tmp_path / "runs" / "torn"
    shutil.copytree(studio_root / SOLO, run)
    (run / "summary.json").write_text("{not json")
    (run / "metrics" / "batches.csv").write_bytes(b"\xff\xfe binary")
    (run / "config.yaml").write_bytes(b"recipe: gan\n\xff")
    (run / "samples" / "epoch_x.png").write_bytes(b"")
    client = client_for(tmp_path / "runs")
    [listed] = client.get("/api/runs").json()["runs"]
    assert listed["name"] == "torn" and listed["steps"] is None
    page = client.get("/api/runs/torn")
    assert page.status_code == 200 and page.json()["losses"]["batches"] == []
    assert "epoch_x.png" not in [g["name"] for g in page.json()["grids"]]
    assert client.get("/api/runs/torn/generate?n=2").status_code == 200  # the checkpoint is fine
