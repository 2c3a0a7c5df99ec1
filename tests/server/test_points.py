"""Points a learner edits on the line plot: the server checks them as any other value, and the
exact line, the bound and a run on them are numpy's; in Chromium a point is dragged, added,
deleted (mouse and keyboard), the edited points travel in the URL, and a reset brings the data
set's points back."""

from __future__ import annotations

import json
import re
import urllib.parse

import numpy as np
import pytest

from slopefit.data.sources import builtin
from slopefit.server.app import create_app
from slopefit.server.checks import MAX_POINT_VALUE, MAX_POINTS
from tests.server.asgi import call_json
from tests.server.live import open_page, run_and_wait, train_events

HANGUL = re.compile("[\uac00-\ud7a3]")
JSON = {"content-type": "application/json"}
EDITED = [(1.0, 200.0), (2.0, 400.0), (3.0, 650.0), (4.0, 700.0)]


@pytest.fixture(scope="module")
def app():
    return create_app(workers=1)


def as_query(points) -> str:
    return urllib.parse.quote(";".join(f"{x!r},{y!r}" for x, y in points))


def lstsq(points) -> tuple[float, float]:
    """Slope and intercept of the least-squares line through ``points``, by numpy."""
    xy = np.array(points, dtype=float)
    (slope, intercept), *_ = np.linalg.lstsq(np.column_stack([xy[:, 0], np.ones(len(xy))]), xy[:, 1], rcond=None)
    return float(slope), float(intercept)


def test_the_bowl_of_edited_points_is_numpys():
    """The exact line and the stable bound 2/λmax of the edited points, not of the data set's."""
    status, answer = call_json(create_app(workers=1), "GET",
                               f"/api/bowl?dataset=hours-ability&scale=none&points={as_query(EDITED)}")
    assert status == 200, answer
    slope, intercept = lstsq(EDITED)
    # a 4-row solve: a few ulps times the condition number (~60 here) of A^T A
    assert answer["exact"]["coef"][0] == pytest.approx(slope, rel=1e-10)
    assert answer["exact"]["intercept"] == pytest.approx(intercept, rel=1e-10)
    A = np.column_stack([np.array(EDITED)[:, 0], np.ones(len(EDITED))])
    assert answer["advice"]["lr_bound"] == pytest.approx(2 / np.linalg.eigvalsh(2 / len(A) * A.T @ A)[-1], rel=1e-10)
    assert answer["data"]["x"] == [x for x, _ in EDITED] and answer["data"]["editable"] is True
    assert answer["data"]["name"] == "hours-ability-edited"


@pytest.mark.parametrize(("rows", "editable"), [(MAX_POINTS, True), (MAX_POINTS + 1, False)])
def test_only_small_one_feature_data_are_editable(app, rows, editable):
    assert call_json(app, "GET", "/api/bowl?dataset=grunfeld")[1]["data"]["editable"] is False
    table = "x,y\n" + "".join(f"{k},{(7 * k) % 11}\n" for k in range(rows))
    status, upload = call_json(app, "POST", "/api/upload?name=t.csv", body=table.encode(),
                               headers={"content-type": "application/octet-stream"})
    assert status == 200 and upload["error"] is None, upload
    status, bowl = call_json(app, "GET", f"/api/bowl?dataset=upload&upload={upload['token']}&x=x&y=y")
    assert bowl["data"]["rows"] == rows and len(bowl["data"]["x"]) == rows  # every row drawn: every row editable
    assert bowl["data"]["editable"] is editable


TOO_MANY = ";".join(["1,2"] * (MAX_POINTS + 1))
QUERIES = [  # points in a query, and what the Korean line must say
    ("1,2;x,3", "[x, y] 두 수의 목록"),
    ("1,2,3", "[x, y] 두 수의 목록"),
    ("true,1", "[x, y] 두 수의 목록"),
    ("1,nan", "1번째 점"),
    ("1,2;3,inf", "2번째 점"),
    (f"1,2;3,{MAX_POINT_VALUE * 10:g}", "절댓값 1e+09 이하"),
    (TOO_MANY, f"고친 점이 {MAX_POINTS + 1}개입니다"),
    ("1,2", "1행뿐입니다"),  # the library's too few rows, in Korean
    ("1,2;1,5", "모든 행에서 1(으)로 같습니다"),  # the library's constant column, in Korean
]


