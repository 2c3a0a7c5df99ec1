"""The playground's routes (Starlette): thin functions over :mod:`.playground`, with bounds and
validation at the edge and every computation off the event loop (:class:`.jobs.JobPool`: runs on
worker processes, the rest on threads).

``GET /``                     the page, in ``?lang=ko|en`` or the browser's language
``GET /static/...``           its script, style sheet and font (shipped in the package)
``GET /api/bowl``             data, exact line, advisor's numbers and loss bowl for a data set and scaling
``POST /api/train``           a run, streamed as JSON lines (``job``, ``start``, ``epoch``..., ``done``/``error``)
``POST /api/cancel/{id}``     stop a run
``POST /api/upload?name=F``   a CSV/Parquet table (raw body, at most 2 MiB)
``POST /api/sweep``           the lr x momentum sweep
``GET /api/lesson``           the lesson's sections and steps
``GET /api/runs/{id}/model.json``, ``/report.html``  a finished run's files
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from slopefit.errors import ConfigError, DataError, SlopefitError
from slopefit.server import playground
from slopefit.server.downloads import RunStore, model_json, report_html
from slopefit.server.jobs import Busy, JobPool
from slopefit.server.uploads import MAX_UPLOAD_BYTES, UploadStore
from slopefit.server.webfont import web_font
from slopefit.texts import cli_words

log = logging.getLogger("slopefit.server")

MAX_JSON_BYTES = 64 << 10
DRAIN_BYTES = 64 << 20  # the most of a too-large body read (and dropped) before the answer
STATIC = Path(str(resources.files("slopefit.server") / "static"))


def choose_lang(query: str | None, accept: str | None) -> str:
    """``ko`` or ``en``: the query's when it names one, else the first of the two in Accept-Language
    (by its q weights), else English.

    Examples
    --------
    >>> choose_lang(None, "ko-KR,ko;q=0.9,en-US;q=0.8"), choose_lang("en", "ko"), choose_lang(None, "fr")
    ('ko', 'en', 'en')
    """
    if query in ("ko", "en"):
        return query
    ranked = []
    for k, part in enumerate((accept or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in ("ko", "en") and q > 0:
            ranked.append((-q, k, primary))
    return min(ranked)[2] if ranked else "en"


def _error(exc: BaseException) -> JSONResponse:
    """A failed request: the library's one-line message with the CLI's prefix, and a status."""
    if isinstance(exc, Busy):
        return JSONResponse({"error": "slopefit: the server is busy (every run slot is taken); try again in a "
                                      "moment"}, status_code=503)
    status = 400 if isinstance(exc, ConfigError | ValueError) else 422
    return JSONResponse({"error": f"slopefit: {cli_words(str(exc))}"}, status_code=status)


async def _json(request: Request) -> dict[str, Any]:
    body = await _read(request, MAX_JSON_BYTES)
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        raise ConfigError("the request is not JSON") from None
    if not isinstance(value, dict):
        raise ConfigError("the request must be a JSON object")
    return value


async def _read(request: Request, limit: int, what: str = "the request") -> bytes:
    """The body, or DataError once it passes ``limit`` bytes. The rest of a body up to
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
        raise DataError(f"{what} is over {unit}, the playground's limit"
                        + (": use slopefit fit on the command line for larger tables" if what == "the upload" else ""))
    return b"".join(chunks)


