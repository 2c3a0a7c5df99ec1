"""A class at once, on a real server (``slopefit serve --port 0`` on 127.0.0.1, started here):
30 learners each start a run beside three CPU-bound processes, and 70 long runs are opened while
fresh pages load. What is asserted is states and status codes: every run ends in a state the page
shows (done at numpy's least squares, or cancelled with its reason; queued with its place while it
waits), every run beyond the server's slots is a 503 with its one line, and every page request is
answered. Times are printed for the record, never asserted. Every wait is bounded."""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from slopefit.server.checks import MAX_EPOCHS
from slopefit.texts import server_text
from tests.server.live import post

pytestmark = pytest.mark.slow

HANGUL = re.compile("[\uac00-\ud7a3]")
LEARNERS = 30
OPEN_RUNS = 70
SLOTS = 64  # slopefit serve's runs at a time (create_app's max_jobs)
HOG_SECONDS = 300  # a CPU-bound process stops itself after this, whatever happens to the test
JOIN_SECONDS = 300  # the most a test waits for its clients
HEIGHT = np.array([166.0, 176.0, 171.0, 173.0, 169.0])
WEIGHT = np.array([58.7, 75.7, 62.1, 70.4, 60.1])
LEARNER_RUN = {"dataset": "height-weight", "scale": "center", "optimizer": "sgd", "lr": 0.01, "momentum": 0.9,
               "epochs": 1000}
# a long run: 220 rows in batches of 8 (28 steps an epoch) for the most epochs the page allows
LONG_RUN = {"dataset": "grunfeld", "scale": "standardize", "optimizer": "sgd", "lr": 0.01, "momentum": 0.0,
            "epochs": MAX_EPOCHS, "batch_size": 8}


@pytest.fixture
def busy_cores():
    """Three CPU-bound processes beside the server, stopped at the end (each stops itself too)."""
    spin = f"import time\nend = time.monotonic() + {HOG_SECONDS}\nwhile time.monotonic() < end:\n    pass\n"
    hogs = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(3)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.terminate()
        for hog in hogs:
            hog.wait(timeout=30)


def read_events(response) -> list[dict]:
    return [json.loads(line) for line in response.read().decode().splitlines()]


def ends_visibly(events: list[dict]) -> str:
    """The state a run's stream ends in as the page shows it, checked: ``done``, or ``cancelled``
    with its reason in Korean; every ``queued`` event on the way has its place in the queue."""
    assert events[0]["type"] == "job", events[:2]
    for event in events:
        if event["type"] == "queued":
            assert 1 <= event["place"] <= event["waiting"], event
    end = events[-1]
    if end["type"] == "done":
        return "done"
    assert end["type"] == "error" and end["kind"] == "cancelled", end
    assert end["message"].startswith("slopefit: ") and HANGUL.search(end["message"]), end
    return "cancelled"


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def page_requests(server: str) -> dict[str, int]:
    """A fresh page's requests (the page with its data sets, the lesson, the bowl): their statuses."""
    statuses = {}
    status, body = get(server + "?lang=ko")
    boot = json.loads(re.search(rb'<script id="boot" type="application/json">(.*?)</script>', body, re.S).group(1))
    statuses["page"] = status if {"hours-ability", "height-weight", "grunfeld"} <= set(boot["datasets"]) else -1
    statuses["lesson"], _ = get(server + "api/lesson?lang=ko")
    status, body = get(server + "api/bowl?dataset=height-weight&scale=center&lang=ko")
    coef = np.polyfit(HEIGHT, WEIGHT, 1)[0]
    # the bowl's exact line is numpy's (a 5-row solve: rounding times a small condition number)
    statuses["bowl"] = status if abs(json.loads(body)["exact"]["coef"][0] - coef) <= 1e-9 * abs(coef) else -1
    return statuses