@pytest.mark.parametrize(("points", "says"), QUERIES, ids=[q[1] for q in QUERIES])
def test_bad_points_in_a_query_are_one_korean_line(app, points, says):
    query = f"dataset=hours-ability&lang=ko&points={urllib.parse.quote(points)}"
    status, answer = call_json(app, "GET", "/api/bowl?" + query)
    assert 400 <= status < 500, answer
    line = answer["error"]
    assert line.startswith("slopefit: ") and "\n" not in line and "--" not in line and HANGUL.search(line)
    assert says in line, line


BODIES = [  # points in JSON (train and sweep), and what the English line must say
    ("1,2;3,4", "must be a list of [x, y] number pairs"),  # text where JSON numbers are expected
    ([[1, 2], [3, True]], "must be a list of [x, y] number pairs"),
    ([[1, 2], ["3", 4]], "must be a list of [x, y] number pairs"),
    ([[1, 2], [3]], "must be a list of [x, y] number pairs"),
    ([[1, 2], [3, None]], "must be a list of [x, y] number pairs"),
    ([[1, 2], [[3], 4]], "must be a list of [x, y] number pairs"),
    ([[1, 2], [3, 1e300]], "point 2 [3, 1e+300] is out of range"),
    ([], "there are 0 edited points"),
    ([[1, 2]] * (MAX_POINTS + 1), f"there are {MAX_POINTS + 1} edited points"),
    ({"x": 1}, "must be a list of [x, y] number pairs"),
]


@pytest.mark.parametrize("path", ["/api/train", "/api/sweep"])
@pytest.mark.parametrize(("points", "says"), BODIES, ids=[b[1][:30] + str(k) for k, b in enumerate(BODIES)])
def test_bad_points_in_json_are_a_4xx_and_one_line(app, path, points, says):
    body = {"dataset": "hours-ability", "lr": 0.01, "epochs": 10, "points": points}
    status, answer = call_json(app, "POST", path + "?lang=en", body=json.dumps(body).encode(), headers=JSON)
    assert status == 400, answer
    assert answer["error"].startswith("slopefit: ") and says in answer["error"], answer


def test_points_need_one_input_x(app):
    status, answer = call_json(app, "GET", "/api/bowl?dataset=grunfeld&lang=ko&points=1,2;3,4")
    assert status == 400 and "입력 x가 하나인 데이터에서만" in answer["error"]


def test_a_run_on_edited_points_ends_at_their_least_squares(server):
    body = {"dataset": "hours-ability", "scale": "standardize", "optimizer": "sgd", "lr": 0.5, "momentum": 0.5,
            "epochs": 500, "points": [list(p) for p in EDITED]}
    end = train_events(server, body)[-1]
    slope, intercept = lstsq(EDITED)
    assert end["type"] == "done", end
    # 500 momentum steps on a standardized (condition 1) problem: least squares to rounding
    assert end["coef"][0] == pytest.approx(slope, rel=1e-9) and end["intercept"] == pytest.approx(intercept, rel=1e-9)


# ---------------------------------------------------------------- in Chromium

def canvas_xy(page, x: float, y: float) -> tuple[float, float]:
    """Where the data point (x, y) is drawn, in the page's coordinates."""
    box = page.locator("#line-canvas").bounding_box()
    px, py = page.evaluate(f"(() => {{ const a = document.getElementById('line-canvas')._axes; "
                           f"return [a.xa.map({x}), a.ya.map({y})]; }})()")
    return box["x"] + px, box["y"] + py


def wait_for_line(page, points) -> None:
    """Until the exact line shown is numpy's least squares of ``points``."""
    slope, intercept = lstsq(points)
    page.wait_for_function(f"state.bowl && Math.abs(state.bowl.exact.coef[0] - ({slope!r})) <= 1e-9 * "
                           f"Math.abs({slope!r}) && Math.abs(state.bowl.exact.intercept - ({intercept!r})) <= "
                           f"1e-9 * Math.abs({intercept!r}) + 1e-9")


