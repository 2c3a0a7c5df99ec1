"""The playground's messages: every line the server sends a page, in the page's language, from
:data:`slopefit.texts.SERVER_TEXT`.

The server's own refusals are :class:`Refused` (a key and its values, worded when sent); what
the library raises (a file the CLI's reader refuses, a run that diverged) is worded by :func:`say`,
the library's command-line flags replaced by the page's controls and any filesystem path by its
last part, so that no response names a flag or a folder of the server.
"""

from __future__ import annotations

import re
from typing import Any

from slopefit.errors import ConfigError, DataError, DivergenceError, SlopefitError, cli_words
from slopefit.texts import SERVER_TEXT, server_text

PREFIX = "slopefit: "
FLAG = re.compile(r"--([a-z][a-z-]*(?:/--[a-z]+)?)")
# an absolute path: a slash not after a word character or a closing bracket ("kg/cm", "2(1+m)/λmax" are no paths)
PATH = re.compile(r"(?<![\w)\]])(?:[A-Za-z]:)?[/\\](?:[^\s/\\'\"]+[/\\])+([^\s/\\'\"]+)")


def choose_lang(query: str | None, accept: str | None) -> str:
    """``ko`` or ``en``: the query's when it names one, else the first of the two in Accept-Language
    (by its q weights), else English.

    Examples
    --------
    >>> choose_lang(None, "ko-KR,ko;q=0.9,en-US;q=0.8"), choose_lang("en", "ko"), choose_lang(None, "fr")
    ('ko', 'en', 'en')
    """
    if query in ("ko", "en"):
        return query
    ranked = []
    for k, part in enumerate((accept or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in ("ko", "en") and q > 0:
            ranked.append((-q, k, primary))
    return min(ranked)[2] if ranked else "en"


class Refused(ConfigError):
    """A request the server refuses: a key of :data:`SERVER_TEXT`, its values and an HTTP status.

    ``str()`` is the English line (the library's habit); :meth:`say` words it in a language.
    """

    def __init__(self, key: str, *, status: int = 400, **values: Any) -> None:
        if key not in SERVER_TEXT:
            raise KeyError(f"no server text {key!r}")
        self.key, self.status, self.values = key, status, values
        super().__init__(self.say("en"), key=key, values=values)  # a key of SERVER_TEXT: said by say()

    def said(self, lang: str) -> str:
        """:meth:`say`: the server's texts are their own table (:data:`SERVER_TEXT`)."""
        return self.say(lang)

    def say(self, lang: str) -> str:
        """The line in ``lang``; a value naming a control (``ctl.lr``) is that control's name there."""
        values = {k: server_text(v, lang) if isinstance(v, str) and v.startswith("ctl.") and v in SERVER_TEXT else v
                  for k, v in self.values.items()}
        return server_text(self.key or "", lang, **values)


class Cancelled(Exception):
    """A run was stopped: ``reason`` is ``stopped`` (the Stop button), ``time`` (its limit of running
    time, ``seconds``) or ``left`` (its page went away)."""

    def __init__(self, reason: str = "stopped", seconds: float = 0.0) -> None:
        super().__init__(reason)
        self.reason, self.seconds = reason, seconds


def controls(message: str, lang: str) -> str:
    """The library's ``message`` as the page says it: each ``--flag`` as the page's control
    (:data:`SERVER_TEXT` ``flag.*``), any other flag as the file's setting, paths as their last part.

    Examples
    --------
    >>> controls("fix those cells or choose numeric columns with --x/--y", "en")
    'fix those cells or choose numeric columns with the input x and target y boxes'
    >>> controls("cannot read /tmp/slopefit-uploads-1/ab/t.csv", "en")
    'cannot read t.csv'
    """
    message = cli_words(message)  # the library's Python names (lr=, missing="drop") as flags first

    def flag(match: re.Match) -> str:
        name = match.group(1).replace("/--", "/")
        key = f"flag.{name}"
        return server_text(key, lang) if key in SERVER_TEXT else server_text("flag.other", lang, name=name)

    return FLAG.sub(flag, PATH.sub(lambda m: m.group(1), message))


# the library's commonest data errors, matched on its English line, worded from SERVER_TEXT ``data.*``
DATA_LINES = tuple((key, re.compile("".join(parts))) for key, parts in (
    ("data.missing", (r"(?P<label>.+?) has empty or NaN cells: (?P<cells>.+); ",
                      r"fill them or use missing=\"drop\"")),
    ("data.not_numeric", (r"(?:cannot read (?P<label>[^:]+): )?column (?P<column>'.*?')(?: in (?P<table>.+?))? ",
                          r"is not numeric: (?P<example>.+) in (?P<rows>rows? .+?); ",
                          r"fix those cells or choose numeric columns with x=/y=")),
    ("data.not_numeric_type", (r"column (?P<column>'.*?') in (?P<label>.+?) is not numeric ",
                               r"\(its type is (?P<kind>[^)]+)\); choose numeric columns with x=/y=")),
    ("data.too_few", (r"(?P<label>.+?) has (?P<count>\d+|no) (?:data )?rows?",
                      r"(?:; a line needs at least 2 rows of data|; (?:add|give) rows of .+)?")),
    ("data.constant", (r"feature (?P<column>'.*?') (?:",
                       r"is constant \(every row is (?P<value>.+)\): it carries no information and makes the fit ",
                       r"ill-posed|has the same text (?P<text>.+) in every row: as a category it carries no ",
                       r"information); leave it out (?:with --x|of x=)")),
))
ROWS = re.compile(r"\brows? (?P<rows>\d+(?:, \d+)*)(?: and (?P<more>\d+) more)?"
                  r"(?P<note> \(data rows, header not counted\))?")
CELLS = re.compile(r"(?P<column>'.*?') (?P<count>\d+) \((?P<rows>rows? [^)]*)\)")


def data_detail(message: str, lang: str) -> str:
    """A :class:`DataError`'s line as the page says it: the commonest (missing cells, a column that
    is not numeric, too few rows, a constant column) from :data:`SERVER_TEXT` in ``lang``, their
    row lists worded there too; any other as :func:`controls` words it.

    Examples
    --------
    >>> data_detail("t.csv has 1 row; a line needs at least 2 rows of data", "ko")
    't.csv에 데이터가 1행뿐입니다: 직선에는 2행 이상이 필요합니다. 행(또는 그림의 점)을 더하세요'
    """
    for key, pattern in DATA_LINES:
        found = pattern.fullmatch(message)
        if found is None:
            continue
        values = {k: v for k, v in found.groupdict().items() if v is not None}
        values["label"] = PATH.sub(lambda m: m.group(1), values.get("label") or values.get("table") or "")
        if "rows" in values:
            values["rows"] = rows_said(values["rows"], lang)
        if "cells" in values:
            values["cells"] = CELLS.sub(lambda m: server_text("data.cells", lang, column=m["column"], count=m["count"],
                                                              rows=rows_said(m["rows"], lang)), values["cells"])
        if "count" in values:
            count = 0 if values["count"] == "no" else int(values["count"])
            values["count"] = server_text("data.count_one" if count == 1 else "data.count", lang, count=count)
        if "text" in values:
            values["value"] = values["text"]
        return server_text(key, lang, **values)
    return controls(message, lang)


def rows_said(text: str, lang: str) -> str:
    """The library's row list (``rows 2, 5 and 3 more (data rows, header not counted)``) in ``lang``."""
    def said(found: re.Match) -> str:
        more = server_text("data.more", lang, more=found["more"]) if found["more"] else ""
        note = server_text("data.note", lang) if found["note"] else ""
        key = "data.row" if found[0].startswith("row ") else "data.rows"
        return server_text(key, lang, rows=found["rows"], note=note, **({"more": more} if key == "data.rows" else {}))

    return ROWS.sub(said, text)


def say(exc: BaseException, lang: str) -> str:
    """The one line a page shows for ``exc``, in ``lang``, with the CLI's ``slopefit:`` prefix."""
    if isinstance(exc, Refused):
        line = exc.say(lang)
    elif isinstance(exc, Cancelled):
        line = server_text(f"cancel.{exc.reason}", lang, seconds=exc.seconds)
    elif isinstance(exc, DivergenceError):
        line = server_text("err.diverged", lang, epoch=exc.epoch, lr=exc.lr, bound=exc.bound)
    elif isinstance(exc, DataError):
        line = server_text("err.data", lang, detail=data_detail(str(exc), lang))
    elif isinstance(exc, ConfigError):
        line = server_text("err.setting", lang, detail=controls(str(exc), lang))
    elif isinstance(exc, SlopefitError):
        line = server_text("err.run", lang, detail=controls(str(exc), lang))
    else:
        line = server_text("err.internal", lang, kind=type(exc).__name__)
    return PREFIX + " ".join(line.split())  # one line, whatever the library's text held


def status_of(exc: BaseException) -> int:
    """The HTTP status of a refused request: a :class:`Refused` carries its own; settings 400, data 422."""
    if isinstance(exc, Refused):
        return exc.status
    if isinstance(exc, ConfigError | ValueError | TypeError):
        return 400
    return 422


def kind_of(exc: BaseException) -> str:
    """The ``kind`` of a run's ``error`` event for ``exc``."""
    if isinstance(exc, Cancelled):
        return "cancelled"
    if isinstance(exc, DivergenceError):
        return "diverged"
    if isinstance(exc, ConfigError):
        return "config"
    if isinstance(exc, DataError):
        return "data"
    return "run" if isinstance(exc, SlopefitError) else "internal"
