"""What keeps other web pages and other machines from driving the playground, as a notebook
server does it (Jupyter's defaults): an ASGI middleware in front of every route.

- **Host allow-list**: a request whose ``Host`` is not a loopback name (or one added with
  ``allow_hosts``, or the address bound) is refused, so a DNS-rebinding page cannot reach it.
- **Origin check**: a request that changes state (any method but GET/HEAD/OPTIONS) from a page of
  another origin (``Origin``, or ``Sec-Fetch-Site: cross-site``) is refused.
- **Content type**: the JSON routes take ``application/json`` only, an upload
  ``application/octet-stream`` only; neither is one a cross-site form can send without asking first.
- **Token**: when a token is set (the server is bound beyond loopback), every request carries it:
  ``?token=`` (the URL printed at start-up; the page's cookie is set from it), the cookie, or
  ``Authorization: token ...``.

Each refusal is one line of JSON in the page's language and a 4xx status.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from slopefit.server.messages import Refused, choose_lang, say

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
COOKIE = "slopefit_token"
UPLOAD_PATH = "/api/upload"


def host_name(host: str) -> str:
    """The name part of a ``Host`` header, lower case, without its port or IPv6 brackets.

    Examples
    --------
    >>> host_name("LocalHost:8000"), host_name("[::1]:8000"), host_name("192.0.2.1")
    ('localhost', '::1', '192.0.2.1')
    """
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def allowed_hosts(bound: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The Host names answered: loopback, the address bound (unless a wildcard), and ``extra``."""
    names = {*LOOPBACK_NAMES, *(host_name(h) for h in extra if h)}
    if bound not in ("0.0.0.0", "::", ""):
        names.add(host_name(bound if ":" not in bound or bound.startswith("[") else f"[{bound}]"))
    return frozenset(names)


class Guard:
    """The ASGI middleware: ``Guard(app, hosts=..., token=...)``; ``token`` None needs none."""

    def __init__(self, app, *, hosts: Iterable[str] = LOOPBACK_NAMES, token: str | None = None) -> None:
        self.app = app
        self.hosts = frozenset(host_name(h) for h in hosts)
        self.token = token

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        lang = choose_lang((query.get("lang") or [None])[0], headers.get("accept-language"))
        try:
            from_query = self.check(scope, headers, query)
        except Refused as refused:
            await answer(send, refused.status, say(refused, lang))
            return
        if from_query and scope["method"] == "GET" and scope["path"] == "/":
            send = with_cookie(send, self.token)
        await self.app(scope, receive, send)

    def check(self, scope, headers: dict[str, str], query: dict[str, list[str]]) -> bool:
        """Raise :class:`Refused` for a request not to be answered; True when its token came in the query."""
        host = headers.get("host", "")
        if host_name(host) not in self.hosts:
            raise Refused("err.host", status=403, host=host[:100])
        from_query = False
        if self.token is not None:
            given = (query.get("token") or [""])[0]
            from_query = bool(given)
            if not given:
                cookie = SimpleCookie()
                try:
                    cookie.load(headers.get("cookie", ""))
                except Exception:  # noqa: BLE001 - a cookie header that does not parse carries no token
                    cookie = SimpleCookie()
                given = cookie[COOKIE].value if COOKIE in cookie else ""
            auth = headers.get("authorization", "")
            if not given and auth.lower().startswith("token "):
                given = auth[6:].strip()
            if not secrets.compare_digest(given.encode(), self.token.encode()):
                raise Refused("err.token", status=403)
        if scope["method"] not in SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and not same_origin(origin, scope.get("scheme", "http"), host):
                raise Refused("err.origin", status=403, origin=origin[:100])
            if headers.get("sec-fetch-site") in ("cross-site", "same-site"):
                raise Refused("err.origin", status=403, origin=headers.get("sec-fetch-site"))
            kind = headers.get("content-type", "").split(";")[0].strip().lower()
            want = "application/octet-stream" if scope["path"] == UPLOAD_PATH else "application/json"
            if kind != want:
                raise Refused("err.content_type", status=415, got=kind[:60], path=scope["path"][:60], want=want)
        return from_query


def same_origin(origin: str, scheme: str, host: str) -> bool:
    """Whether the ``Origin`` header names this server (scheme and host with its port)."""
    parts = urlsplit(origin)
    return parts.scheme == scheme and parts.netloc.lower() == host.strip().lower()


async def answer(send, status: int, line: str) -> None:
    """Send a JSON ``{"error": line}`` with ``status``."""
    body = json.dumps({"error": line}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


def with_cookie(send, token: str | None):
    """``send`` that sets the token's cookie on the response's start (the page then needs no ``?token``)."""
    async def sending(message) -> None:
        if message["type"] == "http.response.start" and token is not None:
            cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict".encode("latin-1")
            message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
        await send(message)

    return sending
