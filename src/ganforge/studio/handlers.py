"""The studio's endpoints: each reads its checked parameters, then the runs folder or a
generator, and answers JSON, PNG or GIF.

They are plain (synchronous) functions: Starlette runs them in its thread pool, so a
generation does not block the server's event loop.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from ganforge.errors import GanforgeError
from ganforge.generation import TrainedModel, load_model
from ganforge.studio.cache import DEFAULT_SIZE, GeneratorCache
from ganforge.studio.drawing import (
    CLASS_COLUMNS,
    generate_grid,
    gif_bytes,
    interpolation_images,
    strip_png,
)
from ganforge.studio.errors import bad_request, conflict
from ganforge.studio.params import (
    COMPARE_MAX,
    COMPARE_MIN,
    COMPARE_N_MAX,
    N_MAX,
    SEED_MAX,
    STEPS_MAX,
    STEPS_MIN,
    Query,
    parse_class,
)
from ganforge.studio.paths import file_in
from ganforge.studio.runs import (
    checkpoint_file,
    discover,
    enclosing_study,
    find_run,
    finite,
    run_detail,
    run_facts,
    run_file,
    run_summary,
)
from ganforge.studio.shown import formats
from ganforge.studio.studies import find_study, report_file, study_detail, study_summary

# A study's report.html is ganforge's own self-contained page (inline styles, data: images):
# it may show them and nothing else, run no script and fetch nothing.
REPORT_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"


class Json(JSONResponse):
    """JSON with every NaN or infinity made null (JSON has none)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(finite(content), ensure_ascii=False, allow_nan=False).encode("utf-8")


def data_url(png: bytes, kind: str = "image/png") -> str:
    return f"data:{kind};base64," + base64.b64encode(png).decode("ascii")


