"""The playground: the lesson as a local web page, every number computed by slopefit on PyTorch.

``slopefit serve`` starts it (:func:`serve`); :func:`slopefit.server.app.create_app` is the ASGI
app. Routes live in :mod:`.app`, the computations they call in :mod:`.playground`, runs off the
event loop in :mod:`.jobs`, uploaded tables in :mod:`.uploads`, downloads in :mod:`.downloads`,
and the page itself (HTML, script, style; no CDN, no build step) in ``static/``.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["serve"]


def cpu_count() -> int:
    """The CPU cores this process may run on (at least 1)."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def serve(*, host: str = "127.0.0.1", port: int = 8000, workers: int | None = None, max_jobs: int = 64,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the playground with uvicorn until interrupted.

    Parameters
    ----------
    host : str, default "127.0.0.1"
        The address to bind (loopback: only this machine can reach it).
    port : int, default 8000
        The TCP port, 1..65535 (0: any free port).
    workers : int or None
        Worker processes that train, each one run at a time; None: one per CPU core
        (:func:`cpu_count`).
    max_jobs : int, default 64
        Runs at a time, running or waiting.
    on_ready : callable, optional
        Called with the page's URL once the server listens (the CLI opens the browser there).

    Raises
    ------
    OSError
        The address cannot be bound (a port in use, an unknown host).
    """
    import asyncio
    import socket

    import torch
    import uvicorn

    from slopefit.server.app import create_app

    # bound here, before uvicorn, so that a port in use is one OSError for the caller to word
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    torch.set_num_threads(1)  # the sweep's threads beside the worker processes: one core each
    app = create_app(workers=workers or cpu_count(), max_jobs=max_jobs)
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)

    async def main() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.02)
        if server.started and on_ready is not None:
            bound = sock.getsockname()[1]
            shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
            on_ready(f"http://{shown if ':' not in shown else f'[{shown}]'}:{bound}/")
        await task

    try:
        asyncio.run(main())
    finally:
        sock.close()
