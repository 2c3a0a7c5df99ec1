"""The playground's guard and edge, driven in-process (no worker processes): Host, Origin, content
type, token, malformed and out-of-range requests, no filesystem path in any answer, and every
server message in the page's language from the one table of texts."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest

from slopefit.server.app import create_app
from slopefit.texts import PAGE_TEXT, SERVER_TEXT, TEXT
from tests.server.asgi import call, call_json

ROOT = Path(__file__).resolve().parents[2]
JSON = {"content-type": "application/json"}
OCTETS = {"content-type": "application/octet-stream"}
HANGUL = re.compile("[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def app():
    return create_app(workers=1)


def one_line(status: int, answer: dict, expected_status: int) -> str:
    """The answer's error line, checked: the status, the CLI's prefix, one line."""
    assert status == expected_status, answer
    message = answer["error"]
    assert message.startswith("slopefit: ") and "\n" not in message
    return message


# ---------------------------------------------------------------- Host, Origin, content type, token

@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"])
def test_loopback_hosts_are_answered(app, host):
    status, answer = call_json(app, "GET", "/api/bowl?dataset=hours-ability&scale=none", host=host)
    assert status == 200 and answer["data"]["rows"] == 3


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", ""])
def test_other_hosts_are_refused_as_dns_rebinding(app, host):
    message = one_line(*call_json(app, "GET", "/api/bowl", host=host), 403)
    assert message == (f"slopefit: this server does not answer requests for the host {host!r}; open the page at "
                       "the address the server printed")


def test_an_added_host_is_answered():
    app = create_app(workers=1, hosts=["localhost", "class.example"])
    assert call(app, "GET", "/", host="class.example:8000")[0] == 200
    assert call(app, "GET", "/", host="other.example:8000")[0] == 403


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost:9999", "https://localhost:8000"])
def test_a_state_changing_request_from_another_origin_is_refused(app, origin):
    message = one_line(*call_json(app, "POST", "/api/train", body=b'{"lr": 0.1}',
                                  headers={**JSON, "origin": origin}), 403)
    assert message == f"slopefit: requests from another web site ({origin}) are refused; use the playground's own page"
    one_line(*call_json(app, "POST", "/api/upload", body=b"a,b\n1,2\n", headers={**OCTETS, "origin": origin}), 403)


def test_the_same_origin_and_no_origin_are_answered(app):
    for headers in ({**JSON, "origin": "http://localhost:8000"}, JSON):
        assert call_json(app, "POST", "/api/cancel/nojob", body=b"{}", headers=headers) == (200, {"cancelled": False})
    # a browser's own mark of a cross-site request, without Origin
    one_line(*call_json(app, "POST", "/api/cancel/nojob", body=b"{}", headers={**JSON, "sec-fetch-site": "cross-site"}),
             403)


@pytest.mark.parametrize(("path", "kind", "want"), [
    ("/api/train", "text/plain", "application/json"),  # what a cross-site form or fetch sends without asking
    ("/api/train", "application/x-www-form-urlencoded", "application/json"),
    ("/api/sweep", "", "application/json"),
    ("/api/cancel/x", "multipart/form-data; boundary=x", "application/json"),
    ("/api/upload", "text/plain", "application/octet-stream"),
])
def test_bodies_only_with_their_content_type(app, path, kind, want):
    headers = {"content-type": kind} if kind else {}
    message = one_line(*call_json(app, "POST", path, body=b'{"lr": 0.1}', headers=headers), 415)
    assert message == f"slopefit: the request's content type is {kind.split(';')[0]!r}; {path} takes {want} only"


def test_beyond_loopback_every_request_needs_the_token():
    app = create_app(workers=1, hosts=["localhost", "192.0.2.1"], token="s3cret-token")
    for path in ("/", "/api/lesson", "/static/app.js", "/api/bowl"):
        message = one_line(*call_json(app, "GET", path, host="192.0.2.1:8000"), 403)
        assert message.startswith("slopefit: the token is missing or wrong")
    assert call(app, "GET", "/?token=wrong", host="192.0.2.1:8000")[0] == 403
    status, headers, _ = call(app, "GET", "/?token=s3cret-token", host="192.0.2.1:8000")
    assert status == 200
    assert headers["set-cookie"] == "slopefit_token=s3cret-token; Path=/; HttpOnly; SameSite=Strict"
    # the page's own requests carry the cookie; a script may use the header
    assert call(app, "GET", "/static/app.js", host="192.0.2.1:8000",
                headers={"cookie": "slopefit_token=s3cret-token"})[0] == 200
    assert call(app, "GET", "/static/app.js", host="192.0.2.1:8000",
                headers={"authorization": "token s3cret-token"})[0] == 200
    assert call(app, "GET", "/static/app.js", host="192.0.2.1:8000", headers={"cookie": "slopefit_token=x"})[0] == 403


def test_serve_puts_a_token_in_the_url_beyond_loopback(monkeypatch):
    """serve() on a non-loopback address makes a token and gives the URL with it (as Jupyter prints its own)."""
    import uvicorn

    import slopefit.server
    import slopefit.server.app

    made: dict = {}
    monkeypatch.setattr(slopefit.server.app, "create_app", lambda **kw: made.update(kw) or object())

    class Server:
        def __init__(self, config):
            self.started = True

        async def serve(self, sockets):
            return None

    monkeypatch.setattr(uvicorn, "Server", Server)
    monkeypatch.setattr(uvicorn, "Config", lambda app, **kw: None)
    urls: list[str] = []
    slopefit.server.serve(host="127.0.0.1", port=0, workers=1, on_ready=urls.append)
    assert made["token"] is None and urls[0].endswith("/")
    slopefit.server.serve(host="0.0.0.0", port=0, workers=1, allow_hosts=["class.example"], on_ready=urls.append)
    token = made["token"]
    assert len(token) >= 32 and urls[1].endswith(f"/?token={token}")
    assert {"localhost", "127.0.0.1", "::1", "class.example"} <= made["hosts"]


# ---------------------------------------------------------------- malformed and out-of-range requests

MOMENTA = "slopefit: the sweep's momenta must be a list of 1 to 16 numbers in [0, 1), got "


@pytest.mark.parametrize(("path", "body", "message"), [
    ("/api/train", b"not json", "slopefit: the request is not valid JSON"),
    ("/api/train", b"[" * 100_000 + b"]" * 100_000, "slopefit: the request is over 64 KiB, the playground's limit"),
    ("/api/train", b"[" * 30_000, "slopefit: the request is not valid JSON"),  # nested past the parser
    ("/api/train", b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "slopefit: the request is not valid JSON"),
    ("/api/train", b"[1, 2]", "slopefit: the request must be a JSON object ({...})"),
    ("/api/train", b'{"lr": 1e308}', "slopefit: lr must be a number > 0 and at most 1000, got 1e+308; e.g. 0.01"),
    ("/api/train", b'{"lr": NaN}', "slopefit: lr must be a number, got NaN"),
    ("/api/train", b'{"lr": 0.1, "epochs": true}', "slopefit: epochs must be a number, got true"),
    ("/api/train", b'{"lr": 0.1, "batch_size": 1e9}',
     "slopefit: batch size must be a whole number from 1 to 200000, got 1000000000.0"),
    ("/api/train", b'{"lr": 0.1, "dataset": "/etc/passwd"}', 'slopefit: unknown data set "/etc/passwd"; choose one of'),
    ("/api/train", b'{"lr": 0.1, "dataset": ["a"]}', 'slopefit: data set must be text, got ["a"]'),
    ("/api/train", b'{"lr": 0.1, "dataset": "upload", "upload": {"a": 1}}',
     'slopefit: upload must be text, got {"a": 1}'),
    ("/api/sweep", b'{"momenta": 5}', MOMENTA + "5"),
    ("/api/sweep", b'{"momenta": null}', MOMENTA + "null"),
    ("/api/sweep", b'{"momenta": [[0.1]]}', MOMENTA + "[[0.1]]"),
    ("/api/sweep", b'{"momenta": [true]}', MOMENTA + "[true]"),
    ("/api/sweep", b'{"lr_count": 1000}',
     "slopefit: the sweep's lr_count must be a whole number from 2 to 64, got 1000"),
    ("/api/sweep", b'{"epochs": 1e6}', "slopefit: sweep epochs must be a whole number from 1 to 1000, got 1000000.0"),
    ("/api/sweep", b'{"lr_min": 1, "lr_max": 0.1}', "slopefit: the sweep's lr range must be 0 < lr_min < lr_max"),
])
def test_a_malformed_request_is_a_4xx_and_one_line(app, path, body, message):
    status, answer = call_json(app, "POST", path, body=body, headers=JSON)
    assert one_line(status, answer, 413 if len(body) > 64 << 10 else 400).startswith(message)


@pytest.mark.parametrize(("query", "message"), [
    ("lr=abc", 'slopefit: lr must be a number, got "abc"'),
    ("lr=inf", 'slopefit: lr must be a number, got "inf"'),
    ("start=1", 'slopefit: the starting point must be two numbers [W, B], got "1"'),
    ("start=1,x", 'slopefit: the start\'s B must be a number, got "x"'),
    ("dataset=..%2F..%2Fetc%2Fpasswd", 'slopefit: unknown data set "../../etc/passwd"'),
    ("dataset=upload&upload=nothing", "slopefit: that uploaded file is no longer here; upload it again"),
])
def test_a_malformed_query_is_a_4xx_and_one_line(app, query, message):
    assert one_line(*call_json(app, "GET", "/api/bowl?" + query), 400).startswith(message)


def test_unknown_routes_and_methods_are_one_line(app):
    assert one_line(*call_json(app, "GET", "/nothing"), 404) == \
        "slopefit: there is no /nothing here; start from the playground's page"
    assert one_line(*call_json(app, "GET", "/static/nothing.js"), 404).startswith("slopefit: there is no")
    assert one_line(*call_json(app, "PUT", "/api/train", headers=JSON), 405) == \
        "slopefit: /api/train does not take PUT requests"
    assert one_line(*call_json(app, "GET", "/api/runs/nojob/model.json"), 404) == \
        "slopefit: no finished run with that id here; run it again"


def test_no_answer_names_a_folder_of_the_server(app):
    """An upload the reader refuses: its message names the file, never the server's temporary folder."""
    temp = tempfile.gettempdir()
    for content in (b"", b"\x00\x01\x02\xff\xfe" * 50, b"a\n1\n2\n", b'a,b\n1,"2\n'):
        status, _, body = call(app, "POST", "/api/upload?name=x.csv", body=content, headers=OCTETS)
        assert 400 <= status < 500 or json.loads(body)["error"], body
        text = body.decode()
        assert temp not in text and "slopefit-uploads" not in text and "\\n" not in json.loads(text)["error"]


