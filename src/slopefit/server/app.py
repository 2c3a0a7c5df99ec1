"""The playground's routes (Starlette): thin functions over :mod:`.playground`, with bounds and
validation at the edge (:mod:`.checks`), every computation off the event loop (:class:`.jobs.JobPool`:
runs on worker processes, the rest on threads), :class:`.guard.Guard` in front (Host, Origin,
content type, token) and every answer's message in the page's language (:mod:`.messages`).

Every request that is refused gets a 4xx and ``{"error": one line}``; JSON bodies (``POST``
``/api/train``, ``/api/sweep``, ``/api/cancel/{id}``) come as ``application/json``.

``GET /``                     the page, in ``?lang=ko|en`` or the browser's language
``GET /static/...``           its script, style sheet and font (shipped in the package)
``GET /api/bowl``             data, exact line, advisor's numbers and loss bowl for a data set and scaling

Every request that names data (bowl, train, sweep) may carry the learner's edited points, which
replace the data set's rows: ``points=x,y;x,y`` in a query, ``"points": [[x, y], ...]`` in JSON.
``POST /api/train``           a run, streamed as JSON lines (``job``, ``start``, ``epoch``..., ``done``/``error``)
``POST /api/cancel/{id}``     stop a run
``POST /api/upload?name=F``   a CSV/Parquet table (raw body, ``application/octet-stream``, at most 2 MiB)
``POST /api/sweep``           the lr x momentum sweep
``GET /api/lesson``           the lesson's sections and steps
``GET /api/runs/{id}/model.json``, ``/report.html``  a finished run's files
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from slopefit.errors import SlopefitError
from slopefit.server import checks, playground
from slopefit.server.downloads import RunStore, model_json, report_html
from slopefit.server.guard import LOOPBACK_NAMES, Guard
from slopefit.server.jobs import JobPool
from slopefit.server.messages import Refused, choose_lang, say, status_of
from slopefit.server.uploads import MAX_UPLOAD_BYTES, UploadStore
from slopefit.server.webfont import web_font

__all__ = ["choose_lang", "create_app"]

log = logging.getLogger("slopefit.server")

MAX_JSON_BYTES = 64 << 10
DRAIN_BYTES = 64 << 20  # the most of a too-large body read (and dropped) before the answer
STATIC = Path(str(resources.files("slopefit.server") / "static"))
REFUSED = (SlopefitError, ValueError, TypeError)


def lang_of(request: Request) -> str:
    """The page's language for ``request``: its ``?lang=``, else its Accept-Language."""
    return choose_lang(request.query_params.get("lang"), request.headers.get("accept-language"))


def _error(exc: BaseException, lang: str) -> JSONResponse:
    """A refused request: its one line in ``lang`` with the CLI's prefix, and a 4xx status."""
    return JSONResponse({"error": say(exc, lang)}, status_code=status_of(exc))


async def _json(request: Request) -> dict[str, Any]:
    body = await _read(request, MAX_JSON_BYTES)
    try:
        value = json.loads(body or b"{}")
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise Refused("err.json") from None
    if not isinstance(value, dict):
        raise Refused("err.json_object")
    return value


async def _read(request: Request, limit: int, *, upload: bool = False) -> bytes:
    """The body, or Refused (413) once it passes ``limit`` bytes. The rest of a body up to
    :data:`DRAIN_BYTES` is read and dropped first, so that the client gets the answer instead
    of a connection closed in the middle of its upload; a larger one is cut off."""
    unit = f"{limit >> 20} MiB" if limit >> 20 else f"{limit >> 10} KiB"
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif size > DRAIN_BYTES:
            break
    if size > limit:
        raise Refused("err.upload_large" if upload else "err.too_large", status=413, limit=unit)
    return b"".join(chunks)