class StudioApi:
    """The endpoints over one runs folder, with one generator cache."""

    def __init__(self, runs_dir: Path, cache_size: int = DEFAULT_SIZE) -> None:
        self.root = Path(runs_dir).resolve()
        self.cache = GeneratorCache(cache_size, self._load)

    # -- helpers ---------------------------------------------------------------------------
    def _load(self, checkpoint: Path) -> TrainedModel:
        """The checkpoint's generator; any failure to build it is the checkpoint's (409)."""
        try:
            return load_model(checkpoint, None, "cpu")
        except (GanforgeError, ValueError, KeyError, TypeError, RuntimeError) as err:
            message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise conflict(f"cannot use this checkpoint: {self._short(message)}") from None

    def _short(self, message: str) -> str:
        """``message`` with the runs folder's path cut from the paths it names."""
        return message.replace(str(self.root) + "/", "")

    @contextmanager
    def _model(self, run_dir: Path, checkpoint: str | None) -> Iterator[TrainedModel]:
        with self.cache.use(checkpoint_file(self.root, run_dir, checkpoint)) as model:
            yield model

    def _classes(self, model: TrainedModel) -> list[str] | None:
        names = model.class_names
        return None if names is None else list(names)

    def _study_of(self, run_dir: Path) -> str | None:
        _, studies = discover(self.root)
        return enclosing_study(self.root, run_dir, studies)

    # -- listing and reading ---------------------------------------------------------------
    def index(self, request: Request) -> Response:
        Query(request.query_params, ())
        runs, studies = discover(self.root)
        return Json(
            {
                "root": str(self.root),
                "runs": [
                    run_summary(self.root, r, enclosing_study(self.root, r, studies)) for r in runs
                ],
                "studies": [study_summary(self.root, s) for s in studies],
                **formats(),
                "limits": {
                    "n": [1, N_MAX],
                    "seed": [0, SEED_MAX],
                    "steps": [STEPS_MIN, STEPS_MAX],
                    "compare": [COMPARE_MIN, COMPARE_MAX],
                    "compare_n": [1, COMPARE_N_MAX],
                    "class_columns": CLASS_COLUMNS,
                },
            }
        )

    def run(self, request: Request) -> Response:
        Query(request.query_params, ())
        run_dir = find_run(self.root, request.path_params["run"])
        return Json(run_detail(self.root, run_dir, self._study_of(run_dir)))

    def _run_image(self, request: Request, folder: str) -> Response:
        Query(request.query_params, ())
        run_dir = find_run(self.root, request.path_params["run"])
        path = run_file(self.root, run_dir, folder, request.path_params["file"])
        return FileResponse(path, media_type="image/png")

    def sample_image(self, request: Request) -> Response:
        """A grid the run wrote: ``samples/epoch_0003.png``, ``samples/final.png``…"""
        return self._run_image(request, "samples")

    def plot_image(self, request: Request) -> Response:
        """A plot the run wrote: ``plots/loss_per_batch.png``…"""
        return self._run_image(request, "plots")

    def progress_gif(self, request: Request) -> Response:
        Query(request.query_params, ())
        run_dir = find_run(self.root, request.path_params["run"])
        path = file_in(self.root, run_dir, "progress.gif", ".gif", "animation")
        return FileResponse(path, media_type="image/gif")

    def _study(self, request: Request) -> Path:
        name = Query(request.query_params, ("name",)).text("name")
        if name is None:
            raise bad_request("give the study's name: ?name=… ('.' for the runs folder itself)")
        return find_study(self.root, name)

    def study(self, request: Request) -> Response:
        """A compare or ablate folder's table (its results.json)."""
        return Json(study_detail(self.root, self._study(request)))

    def report(self, request: Request) -> Response:
        """A compare or ablate folder's report.html, under a policy that runs no script."""
        folder = self._study(request)
        return FileResponse(
            report_file(self.root, folder),
            media_type="text/html",
            headers={"Content-Security-Policy": REPORT_POLICY},
        )

    # -- generating ------------------------------------------------------------------------
    def generate(self, request: Request) -> Response:
        """``n`` digits from latent ``seed`` (of ``class``) as a PNG grid, or with
        ``format=json`` that PNG as a data URL with the labels and the time taken."""
        q = Query(request.query_params, ("seed", "n", "class", "checkpoint", "format"))
        seed = q.integer("seed", 0, 0, SEED_MAX)
        n = q.integer("n", 64, 1, N_MAX)
        form = q.choice("format", ("png", "json"))
        run_dir = find_run(self.root, request.path_params["run"])
        with self._model(run_dir, q.text("checkpoint")) as model:
            cls = parse_class(q.text("class"), self._classes(model), model.config.recipe)
            started = time.perf_counter()
            png, labels = generate_grid(model, seed, n, cls)
            ms = (time.perf_counter() - started) * 1000
        timing = {"Server-Timing": f"generate;dur={ms:.1f}"}
        if form == "png":
            return Response(png, media_type="image/png", headers=timing)
        return Json(
            {
                "image": data_url(png),
                "seed": seed,
                "n": n,
                "class": cls,
                "labels": labels.tolist(),
                "ms": round(ms, 1),
            },
            headers=timing,
        )

    def interpolate(self, request: Request) -> Response:
        """The path between seeds ``from`` and ``to`` (or, for a conditional recipe, between
        ``class`` and ``class_to`` at latent ``from``): a PNG strip, a GIF, or both in JSON."""
        names = ("from", "to", "steps", "class", "class_to", "checkpoint", "format")
        q = Query(request.query_params, names)
        seed_from = q.integer("from", 0, 0, SEED_MAX)
        seed_to = q.integer("to", 1, 0, SEED_MAX)
        steps = q.integer("steps", 10, STEPS_MIN, STEPS_MAX)
        form = q.choice("format", ("png", "gif", "json"))
        run_dir = find_run(self.root, request.path_params["run"])
        with self._model(run_dir, q.text("checkpoint")) as model:
            classes, recipe = self._classes(model), model.config.recipe
            cls = parse_class(q.text("class"), classes, recipe)
            class_to = parse_class(q.text("class_to"), classes, recipe, "class_to")
            if q.text("class_to") == "all":
                raise bad_request("class_to must be one class, not 'all'")
            started = time.perf_counter()
            images = interpolation_images(model, seed_from, seed_to, steps, cls, class_to)
            strip = strip_png(model, images) if form != "gif" else b""
            gif = gif_bytes(model, images) if form != "png" else b""
            ms = (time.perf_counter() - started) * 1000
        timing = {"Server-Timing": f"interpolate;dur={ms:.1f}"}
        if form == "png":
            return Response(strip, media_type="image/png", headers=timing)
        if form == "gif":
            return Response(gif, media_type="image/gif", headers=timing)
        return Json(
            {
                "strip": data_url(strip),
                "gif": data_url(gif, "image/gif"),
                "steps": steps,
                "ms": round(ms, 1),
            },
            headers=timing,
        )

    def compare(self, request: Request) -> Response:
        """2-6 runs' grids from the same latents (``seed``, ``n``) with their metrics."""
        q = Query(request.query_params, ("run", "seed", "n"), repeatable=("run",))
        names = [v for v in q.values("run") if v]
        if not COMPARE_MIN <= len(names) <= COMPARE_MAX:
            raise bad_request(
                f"compare takes {COMPARE_MIN} to {COMPARE_MAX} runs (run=A&run=B…), "
                f"got {len(names)}"
            )
        if len(set(names)) != len(names):
            raise bad_request("a run is named twice")
        seed = q.integer("seed", 0, 0, SEED_MAX)
        n = q.integer("n", 16, 1, COMPARE_N_MAX)
        run_dirs = [find_run(self.root, name) for name in names]  # all checked before any work
        _, studies = discover(self.root)
        out = []
        for run_dir in run_dirs:
            detail = run_summary(self.root, run_dir, enclosing_study(self.root, run_dir, studies))
            with self._model(run_dir, None) as model:
                started = time.perf_counter()
                png, labels = generate_grid(model, seed, n, None, square=True)
                ms = (time.perf_counter() - started) * 1000
            out.append(
                {
                    **detail,
                    **run_facts(run_dir),
                    "image": data_url(png),
                    "labels": labels.tolist(),
                    "ms": round(ms, 1),
                }
            )
        return Json({"seed": seed, "n": n, "runs": out})
