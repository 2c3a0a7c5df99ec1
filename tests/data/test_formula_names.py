"""Any column name in a formula, quoted as R and statsmodels users quote it (backticks, ``Q('...')``),
on rows shaped like carData's Salaries (``yrs.since.phd``), against statsmodels."""

from __future__ import annotations

import re

import numpy as np
import pytest

import slopefit as sf
from slopefit.data.formulas import formula_columns
from slopefit.data.tables import open_table
from slopefit.errors import ConfigError

smf = pytest.importorskip("statsmodels.formula.api")

RTOL = 1e-6  # the bound; the exact solver keeps ~12 digits on this well-conditioned table

# 20 rows of carData's Salaries (R's dotted names, as write.csv keeps them)
SALARIES = """rank,discipline,yrs.since.phd,yrs.service,sex,salary
Prof,B,19,18,Male,139750
Prof,B,20,16,Male,173200
AsstProf,B,4,3,Male,79750
Prof,B,45,39,Male,115000
Prof,B,40,41,Male,141500
AssocProf,B,6,6,Male,97000
Prof,B,30,23,Male,175000
Prof,B,45,45,Male,147765
Prof,B,21,20,Male,119250
Prof,B,18,18,Female,129000
AssocProf,B,12,8,Male,119800
AsstProf,B,7,2,Male,79800
AsstProf,B,1,1,Male,77700
AsstProf,A,2,0,Male,78000
Prof,A,20,18,Male,104800
Prof,A,12,3,Male,117150
Prof,A,19,20,Male,101000
Prof,A,38,34,Male,103450
Prof,A,37,23,Male,124750
Prof,A,39,36,Female,137000
"""


@pytest.fixture()
def salaries(tmp_path):
    path = tmp_path / "Salaries.csv"
    path.write_text(SALARIES)
    return path


@pytest.mark.parametrize("formula", [
    "salary ~ rank + `yrs.since.phd`",
    "salary ~ rank + Q('yrs.since.phd')",
    'salary ~ C(rank) + Q("yrs.service") + `yrs.since.phd`:sex',
])
@pytest.mark.parametrize("stream", [False, True])
def test_quoted_dotted_names_fit_as_statsmodels(salaries, formula, stream):
    import pandas as pd

    frame = pd.read_csv(salaries)
    result = sf.fit(open_table(salaries, formula=formula) if stream else salaries, formula=None if stream else formula)
    reference = smf.ols(formula.replace("`yrs.since.phd`", "Q('yrs.since.phd')"), frame).fit()  # patsy: no backticks
    np.testing.assert_allclose(result.rsquared, reference.rsquared, rtol=RTOL)
    np.testing.assert_allclose(result.exact.intercept, reference.params["Intercept"], rtol=RTOL)
    np.testing.assert_allclose(sorted(result.exact.coef), sorted(reference.params.to_numpy()[1:]), rtol=RTOL)


def test_the_columns_of_quoted_names_are_found():
    names = ["rank", "yrs.since.phd", "yrs.service", "my col", "salary"]
    used, inputs, forced = formula_columns("np.log(salary) ~ C(`yrs.since.phd`) + Q('my col') + rank", names,
                                           label="t")
    assert used == ["rank", "yrs.since.phd", "my col", "salary"]
    assert inputs == ["rank", "yrs.since.phd", "my col"] and forced == {"yrs.since.phd"}


@pytest.mark.parametrize("formula, message", [
    ("hwy ~ C(class)", "the term 'C(class)' is not valid Python; 'class' is a Python keyword: quote the column as "
                       "`class` or Q('class')"),
    ("hwy ~ I(displ +)", "the term 'I(displ +)' is not valid Python; write it as"),
    ("hwy ~ displ | displ", "has several parts split by '|'; slopefit fits one design"),
])
def test_formula_mistakes_name_the_term(formula, message):
    import pandas as pd

    frame = pd.DataFrame({"displ": [1.8, 5.3, 5.7, 2.4], "class": ["compact", "suv", "suv", "midsize"],
                          "hwy": [29.0, 20, 26, 26]})
    with pytest.raises(ConfigError, match=re.escape(message)):
        sf.load_dataset(frame, formula=formula)
    # the fix the message gives works, as statsmodels reads it (patsy's Q)
    reference = smf.ols("hwy ~ C(Q('class'))", frame).fit()
    for fixed in ("hwy ~ C(Q('class'))", "hwy ~ C(`class`)"):
        np.testing.assert_allclose(sf.fit(frame, formula=fixed).rsquared, reference.rsquared, rtol=RTOL)
