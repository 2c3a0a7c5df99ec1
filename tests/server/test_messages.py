"""The library's commonest data errors reach the page in its language: missing cells, a column
that is not numeric, too few rows and a constant column, each raised by the library itself on a
table written here (the playground's upload and bowl, in-process) and checked against the rows
and values counted by hand in that table."""

from __future__ import annotations

import re

import pytest

from slopefit.server.app import create_app
from slopefit.server.messages import data_detail
from tests.server.asgi import call_json

HANGUL = re.compile("[\uac00-\ud7a3]")
# the library's English that must not reach the Korean page
ENGLISH = re.compile(r"\b(rows?|cells?|cannot|numeric|constant|feature|header|fill|choose|needs?)\b")
OCTETS = {"content-type": "application/octet-stream"}


@pytest.fixture(scope="module")
def app():
    return create_app(workers=1)


def error_of(app, name: str, table: str, lang: str) -> str:
    """The line the page shows for ``table``: the upload's own error, else its bowl's."""
    status, answer = call_json(app, "POST", f"/api/upload?name={name}&lang={lang}", body=table.encode(),
                               headers=OCTETS)
    assert status == 200, answer
    if answer["error"]:
        return answer["error"]
    query = f"dataset=upload&upload={answer['token']}&x={answer['x'][0]}&y={answer['y']}&lang={lang}"
    status, bowl = call_json(app, "GET", "/api/bowl?" + query)
    assert 400 <= status < 500, bowl
    return bowl["error"]


SEVEN_EMPTY = "a,b\n" + "".join(f"{'' if 2 <= k <= 8 else k},{k}\n" for k in range(1, 11))
CASES = [  # file, table, what the Korean line must say (counted by hand), its English line
    ("missing.csv", "a,b\n1,2\n,3\n3,5\n", ["missing.csv에 빈 칸", "'a' 열 1칸 (2행)", "채워서"],
     "slopefit: missing.csv has empty or NaN cells: 'a' 1 (row 2); fill them and upload the table again"),
    # rows 2..8 of a are empty: the first five listed, two more counted
    ("seven.csv", SEVEN_EMPTY, ["'a' 열 7칸 (2, 3, 4, 5, 6행 외 2행)"],
     "slopefit: seven.csv has empty or NaN cells: 'a' 7 (rows 2, 3, 4, 5, 6 and 2 more); fill them and upload "
     "the table again"),
    ("text.csv", "hours,ability\n1,200\n2,abc\n3,600\n",
     ["text.csv의 'ability' 열이 숫자가 아닙니다", "2행", "'abc'", "입력 x·목표 y 상자"],
     "slopefit: column 'ability' in text.csv is not numeric: 'abc' in row 2 (data rows, header not counted); fix "
     "those cells or choose numeric columns with the input x and target y boxes"),
    ("one.csv", "a,b\n1,2\n", ["one.csv에 데이터가 1행뿐입니다", "2행 이상"],
     "slopefit: one.csv has 1 row of data; a line needs at least 2 rows: add rows (or points on the plot)"),
    ("flat.csv", "a,b\n4,2\n4,3\n4,5\n", ["입력 'a'의 값이 모든 행에서 4(으)로 같습니다", "입력 x 상자"],
     "slopefit: feature 'a' is 4 in every row: it carries no information and leaves the line undetermined; "
     "choose another column in the input x box, or move a point sideways"),
]


@pytest.mark.parametrize(("name", "table", "korean", "english"), CASES, ids=[c[0] for c in CASES])
def test_common_data_errors_are_said_in_the_pages_language(app, name, table, korean, english):
    line = error_of(app, name, table, "ko")
    assert line.startswith("slopefit: 데이터를 쓸 수 없습니다: ") and "\n" not in line and "--" not in line
    for part in korean:
        assert part in line, (part, line)
    assert not ENGLISH.search(line), line
    assert error_of(app, name, table, "en") == english


def test_other_data_errors_keep_the_librarys_words_with_the_pages_controls():
    line = "column 'q' is not in t.csv; available columns: a, b; choose one with --x"
    assert data_detail(line, "ko") == "column 'q' is not in t.csv; available columns: a, b; choose one with 입력 x 상자"