# ---------------------------------------------------------------- the page's language

def test_every_text_has_both_languages_and_the_same_fields():
    for table in (TEXT, PAGE_TEXT, SERVER_TEXT):
        for key, values in table.items():
            assert set(values) == {"ko", "en"}, key
            fields = [set(re.findall(r"\{(\w+)", values[lang])) for lang in ("ko", "en")]
            assert fields[0] == fields[1], key
    for key, values in SERVER_TEXT.items():  # the server's lines: Hangul in Korean, never a flag
        assert HANGUL.search(values["ko"]) and "--" not in values["ko"] + values["en"], key


def test_every_key_the_server_and_page_use_is_in_the_table():
    used_server = set()
    for path in (ROOT / "src" / "slopefit" / "server").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        used_server |= set(re.findall(r'(?:Refused|server_text)\(\s*"([\w.]+)"', source))
        used_server |= set(re.findall(r'control="(ctl\.\w+)"', source))
    assert used_server and used_server - set(SERVER_TEXT) == set()
    script = (ROOT / "src" / "slopefit" / "server" / "static" / "app.js").read_text(encoding="utf-8")
    html = (ROOT / "src" / "slopefit" / "server" / "static" / "index.html").read_text(encoding="utf-8")
    used_page = set(re.findall(r'T\["([\w.]+)"\]', script)) | set(re.findall(r"\bT\.(\w+)", script))
    used_page |= set(re.findall(r'data-t="([\w.]+)"', html))
    assert used_page and used_page - set(PAGE_TEXT) == set()


