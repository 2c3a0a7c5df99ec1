"""Calls an ASGI app in-process: one request, the whole answer (status, headers, body)."""
from __future__ import annotations

import asyncio
import json


def call(app, method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None,
         host: str = "localhost:8000"):
    path, _, query = path.partition("?")
    sent = {"host": host, **(headers or {})}
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in sent.items()],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    out = {"status": None, "headers": {}, "body": b""}

    async def run():
        chunks = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive():
            return chunks.pop(0) if chunks else {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.start":
                out["status"] = message["status"]
                out["headers"] = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
            elif message["type"] == "http.response.body":
                out["body"] += message.get("body", b"")

        await app(scope, receive, send)

    asyncio.run(run())
    return out["status"], out["headers"], out["body"]


def call_json(app, method, path, **kw):
    status, headers, body = call(app, method, path, **kw)
    return status, json.loads(body)
