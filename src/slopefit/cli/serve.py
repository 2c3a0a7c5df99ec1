"""``slopefit serve``: the playground, a local web page where the lesson can be played with."""

from __future__ import annotations

import argparse
import sys

from slopefit.cli.arguments import UsageError, add_lang_option
from slopefit.texts import text

EXIT_OK = 0
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_parsers(sub) -> None:
    p = sub.add_parser("serve", help="the playground: the lesson as a web page a class can play with")
    p.add_argument("--port", type=int, default=8000, help="TCP port (default 8000; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only; another address lets others in)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="a host name the page may be reached by, besides localhost and the bound address (repeatable; "
                        "e.g. the machine's name on the school network)")
    p.add_argument("--open", action="store_true", help="open the page in the web browser")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes that train, one run each at a time (default: one per CPU core)")
    add_lang_option(p)
    p.set_defaults(handler=cmd_serve, needs_torch=False)


def cmd_serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"slopefit serve: --port must be 0..65535, got {args.port}")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"slopefit serve: --workers must be >= 1, got {args.workers}")
    if args.host not in LOOPBACK:
        print(text("serve.open", args.lang, host=args.host), file=sys.stderr)
    try:
        import uvicorn  # noqa: F401
    except ImportError:
        raise UsageError("slopefit serve needs starlette and uvicorn: pip install -e . (they are dependencies)") \
            from None
    from slopefit.server import serve

    def ready(url: str) -> None:
        print(text("serve.ready", args.lang, url=url), flush=True)
        if args.open:
            import webbrowser

            webbrowser.open(url)

    try:
        serve(host=args.host, port=args.port, workers=args.workers, allow_hosts=args.allow_host, on_ready=ready)
    except KeyboardInterrupt:  # Ctrl-C is how a server is stopped: not a failure
        print(text("serve.stopped", args.lang), file=sys.stderr)
    except OSError as exc:
        raise UsageError(f"slopefit serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
                         "choose another --port (or --host)") from None
    return EXIT_OK