def test_thirty_learners_beside_three_busy_processes(server, busy_cores):
    """Every learner's run ends done at numpy's least squares (or cancelled, saying why), and pages
    load meanwhile; run times against one run alone on the same loaded machine are printed."""
    coef, intercept = np.polyfit(HEIGHT, WEIGHT, 1)
    alone_seconds = []
    for _ in range(2):  # the first warms the worker processes up; the second is the one timed
        start = time.perf_counter()
        with post(server + "api/train?lang=ko", LEARNER_RUN, timeout=JOIN_SECONDS) as response:
            alone = read_events(response)
        alone_seconds.append(time.perf_counter() - start)
        assert ends_visibly(alone) == "done"
    alone_seconds = alone_seconds[-1]
    runs: list[tuple[float, list[dict]]] = []
    failures: list[BaseException] = []
    statuses: list[dict[str, int]] = []
    finished = threading.Event()

    def learner() -> None:
        begin = time.perf_counter()
        try:
            with post(server + "api/train?lang=ko", LEARNER_RUN, timeout=JOIN_SECONDS) as answer:
                events = read_events(answer)
            runs.append((time.perf_counter() - begin, events))
        except BaseException as exc:  # noqa: B036 - collected and reported below
            failures.append(exc)

    def visitor() -> None:  # a page opened now and then while the class trains
        while not finished.is_set() and len(statuses) < 100:
            statuses.append(page_requests(server))
            finished.wait(0.2)

    threads = [threading.Thread(target=learner) for _ in range(LEARNERS)]
    watcher = threading.Thread(target=visitor)
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_SECONDS)
    finished.set()
    watcher.join(timeout=120)
    assert not failures, failures[:3]
    assert len(runs) == LEARNERS
    states = [ends_visibly(events) for _, events in runs]
    assert states == ["done"] * LEARNERS, states
    for _, events in runs:
        # 1000 momentum steps on a centered one-feature problem: least squares to rounding
        assert events[-1]["coef"][0] == pytest.approx(coef, rel=1e-9)
        assert events[-1]["intercept"] == pytest.approx(intercept, rel=1e-9)
    assert statuses and all(s == {"page": 200, "lesson": 200, "bowl": 200} for s in statuses), statuses
    seconds = sorted(s for s, _ in runs)
    queued = sum(any(e["type"] == "queued" for e in events) for _, events in runs)
    print(f"\n{LEARNERS} learners x {LEARNER_RUN['epochs']} epochs beside 3 busy processes: a run alone "
          f"{alone_seconds:.2f} s; in the class median {statistics.median(seconds):.2f} s, max {seconds[-1]:.2f} s "
          f"(max / alone = {seconds[-1] / alone_seconds:.1f}); {queued} were told their place in the queue; "
          f"{len(statuses)} page loads meanwhile, all answered")


def test_seventy_open_runs_leave_pages_answered(server):
    """70 long runs opened at once: 64 take the server's slots (running, or queued with their place),
    6 are a 503 with the busy line; with them open a fresh page, its lesson and bowl are answered;
    each open run, stopped, ends saying so."""
    opened: list[tuple[str, object, list[dict]]] = []  # (job id, the open response, events so far)
    refused: list[tuple[int, dict]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def open_run() -> None:
        try:
            response = post(server + "api/train?lang=ko", LONG_RUN, timeout=JOIN_SECONDS)
        except urllib.error.HTTPError as exc:
            with lock:
                refused.append((exc.code, json.loads(exc.read())))
            return
        except BaseException as exc:  # noqa: B036 - collected and reported below
            failures.append(exc)
            return
        events = [json.loads(response.readline())]
        while events[-1]["type"] not in ("queued", "running", "done", "error"):
            events.append(json.loads(response.readline()))
        with lock:
            opened.append((events[0]["id"], response, events))

    threads = [threading.Thread(target=open_run) for _ in range(OPEN_RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_SECONDS)
    try:
        assert not failures, failures[:3]
        assert len(opened) == SLOTS and len(refused) == OPEN_RUNS - SLOTS, (len(opened), refused[:2])
        busy = server_text("err.busy", "ko", slots=SLOTS)
        assert all(code == 503 and answer["error"] == "slopefit: " + busy for code, answer in refused), refused[:2]
        # every open run shows a state: running, or queued with its place
        assert all(events[-1]["type"] in ("running", "queued") for _, _, events in opened)
        assert sum(events[-1]["type"] == "queued" for _, _, events in opened) >= SLOTS - 16  # at most one per core runs
        rounds = [page_requests(server) for _ in range(3)]
        assert all(r == {"page": 200, "lesson": 200, "bowl": 200} for r in rounds), rounds
    finally:
        for job, _, _ in opened:
            with post(server + f"api/cancel/{job}", {}, timeout=60) as answer:
                json.loads(answer.read())
        ends = []
        for _, response, events in opened:
            events += read_events(response)
            response.close()
            ends.append(events)
    states = [ends_visibly(events) for events in ends]
    stopped = server_text("cancel.stopped", "ko")
    assert all(events[-1]["message"] == "slopefit: " + stopped for events, state in zip(ends, states, strict=True)
               if state == "cancelled")
    print(f"\n{OPEN_RUNS} long runs opened: {len(opened)} open ({sum(s == 'cancelled' for s in states)} stopped, "
          f"{sum(s == 'done' for s in states)} done), {len(refused)} told the server is busy; "
          f"3 fresh pages loaded meanwhile")
