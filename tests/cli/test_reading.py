"""Reading options end to end: --sep, --decimal, --missing on the commands that read a file."""

from __future__ import annotations

import numpy as np
import pytest

from slopefit.cli import main


@pytest.fixture()
def stackloss(tmp_path):
    import statsmodels.datasets.stackloss as stackloss

    frame = stackloss.load_pandas().data[["AIRFLOW", "WATERTEMP", "ACIDCONC", "STACKLOSS"]].copy()
    return frame, tmp_path


def test_fit_says_how_a_european_file_was_read(stackloss, capsys):
    frame, tmp = stackloss
    frame = frame.astype(float) / 4  # cells with decimals
    frame.to_csv(tmp / "eu.csv", index=False, sep=";", decimal=",")
    frame.to_csv(tmp / "plain.csv", index=False)
    assert main(["fit", str(tmp / "eu.csv")]) == 0
    european = capsys.readouterr().out
    assert european.splitlines()[0] == "read eu.csv: separator ';', decimal comma"
    assert main(["fit", str(tmp / "plain.csv")]) == 0
    plain = capsys.readouterr().out
    assert not plain.startswith("read ")
    def untimed(text):
        return [line for line in text.splitlines() if " s = " not in line]

    assert untimed(european.split("\n", 1)[1].replace("eu.csv", "plain.csv")) == untimed(plain)


@pytest.mark.parametrize("stream", [[], ["--stream", "--chunk-rows", "5"]])
def test_fit_drops_rows_with_empty_cells_and_counts_them(stackloss, capsys, stream):
    frame, tmp = stackloss
    frame.loc[3, "AIRFLOW"] = np.nan
    frame.loc[[7, 8], "WATERTEMP"] = np.nan
    frame.to_csv(tmp / "data.csv", index=False)
    assert main(["fit", str(tmp / "data.csv"), *stream]) == 1
    assert capsys.readouterr().err.strip().endswith(
        "data.csv has empty or NaN cells: 'AIRFLOW' 1 (row 4), 'WATERTEMP' 2 (rows 8, 9); "
        "fill them or use --missing drop")
    assert main(["fit", str(tmp / "data.csv"), "--missing", "drop", *stream, "--save", str(tmp / "m.json"),
                 "--json", str(tmp / "r.json")]) == 0
    assert "dropped 3 rows with empty cells (21 -> 18 rows)" in capsys.readouterr().out.splitlines()
    import json

    model, results = json.loads((tmp / "m.json").read_text()), json.loads((tmp / "r.json").read_text())
    assert (results["rows_used"], results["rows_dropped"]) == (18, 3)
    assert (model["rows_used"], model["rows_dropped"]) == (18, 3)


def test_sep_and_decimal_reach_advise_compare_and_predict(stackloss, capsys):
    frame, tmp = stackloss
    frame.to_csv(tmp / "bars.txt", index=False, sep="|")
    assert main(["advise", str(tmp / "bars.txt"), "--sep", "|"]) == 0
    assert main(["compare", str(tmp / "bars.txt"), "--sep", "|", "--run", "sgd", "--epochs", "20"]) == 0
    capsys.readouterr()
    assert main(["fit", str(tmp / "bars.txt"), "--save", str(tmp / "m.json")]) == 0
    capsys.readouterr()
    frame.head(2).drop(columns="STACKLOSS").astype(float).add(0.5).to_csv(
        tmp / "new.csv", index=False, sep=";", decimal=",")
    assert main(["predict", str(tmp / "m.json"), "--csv", str(tmp / "new.csv")]) == 0
    first = capsys.readouterr().out
    assert main(["predict", str(tmp / "m.json"), "--csv", str(tmp / "new.csv"), "--sep", ";", "--decimal", ","]) == 0
    assert capsys.readouterr().out == first and len(first.splitlines()) == 2
    assert main(["fit", str(tmp / "bars.txt"), "--sep", "tab"]) == 1
    assert "bars.txt has 1 column" in capsys.readouterr().err
