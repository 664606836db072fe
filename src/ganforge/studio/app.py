"""The studio's web app: :func:`create_app` builds it over one runs folder.

Routes (all GET; nothing the page does changes a file):

- ``/``, ``/static/…``: the page (plain HTML, CSS and JavaScript, no build step, nothing
  fetched from elsewhere);
- ``/api/runs``: every run and study under the folder; ``/api/runs/{run}``: one run;
  ``/api/runs/{run}/samples/{file}``, ``…/plots/{file}``, ``…/progress.gif``: its pictures;
- ``/api/runs/{run}/generate``, ``/api/runs/{run}/interpolate``: new digits;
- ``/api/compare?run=A&run=B…``: 2-6 runs from the same latents, with their metrics;
- ``/api/study?name=S``, ``/api/study/report.html?name=S``: a compare folder.

Every refusal is JSON ``{"error": "…"}`` with a 4xx status; anything unforeseen is a 500
with a one-line JSON body, its traceback only in the server's log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ganforge.errors import CheckpointError, GanforgeError
from ganforge.studio.cache import DEFAULT_SIZE
from ganforge.studio.errors import StudioError
from ganforge.studio.handlers import Json, StudioApi

STATIC = Path(__file__).parent / "static"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# The page's own policy: its scripts, styles and images only, and images it made (data:, blob:).
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'"
)
log = logging.getLogger("ganforge.studio")


def host_of(header: str) -> str:
    """The host of a ``Host`` header, without its port: ``[::1]:8000`` → ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else ""
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class HostCheck:
    """Answers only requests whose ``Host`` is one of ``hosts`` (400 otherwise): a web page
    elsewhere cannot reach the studio through a DNS name rebound to 127.0.0.1. ``*`` lets
    every host through (``--host 0.0.0.0``: the names the machine is reached by are
    unknown)."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = {h.lower().strip("[]") for h in hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "*" not in self.hosts:
            headers = dict(scope.get("headers") or [])
            host = host_of(headers.get(b"host", b"").decode("latin-1"))
            if host not in self.hosts:
                response = Json({"error": f"host {host!r} is not served here"}, status_code=400)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class PagePolicy:
    """Adds the page's Content-Security-Policy (unless a response set its own) and
    ``nosniff`` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", PAGE_POLICY.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def studio_error(_: Request, err: Exception) -> Response:
    assert isinstance(err, StudioError)
    return Json({"error": err.message}, status_code=err.status)


def ganforge_error(_: Request, err: Exception) -> Response:
    """A one-line GanforgeError that got this far: the checkpoint's fault (409) or the
    request's (400)."""
    status = 409 if isinstance(err, CheckpointError) else 400
    return Json({"error": str(err).strip().splitlines()[0]}, status_code=status)


def http_error(_: Request, err: Exception) -> Response:
    assert isinstance(err, HTTPException)
    return Json({"error": str(err.detail)}, status_code=err.status_code)


def server_error(request: Request, err: Exception) -> Response:
    log.error("error answering %s", request.url.path, exc_info=err)
    return Json({"error": "internal error (see the studio's log)"}, status_code=500)


def create_app(
    runs_dir: Path,
    *,
    cache_size: int = DEFAULT_SIZE,
    hosts: Iterable[str] = LOOPBACK_HOSTS,
) -> Starlette:
    """The studio over ``runs_dir``, keeping up to ``cache_size`` generators in memory and
    answering requests addressed to ``hosts`` (``*`` for any)."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise GanforgeError(f"runs folder {runs_dir} does not exist or is not a folder")
    api = StudioApi(runs_dir, cache_size)

    def page(_: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    run = "/api/runs/{run:path}"
    routes = [
        Route("/", page),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        Route("/api/runs", api.index),
        Route(run + "/generate", api.generate),
        Route(run + "/interpolate", api.interpolate),
        Route(run + "/progress.gif", api.progress_gif),
        Route(run + "/samples/{file:str}", api.sample_image),
        Route(run + "/plots/{file:str}", api.plot_image),
        Route(run, api.run),
        Route("/api/compare", api.compare),
        # A study by query (?name=): its name is "." when it is the runs folder itself, which a
        # path would lose to URL normalisation.
        Route("/api/study", api.study),
        Route("/api/study/report.html", api.report),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(HostCheck, hosts=list(hosts)), Middleware(PagePolicy)],
        exception_handlers={
            StudioError: studio_error,
            GanforgeError: ganforge_error,
            HTTPException: http_error,
            Exception: server_error,
        },
    )
    app.state.api = api
    return app