def korean_messages(app) -> list[str]:
    """What the Korean page is told for a refused setting, a bad upload, an lr past the bound, a
    diverged run, and a large table at a tiny batch."""
    out = [call_json(app, "POST", "/api/train?lang=ko", body=b'{"lr": -1}', headers=JSON)[1]["error"],
           call_json(app, "POST", "/api/train?lang=ko", body=b'{"lr": 0.1, "epochs": true}', headers=JSON)[1]["error"],
           call_json(app, "POST", "/api/sweep?lang=ko", body=b'{"momenta": 5}', headers=JSON)[1]["error"],
           call_json(app, "GET", "/api/bowl?lang=ko&dataset=hours-ability&scale=none&lr=0.5")[1]["warning"],
           call_json(app, "POST", "/api/upload?lang=ko&name=bad.csv", body=b"hours,ability\n1,200\n2,abc\n3,600\n",
                     headers=OCTETS)[1]["error"],
           call_json(app, "POST", "/api/upload?lang=ko&name=e.csv", body=b"", headers=OCTETS)[1]["error"],
           call_json(app, "GET", "/nothing?lang=ko")[1]["error"]]
    return out


def test_the_korean_page_is_told_everything_in_korean(app):
    from slopefit.data.sources import builtin
    from slopefit.server.checks import check_steps, parse_run
    from slopefit.server.messages import Refused, say
    from slopefit.server.playground import train

    messages = korean_messages(app)
    events: list[dict] = []

    class Never:
        def is_set(self) -> bool:
            return False

    train(builtin("hours-ability"), parse_run({"scale": "none", "lr": 0.5, "epochs": 200}), events.append, Never(),
          lang="ko")
    diverged = events[-1]
    assert diverged["kind"] == "diverged"
    # the bound it quotes: 2/λmax of (2/N)·AᵀA, A = [x, 1], by numpy
    x = np.array([1.0, 2.0, 3.0])
    A = np.column_stack([x, np.ones(3)])
    assert f"lr < {2 / np.linalg.eigvalsh(2 / 3 * A.T @ A)[-1]:.4g}" in diverged["message"]
    # 2 MiB of rows at batch size 1: refused before a worker takes it, naming the batch size box
    rng = np.random.default_rng(3)
    from slopefit.data.datasets import Dataset

    big = Dataset(X=rng.normal(size=(100_000, 1)), y=rng.normal(size=100_000), feature_names=("x",),
                  target_name="y", name="big.csv")
    with pytest.raises(Refused) as caught:
        check_steps(big, parse_run({"lr": 0.01, "epochs": 100, "batch_size": 1}))
    # 100 000 rows at batch 1 x 100 epochs = 10 000 000 steps; the limit 200 000 allows 2 000 steps an epoch,
    # so a batch of ceil(100 000 / 2 000) = 50 rows
    assert str(caught.value).startswith("this run takes 10,000,000 steps (100,000 rows / batch 1 x 100 epochs); "
                                        "the playground takes at most 200,000: raise the batch size box to 50 or more")
    messages += [diverged["message"], say(caught.value, "ko")]
    for message in messages:
        assert HANGUL.search(message) and "--" not in message, message
    assert "학습률 슬라이더" in diverged["message"] and "배치 크기를 50 이상" in messages[-1]
    assert "입력 x·목표 y 상자" in messages[4] and "2행 (머리글 제외)에 'abc'" in messages[4]


def test_a_long_run_streams_a_thinned_history_ending_at_least_squares():
    from slopefit.data.sources import builtin
    from slopefit.server.checks import parse_run
    from slopefit.server.playground import HISTORY_POINTS, train

    data = builtin("height-weight")
    events: list[dict] = []

    class Never:
        def is_set(self) -> bool:
            return False

    train(data, parse_run({"scale": "center", "lr": 0.01, "momentum": 0.9, "epochs": 2000}), events.append, Never())
    epochs = [e["e"] for e in events if e["type"] == "epoch"]
    # every ceil(2001 / 300) = 7th epoch, and the last
    assert epochs == [*range(0, 2001, 7), 2000] and len(epochs) <= HISTORY_POINTS + 1
    coef, intercept = np.polyfit(data.X[:, 0], data.y, 1)
    done = events[-1]
    # 2000 momentum steps on a condition-1 (centered, one feature) problem: at least squares to rounding
    assert done["coef"][0] == pytest.approx(coef, rel=1e-9) and done["intercept"] == pytest.approx(intercept, rel=1e-9)