class Playground:
    """The app's state: the job pool, the uploads and the finished runs; :meth:`app` builds the routes."""

    def __init__(self, *, workers: int = 2, max_jobs: int = 64) -> None:
        self.jobs = JobPool(workers=workers, max_jobs=max_jobs, max_seconds=playground.MAX_SECONDS)
        self.uploads = UploadStore()
        self.runs = RunStore()

    def check_source(self, params: dict[str, Any]) -> None:
        """ConfigError unless ``params`` name a built-in data set or an upload kept here (no reading yet)."""
        name = str(params.get("dataset", "hours-ability"))
        if name == "upload":
            self.uploads.get(str(params.get("upload", "")))
        else:
            playground.builtin_data(name)

    def data(self, params: dict[str, Any]):
        """The data a request names: a built-in name, or ``upload`` with its token and columns."""
        name = str(params.get("dataset", "hours-ability"))
        if name == "upload":
            data = self.uploads.dataset(str(params.get("upload", "")), x=_columns(params.get("x")),
                                        y=params.get("y") or None)
        else:
            data = playground.builtin_data(name)
        return playground.check_rows(data)

    async def page(self, request: Request) -> Response:
        from slopefit.data.datasets import builtin_names
        from slopefit.texts import page_texts

        lang = choose_lang(request.query_params.get("lang"), request.headers.get("accept-language"))
        boot = {"lang": lang, "texts": page_texts(lang), "datasets": list(builtin_names()),
                "limits": {"epochs": playground.MAX_EPOCHS, "upload_bytes": MAX_UPLOAD_BYTES,
                           "sweep_cells": playground.MAX_SWEEP_CELLS, "sweep_epochs": playground.MAX_SWEEP_EPOCHS}}
        html = (STATIC / "index.html").read_text(encoding="utf-8")
        html = html.replace("__LANG__", lang).replace("__TITLE__", page_texts(lang)["title"])
        html = html.replace("__BOOT__", json.dumps(boot, ensure_ascii=False).replace("</", "<\\/"))
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def font(self, request: Request) -> Response:
        import asyncio

        ttf, packed = await asyncio.get_running_loop().run_in_executor(self.jobs.quick, web_font)
        headers = {"Cache-Control": "max-age=86400", "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(packed, media_type="font/ttf", headers={**headers, "Content-Encoding": "gzip"})
        return Response(ttf, media_type="font/ttf", headers=headers)

    async def bowl(self, request: Request) -> Response:
        params: dict[str, Any] = dict(request.query_params)
        params["x"] = request.query_params.getlist("x")  # x=A&x=B: several feature columns
        try:
            job = self.jobs.open()

            def work(job) -> dict:
                settings = {k: v for k, v in params.items() if k != "start"}  # a query's start is "W,B"
                run = playground.parse_run({**settings, "epochs": 1, "lr": params.get("lr") or 1.0})
                return playground.bowl(self.data(params), run.scaling, optimizer=run.optimizer,
                                       lr=float(params["lr"]) if params.get("lr") else None, momentum=run.momentum,
                                       start=_start(params))

            return JSONResponse(await self.jobs.call(job, work, quick=True))
        except (SlopefitError, ValueError, Busy) as exc:
            return _error(exc)

    async def train(self, request: Request) -> Response:
        try:
            body = await _json(request)
            run = playground.parse_run(body)
            if run.dataset is not None:  # one of the lesson's runs: the lesson's data set
                body = {"dataset": run.dataset}
            self.check_source(body)
            job = self.jobs.open()
        except (SlopefitError, ValueError, Busy) as exc:
            return _error(exc)

        data: list = []

        def prepare() -> tuple:
            data.append(self.data(body))
            return data[0], run

        def keep(result) -> None:
            self.runs.add(job.id, data[0], result)

        return StreamingResponse(self.jobs.stream(job, prepare, keep), media_type="application/x-ndjson",
                                 headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    async def cancel(self, request: Request) -> Response:
        return JSONResponse({"cancelled": self.jobs.cancel(request.path_params["job"])})

    async def upload(self, request: Request) -> Response:
        name = request.query_params.get("name", "upload.csv")
        try:
            content = await _read(request, MAX_UPLOAD_BYTES, "the upload")
            job = self.jobs.open()

            def work(job) -> dict:
                upload = self.uploads.add(name, content)
                x, y = upload.columns[0], upload.columns[-1]
                error = None
                try:  # the CLI's checks on the first and last columns, as the page picks them
                    playground.check_rows(self.uploads.dataset(upload.token, x=x, y=y))
                except (DataError, ConfigError) as exc:
                    error = f"slopefit: {cli_words(str(exc))}"
                return {"token": upload.token, "name": upload.name, "columns": list(upload.columns),
                        "x": [x], "y": y, "error": error}

            return JSONResponse(await self.jobs.call(job, work, quick=True))
        except (SlopefitError, ValueError, Busy) as exc:
            return _error(exc)

    async def sweep(self, request: Request) -> Response:
        try:
            body = await _json(request)
            job = self.jobs.open()
            return JSONResponse(await self.jobs.call(
                job, lambda job: playground.sweep_grid(self.data(body), body, job.cancelled)))
        except (SlopefitError, ValueError, Busy) as exc:
            return _error(exc)

    async def lesson(self, request: Request) -> Response:
        lang = choose_lang(request.query_params.get("lang"), request.headers.get("accept-language"))
        try:
            job = self.jobs.open()
            return JSONResponse(await self.jobs.call(job, lambda job: playground.lesson(lang), quick=True))
        except (SlopefitError, ValueError, Busy) as exc:
            return _error(exc)

    async def download(self, request: Request) -> Response:
        run = self.runs.get(request.path_params["job"])
        if run is None:
            return JSONResponse({"error": "slopefit: no finished run with that id here; run it again"},
                                status_code=404)
        kind = request.path_params["kind"]
        if kind not in ("model.json", "report.html"):
            return JSONResponse({"error": "slopefit: a run has model.json and report.html"}, status_code=404)
        lang = choose_lang(request.query_params.get("lang"), request.headers.get("accept-language"))
        try:
            job = self.jobs.open()
            if kind == "model.json":
                content = await self.jobs.call(job, lambda job: model_json(run))
                media = "application/json"
            else:
                content = await self.jobs.call(job, lambda job: report_html(run, lang))
                media = "text/html; charset=utf-8"
        except (SlopefitError, ValueError, Busy) as exc:
            return _error(exc)
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
        """The ASGI application."""
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
        return Starlette(routes=routes, lifespan=self.lifespan)


def _columns(value: Any) -> list[str] | None:
    """The feature columns a request names: one name, a list of names, or none (None)."""
    if value is None or value == "" or value == []:
        return None
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"x must be a column name or a list of column names, got {value!r}")
    if len(set(names)) != len(names):
        raise ConfigError(f"x names a column twice: {', '.join(names)}; choose each feature column once")
    return names


def _start(params: dict[str, Any]) -> tuple[float, float] | None:
    """``start=W,B`` of a query, or None."""
    text = params.get("start")
    if not text:
        return None
    parts = str(text).split(",")
    if len(parts) != 2:
        raise ConfigError(f"start must be W,B, got {text!r}")
    w, b = (playground._number({"start": p}, "start") for p in parts)
    return (float(w), float(b))


def create_app(*, workers: int = 2, max_jobs: int = 64) -> Starlette:
    """The playground as an ASGI app (``uvicorn`` serves it; see :func:`slopefit.server.serve`).

    Parameters
    ----------
    workers : int, default 2
        Worker processes that train (one per core).
    max_jobs : int, default 64
        Runs at a time (running or waiting); one more is answered 503 "busy".

    Returns
    -------
    Starlette
    """
    return Playground(workers=workers, max_jobs=max_jobs).app()