@pytest.mark.slow
def test_points_are_dragged_added_deleted_shared_and_reset(page, server):
    open_page(page, server + "?lang=ko")
    page.select_option("#dataset", "height-weight")
    page.wait_for_function("state.bowl && state.bowl.data.name === 'height-weight' && !state.points")
    page.locator("#line-canvas").scroll_into_view_if_needed()
    data = builtin("height-weight")
    original = list(zip(data.X[:, 0].tolist(), data.y.tolist(), strict=True))
    # drag the second point up 60 px: its x stays, its y is what the page now holds
    x0, y0 = canvas_xy(page, *original[1])
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0, y0 - 30, steps=4)
    page.mouse.move(x0, y0 - 60, steps=4)
    page.mouse.up()
    points = page.evaluate("state.points")
    assert len(points) == 5 and points[1][0] == original[1][0] and points[1][1] > original[1][1] + 1
    wait_for_line(page, points)
    # a click on empty space adds a point there
    box = page.locator("#line-canvas").bounding_box()
    page.mouse.click(box["x"] + 0.25 * box["width"], box["y"] + 0.25 * box["height"])
    page.wait_for_function("state.points.length === 6")
    points = page.evaluate("state.points")
    wait_for_line(page, points)
    # a double-click on a point deletes it
    page.mouse.dblclick(*canvas_xy(page, *points[0]))
    page.wait_for_function("state.points.length === 5")
    points = page.evaluate("state.points")
    assert points[0] != original[0]
    wait_for_line(page, points)
    # the keyboard: focus the plot, choose the third point, move it right, delete the next one, add one
    page.focus("#line-canvas")
    page.keyboard.press("]")
    page.keyboard.press("]")
    page.keyboard.press("Shift+ArrowRight")
    page.wait_for_function(f"state.points[2][0] > {points[2][0]}")
    page.keyboard.press("Delete")
    page.wait_for_function("state.points.length === 4")
    page.keyboard.press("+")
    page.wait_for_function("state.points.length === 5")
    points = page.evaluate("state.points")
    wait_for_line(page, points)
    bound = page.evaluate("state.bowl.advice.lr_bound")
    # a run uses the edited points and ends at their least squares
    page.select_option("#scale", "standardize")
    page.fill("#lr", "0.5")
    page.fill("#momentum", "0.5")
    page.fill("#epochs", "300")
    page.dispatch_event("#epochs", "change")
    run_and_wait(page)
    end = page.evaluate("state.runs.at(-1).end")
    slope, intercept = lstsq(points)
    assert end["type"] == "done", end
    assert end["coef"][0] == pytest.approx(slope, rel=1e-9) and end["intercept"] == pytest.approx(intercept, rel=1e-9)
    # the link opens the same points, line and bound (in raw units: scale back to center for the bound)
    url = page.url
    assert "points=" in url
    fresh = page.context.new_page()
    open_page(fresh, url)
    assert fresh.evaluate("state.points") == points
    wait_for_line(fresh, points)
    fresh.select_option("#scale", "center")
    fresh.wait_for_function("state.bowl.scaling === 'center'")
    assert fresh.evaluate("state.points") == points  # another scaling keeps the points
    assert fresh.evaluate("state.bowl.advice.lr_bound") == pytest.approx(bound, rel=1e-12)
    # reset: the data set's points, line and link again
    fresh.click("#points-reset")
    fresh.wait_for_function("state.points === null")
    wait_for_line(fresh, original)
    assert "points=" not in fresh.url and fresh.is_disabled("#points-reset")


@pytest.mark.slow
@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 768)])
def test_points_are_edited_by_finger_on_a_phone_and_fit_both_widths(browser, server, width, height, tmp_path):
    """A finger drags a point (the page does not scroll under it) and a tap adds one; the page has no
    sideways scroll; screenshots (Korean) go to $SLOPEFIT_SHOTS, else a temporary folder."""
    import os
    from pathlib import Path

    shots = Path(os.environ.get("SLOPEFIT_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ko-KR", has_touch=True,
                                  device_scale_factor=2 if width < 500 else 1)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        open_page(page, server + "?dataset=height-weight&scale=none")
        page.wait_for_function("state.bowl && state.bowl.data.name === 'height-weight'")
        page.locator("#line-canvas").scroll_into_view_if_needed()
        scrolled = page.evaluate("window.scrollY")
        x, y = canvas_xy(page, 171.0, 62.1)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for k in range(1, 9):
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y - 8 * k}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        page.wait_for_function("state.points && state.points[2][1] > 63")
        assert page.evaluate("window.scrollY") == scrolled  # the finger moved the point, not the page
        box = page.locator("#line-canvas").bounding_box()
        page.touchscreen.tap(box["x"] + 0.8 * box["width"], box["y"] + 0.75 * box["height"])
        page.wait_for_function("state.points.length === 6")
        points = page.evaluate("state.points")
        wait_for_line(page, points)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert "점 되돌리기" in page.inner_text("#points-bar") and not page.is_disabled("#points-reset")
        page.screenshot(path=str(shots / f"points-{width}-ko.png"))
        page.screenshot(path=str(shots / f"points-{width}-ko-full.png"), full_page=True)
    finally:
        context.close()
