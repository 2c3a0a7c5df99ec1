"""The playground's fixtures: a real server per test module (:func:`tests.server.live.serving`),
headless Chromium, and a page in it that fails the test on any script error."""

from __future__ import annotations

import pytest

from tests.server.live import CHROMIUM, serving


@pytest.fixture(scope="module")
def server():
    """``slopefit serve --port 0`` in a subprocess: its base URL; stopped at the end of the module."""
    with serving() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (make test installs Debian's chromium with apt-get when it can)")
    playwright = pytest.importorskip("playwright.sync_api",
                                     reason="playwright is not installed (pip install -e .[test])")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1250}, locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(30_000)
    failures: list[str] = []
    page.on("pageerror", lambda exc: failures.append(str(exc)))
    page.on("console", lambda msg: failures.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert failures == []
