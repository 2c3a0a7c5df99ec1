"""Data sources and every data error message."""

from __future__ import annotations

import numpy as np
import pytest

from slopefit.data.datasets import Dataset, builtin_names, make_synthetic
from slopefit.data.sources import builtin, load_dataset
from slopefit.errors import ConfigError, DataError
from tests.conftest import HEIGHT_WEIGHT_CSV


def test_builtins_are_the_lessons_tables():
    assert builtin_names() == ("height-weight", "hours-ability", "grunfeld")
    hw = builtin("height-weight")
    np.testing.assert_array_equal(hw.X[:, 0], [166, 176, 171, 173, 169])
    np.testing.assert_array_equal(hw.y, [58.7, 75.7, 62.1, 70.4, 60.1])
    assert hw.feature_names == ("height",) and hw.target_name == "weight"
    assert "신장" in hw.description["ko"] and "height" in hw.description["en"]
    ha = builtin("hours-ability")
    np.testing.assert_array_equal(ha.y, [200, 400, 600])
    import statsmodels.api as sm  # grunfeld: the table statsmodels ships, row for row

    frame = sm.datasets.grunfeld.load_pandas().data
    gr = builtin("grunfeld")
    assert gr.design.inputs == ("value", "capital", "firm") and gr.target_name == "invest"
    np.testing.assert_array_equal(gr.y, frame["invest"])
    np.testing.assert_array_equal(gr.X[:, :2], frame[["value", "capital"]])
    np.testing.assert_array_equal(gr.X[:, gr.feature_names.index("firm[T.IBM]")], frame["firm"] == "IBM")


def test_synthetic_is_seeded_and_has_true_coefficients():
    a = make_synthetic(50, 3, seed=11, noise=0.0)
    b = load_dataset("synthetic:n=50,d=3,seed=11,noise=0")
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_allclose(a.y, a.X @ a.true_coef + a.true_intercept)
    assert not np.array_equal(a.X, make_synthetic(50, 3, seed=12).X)


def test_csv_default_columns(write_csv):
    ds = load_dataset(write_csv(HEIGHT_WEIGHT_CSV))
    assert ds.feature_names == ("height",) and ds.target_name == "weight"
    np.testing.assert_array_equal(ds.X[:, 0], builtin("height-weight").X[:, 0])


def test_csv_several_features_chosen_by_name(write_csv):
    path = write_csv("a,b,c,t\n1,2,9,3\n2,1,8,5\n3,5,7,4\n4,3,1,8\n")
    ds = load_dataset(path, x=["c", "a"], y="b")
    assert ds.feature_names == ("c", "a") and ds.target_name == "b"
    np.testing.assert_array_equal(ds.X[0], [9, 1])


def test_parquet(tmp_path):
    import pandas as pd

    path = tmp_path / "hw.parquet"
    pd.DataFrame({"height": [166, 176, 171], "weight": [58.7, 75.7, 62.1]}).to_parquet(path)
    ds = load_dataset(path)
    np.testing.assert_array_equal(ds.y, [58.7, 75.7, 62.1])


@pytest.mark.parametrize("text, kwargs, message", [
    ("height,weight\n166,58.7\n176,75.7\n", dict(x=["age"]),
     "column 'age' is not in data.csv; available columns: height, weight"),
    ("height,weight\n166,58.7\n176,75.7\n", dict(y="mass"),
     "column 'mass' is not in data.csv; available columns: height, weight"),
    ("height,weight\n166,58.7\n176,heavy\n171,62.1\n", {},
     "column 'weight' in data.csv is not numeric: 'heavy' in row 2"),
    ("height,weight\n166,58.7\n176,\n171,62.1\n170,nan\n", {},
     "data.csv has empty or NaN cells: 'weight' 2 (rows 2, 4); fill them or use missing=\"drop\""),
    ("height,weight\n166,inf\n176,2\n171,62.1\n", {},
     "column 'weight' in data.csv has infinite cells in row 1 (data rows, header not counted)"),
    ("height,weight\n166,58.7\n", {}, "data.csv has 1 row; a line needs at least 2 rows of data"),
    ("height,weight\n", {}, "data.csv has 0 rows; a line needs at least 2 rows of data"),
    ("height,age,weight\n166,30,58.7\n176,30,75.7\n171,30,62.1\n", {},
     "feature 'age' is constant (every row is 30)"),
    ("weight\n1\n2\n", {}, "it needs at least one feature column and one target column"),
    ("height,weight\n166,58.7\n176,75.7\n", dict(x=["weight"]),
     "column 'weight' is both a feature (x=) and the target (y=)"),
    ("", {}, "is empty; it needs a header row and at least 2 data rows"),
])
def test_data_errors(write_csv, text, kwargs, message):
    with pytest.raises(DataError) as info:
        load_dataset(write_csv(text), **kwargs)
    assert message in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match="data file '.*nope.csv' does not exist; check the path or name a built-in"):
        load_dataset(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a directory"):
        load_dataset(tmp_path)


def test_unreadable_binary_file(tmp_path):
    path = tmp_path / "blob.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x82" * 10)
    with pytest.raises(DataError, match="cannot (read|parse)"):
        load_dataset(path)


def test_mismatched_lengths():
    with pytest.raises(DataError, match="features have 3 rows but the target has 4; give one target value per row"):
        Dataset(X=np.ones((3, 1)), y=np.ones(4), feature_names=("x",), target_name="y")


def test_unknown_builtin_column_and_synthetic_option():
    with pytest.raises(DataError, match="column 'age' is not in height-weight; available columns: height, weight"):
        load_dataset("height-weight", x=["age"])
    with pytest.raises(ConfigError, match="bad synthetic option 'rows=5'"):
        load_dataset("synthetic:rows=5")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp949"])
def test_korean_csv_from_excel(tmp_path, encoding):
    """Excel saves Korean CSV files as UTF-8 with a BOM or as CP949; both read with their names intact."""
    path = tmp_path / "키몸무게.csv"
    path.write_bytes("키,몸무게\n166,58.7\n176,75.7\n171,62.1\n".encode(encoding))
    ds = load_dataset(path)
    assert ds.feature_names == ("키",) and ds.target_name == "몸무게"
    np.testing.assert_array_equal(ds.y, [58.7, 75.7, 62.1])