class Playground:
    """The app's state: the job pool, the uploads and the finished runs; :meth:`app` builds the routes."""

    def __init__(self, *, workers: int = 2, max_jobs: int = 64) -> None:
        self.jobs = JobPool(workers=workers, max_jobs=max_jobs, max_seconds=playground.MAX_SECONDS)
        self.uploads = UploadStore()
        self.runs = RunStore()

    def check_source(self, params: dict[str, Any]) -> None:
        """Refused unless ``params`` name a built-in data set or an upload kept here (no reading yet)."""
        name = checks.text(params, "dataset", "hours-ability")
        if name == "upload":
            self.uploads.get(checks.text(params, "upload"))
        else:
            checks.builtin_data(name)

    def data(self, params: dict[str, Any], points: list[tuple[float, float]] | None = None):
        """The data a request names: a built-in name, or ``upload`` with its token and columns;
        with ``points`` (checked by :func:`.checks.points`), its rows replaced by them."""
        name = checks.text(params, "dataset", "hours-ability")
        if name == "upload":
            data = self.uploads.dataset(checks.text(params, "upload"), x=checks.columns(params.get("x")),
                                        y=checks.text(params, "y") or None)
        else:
            data = checks.builtin_data(name)
        if points is not None:
            return checks.edited(data, points)
        return checks.check_rows(data)

    async def page(self, request: Request) -> Response:
        from slopefit.data.datasets import builtin_names
        from slopefit.texts import page_texts

        lang = lang_of(request)
        boot = {"lang": lang, "texts": page_texts(lang), "datasets": list(builtin_names()),
                "limits": {"epochs": checks.MAX_EPOCHS, "upload_bytes": MAX_UPLOAD_BYTES, "lr": checks.MAX_LR,
                           "sweep_cells": checks.MAX_SWEEP_CELLS, "sweep_epochs": checks.MAX_SWEEP_EPOCHS,
                           "points": checks.MAX_POINTS}}
        html = (STATIC / "index.html").read_text(encoding="utf-8")
        html = html.replace("__LANG__", lang).replace("__TITLE__", page_texts(lang)["title"])
        html = html.replace("__BOOT__", json.dumps(boot, ensure_ascii=False).replace("</", "<\\/"))
        return HTMLResponse(html, headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})

    async def font(self, request: Request) -> Response:
        ttf, packed = await self.jobs.page(web_font)
        headers = {"Cache-Control": "max-age=86400", "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(packed, media_type="font/ttf", headers={**headers, "Content-Encoding": "gzip"})
        return Response(ttf, media_type="font/ttf", headers=headers)

    async def bowl(self, request: Request) -> Response:
        params: dict[str, Any] = dict(request.query_params)
        params["x"] = request.query_params.getlist("x")  # x=A&x=B: several feature columns
        lang = lang_of(request)
        try:
            settings = {k: v for k, v in params.items() if k not in ("start", "x")}
            run = checks.parse_run({**settings, "epochs": "1", "lr": params.get("lr") or "1"}, query=True)
            lr = checks.number(params, "lr", query=True)
            start = _start(params)
            points = checks.points(params.get("points"), query=True)

            def work() -> dict:
                return playground.bowl(self.data(params, points), run.scaling, optimizer=run.optimizer, lr=lr,
                                       momentum=run.momentum, start=start, lang=lang)

            return JSONResponse(await self.jobs.page(work))
        except REFUSED as exc:
            return _error(exc, lang)

    async def train(self, request: Request) -> Response:
        lang = lang_of(request)
        try:
            body = await _json(request)
            run = checks.parse_run(body)
            points = checks.points(body.get("points"))
            if run.dataset is not None:  # one of the lesson's runs: the lesson's data set, as it is
                body, points = {"dataset": run.dataset}, None
            self.check_source(body)
            job = self.jobs.open()
        except REFUSED as exc:
            return _error(exc, lang)

        data: list = []

        def prepare() -> tuple:
            data.append(self.data(body, points))
            checks.check_steps(data[0], run)
            return data[0], run

        def keep(result) -> None:
            self.runs.add(job.id, data[0], result)

        return StreamingResponse(self.jobs.stream(job, prepare, keep, lang=lang), media_type="application/x-ndjson",
                                 headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    async def cancel(self, request: Request) -> Response:
        try:
            await _json(request)
        except REFUSED as exc:
            return _error(exc, lang_of(request))
        return JSONResponse({"cancelled": self.jobs.cancel(request.path_params["job"])})

    async def upload(self, request: Request) -> Response:
        lang = lang_of(request)
        try:
            name = checks.text(dict(request.query_params), "name", "upload.csv") or "upload.csv"
            content = await _read(request, MAX_UPLOAD_BYTES, upload=True)

            def work() -> dict:
                upload = self.uploads.add(name, content)
                error = None
                try:  # the CLI's checks on the columns the page picks first
                    checks.check_rows(self.uploads.dataset(upload.token, x=upload.x, y=upload.y))
                except REFUSED as exc:
                    error = say(exc, lang)
                return {"token": upload.token, "name": upload.name, "columns": list(upload.columns),
                        "numeric": list(upload.numeric), "x": [upload.x], "y": upload.y, "error": error}

            return JSONResponse(await self.jobs.page(work))
        except REFUSED as exc:
            return _error(exc, lang)

    async def sweep(self, request: Request) -> Response:
        lang = lang_of(request)
        try:
            body = await _json(request)
            sweep = checks.parse_sweep(body)
            points = checks.points(body.get("points"))
            self.check_source(body)
            job = self.jobs.open()
            return JSONResponse(await self.jobs.call(
                job, lambda job: playground.sweep_grid(self.data(body, points), sweep, job.cancelled)))
        except REFUSED as exc:
            return _error(exc, lang)

    async def lesson(self, request: Request) -> Response:
        lang = lang_of(request)
        try:
            return JSONResponse(await self.jobs.page(lambda: playground.lesson(lang)))
        except REFUSED as exc:
            return _error(exc, lang)

    async def download(self, request: Request) -> Response:
        lang = lang_of(request)
        run = self.runs.get(request.path_params["job"])
        if run is None:
            return _error(Refused("err.no_run", status=404), lang)
        kind = request.path_params["kind"]
        if kind not in ("model.json", "report.html"):
            return _error(Refused("err.no_file", status=404), lang)
        loop_work = (lambda: model_json(run)) if kind == "model.json" else (lambda: report_html(run, lang))
        try:
            import asyncio

            content = await asyncio.get_running_loop().run_in_executor(self.jobs.executor, loop_work)
        except REFUSED as exc:
            return _error(exc, lang)
        media = "application/json" if kind == "model.json" else "text/html; charset=utf-8"
        stem = f"slopefit-{run.data.name.rsplit('.', 1)[0]}"
        return Response(content, media_type=media,
                        headers={"Content-Disposition": f"attachment; filename=\"{stem}-{kind}\"".encode(
                            "ascii", "replace").decode()})

    @contextlib.asynccontextmanager
    async def lifespan(self, app) -> AsyncIterator[None]:
        self.jobs.quick.submit(web_font)  # made before the first page asks for it
        self.jobs.executor.submit(playground.warm_up)
        self.jobs.start()  # the worker processes: torch imported once each, not per run
        try:
            yield
        finally:
            self.jobs.shutdown()
            self.uploads.close()

    def app(self) -> Starlette:
        """The ASGI application (without the guard; :func:`create_app` puts it in front)."""
        routes = [
            Route("/", self.page),
            Route("/fonts/NanumGothic.ttf", self.font),
            Route("/api/bowl", self.bowl),
            Route("/api/train", self.train, methods=["POST"]),
            Route("/api/cancel/{job}", self.cancel, methods=["POST"]),
            Route("/api/upload", self.upload, methods=["POST"]),
            Route("/api/sweep", self.sweep, methods=["POST"]),
            Route("/api/lesson", self.lesson),
            Route("/api/runs/{job}/{kind:str}", self.download),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]
        return Starlette(routes=routes, lifespan=self.lifespan,
                         exception_handlers={HTTPException: _http_error, Exception: _internal_error})  # type: ignore[dict-item]


async def _http_error(request: Request, exc: HTTPException) -> Response:
    """A route that does not exist or a method it does not take: one line, in the page's language."""
    path = request.url.path[:80]
    if exc.status_code == 405:
        refused = Refused("err.method", status=405, path=path, method=request.method[:10])
    else:
        refused = Refused("err.not_found", status=exc.status_code if exc.status_code >= 400 else 404, path=path)
    return _error(refused, lang_of(request))


async def _internal_error(request: Request, exc: Exception) -> Response:
    """What no route expected: logged here, one line (no trace, no path) to the page."""
    log.exception("a request failed", exc_info=exc)
    return JSONResponse({"error": say(exc, lang_of(request))}, status_code=500)


def _start(params: dict[str, Any]) -> tuple[float, float] | None:
    """``start=W,B`` of a query, or None."""
    text = params.get("start")
    if not text:
        return None
    parts = str(text).split(",")
    if len(parts) != 2:
        raise Refused("err.start", got=checks.shown(text))
    w, b = (checks.number({key: part}, key, query=True) for key, part in zip("WB", parts, strict=True))
    if w is None or b is None:
        raise Refused("err.start", got=checks.shown(text))
    return (w, b)


def create_app(*, workers: int = 2, max_jobs: int = 64, hosts: Iterable[str] = LOOPBACK_NAMES,
               token: str | None = None) -> Guard:
    """The playground as an ASGI app (``uvicorn`` serves it; see :func:`slopefit.server.serve`).

    Parameters
    ----------
    workers : int, default 2
        Worker processes that train (one per core).
    max_jobs : int, default 64
        Runs at a time (running or waiting); one more is answered 503 "busy". Page requests
        (the page, lesson, bowl, uploads) take no slot.
    hosts : iterable of str, default the loopback names
        The ``Host`` names answered (:func:`.guard.allowed_hosts`); any other gets 403.
    token : str or None
        When set, every request must carry it (``?token=``, the page's cookie, or
        ``Authorization: token ...``); :func:`slopefit.server.serve` sets one beyond loopback.

    Returns
    -------
    Guard
        The app behind :class:`.guard.Guard`.
    """
    return Guard(Playground(workers=workers, max_jobs=max_jobs).app(), hosts=hosts, token=token)
