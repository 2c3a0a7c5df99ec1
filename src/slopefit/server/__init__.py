"""The playground: the lesson as a local web page, every number computed by slopefit on PyTorch.

``slopefit serve`` starts it (:func:`serve`); :func:`slopefit.server.app.create_app` is the ASGI
app. Routes live in :mod:`.app`, the computations they call in :mod:`.playground`, runs off the
event loop in :mod:`.jobs`, uploaded tables in :mod:`.uploads`, downloads in :mod:`.downloads`,
and the page itself (HTML, script, style; no CDN, no build step) in ``static/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = ["serve"]


def cpu_count() -> int:
    """The CPU cores this process may run on (at least 1)."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def serve(*, host: str = "127.0.0.1", port: int = 8000, workers: int | None = None, max_jobs: int = 64,
          allow_hosts: Iterable[str] = (), token: str | None = None,
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
    allow_hosts : iterable of str
        ``Host`` names answered besides the loopback names and ``host`` itself (a name a class
        reaches this machine by); any other gets 403, as in a notebook server.
    token : str or None
        The token every request must carry when ``host`` is not loopback (None: a random one,
        put in the URL given to ``on_ready``, as Jupyter prints its own); on loopback, none.
    on_ready : callable, optional
        Called with the page's URL (with ``?token=`` when there is one) once the server listens
        (the CLI prints it and opens the browser there).

    Raises
    ------
    OSError
        The address cannot be bound (a port in use, an unknown host).
    """
    import asyncio
    import secrets
    import socket

    import torch
    import uvicorn

    from slopefit.server.app import create_app
    from slopefit.server.guard import LOOPBACK_NAMES, allowed_hosts

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
    loopback = host in LOOPBACK_NAMES
    token = None if loopback else (token or secrets.token_urlsafe(24))
    hosts = allowed_hosts(host, allow_hosts)
    if not loopback and host in ("0.0.0.0", "::"):  # every address of this machine: its own names too
        hosts = allowed_hosts(host, [*allow_hosts, socket.gethostname(), socket.getfqdn()])
    app = create_app(workers=workers or cpu_count(), max_jobs=max_jobs, hosts=hosts, token=token)
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)

    async def main() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.02)
        if server.started and on_ready is not None:
            bound = sock.getsockname()[1]
            shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
            query = f"?token={token}" if token else ""
            on_ready(f"http://{shown if ':' not in shown else f'[{shown}]'}:{bound}/{query}")
        await task

    try:
        asyncio.run(main())
    finally:
        sock.close()
