"""A real playground for the tests: ``slopefit serve --port 0`` on 127.0.0.1 in a subprocess
(:func:`serving`), HTTP helpers over it, and the steps a browser test repeats. Every wait is bounded."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None)
START_SECONDS = 60


@contextlib.contextmanager
def serving(*args: str) -> Iterator[str]:
    """``slopefit serve --port 0 ARGS`` in a subprocess: its base URL; stopped on leaving."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "slopefit", "serve", "--port", "0", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    url, seen, deadline = None, [], time.monotonic() + START_SECONDS
    while url is None and time.monotonic() < deadline and proc.poll() is None:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        url = found.group(1) if found else None
    try:
        assert url is not None, f"the server did not start in {START_SECONDS} s: {''.join(seen)}"
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def post(url: str, body, *, timeout: float = 60, raw: bool = False, kind: str | None = None):
    """POST ``body``: JSON as application/json, or ``raw`` bytes as application/octet-stream (an upload)."""
    data = body if raw else json.dumps(body).encode()
    kind = kind or ("application/octet-stream" if raw else "application/json")
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": kind})
    return urllib.request.urlopen(request, timeout=timeout)


def train_events(base: str, body: dict, *, timeout: float = 120) -> list[dict]:
    with post(base + "api/train", body, timeout=timeout) as response:
        return [json.loads(line) for line in response.read().decode().splitlines()]


def open_page(page, url: str) -> float:
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function("document.body.dataset.state === 'ready'")
    return time.perf_counter() - start


def run_and_wait(page) -> float:
    page.evaluate("document.body.dataset.state = 'ready'")
    start = time.perf_counter()
    page.click("#run")
    page.wait_for_function("['done', 'error'].includes(document.body.dataset.state)")
    return time.perf_counter() - start
