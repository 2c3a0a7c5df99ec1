"""No numpy or pandas RuntimeWarning is ever printed before slopefit's own line: the paths the CLI
takes on tables that provoke them (a response near 1e152, a feature near 1e-200, np.log of negative
cells), run with RuntimeWarning as an error, then the CLI's stderr itself."""

from __future__ import annotations

import numpy as np
import pytest

import slopefit as sf
from slopefit.data.tables import open_table
from slopefit.errors import DataError

sm = pytest.importorskip("statsmodels.api")

RTOL = 1e-6  # the bound on R² and coefficients against statsmodels


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    rng = np.random.default_rng(0)
    x = rng.normal(size=30)  # (30,)
    y = 2 * x + rng.normal(size=30)  # (30,)
    folder = tmp_path_factory.mktemp("warn")
    made = {}
    for name, (xs, ys) in {"big": (x, y * 1e152), "tiny": (x * 1e-200, y), "plain": (x, y)}.items():
        made[name] = folder / f"{name}.csv"
        made[name].write_text("x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(xs, ys, strict=True)))
    return made, x, y


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("stream", [False, True])
def test_a_response_near_1e152_fits_without_a_warning(tables, stream):
    made, x, y = tables
    result = sf.fit(open_table(made["big"]) if stream else made["big"])
    reference = sm.OLS(y * 1e152, sm.add_constant(x)).fit()
    np.testing.assert_allclose(result.rsquared, reference.rsquared, rtol=RTOL)
    np.testing.assert_allclose(result.exact.coef[0], reference.params[1], rtol=RTOL)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("formula, message", [
    ("y ~ np.log(x)", "feature 'np.log(x)' has NaN or infinite values in rows "),
    ("np.log(y) ~ x", "target 'np.log(y)' has NaN or infinite values in rows "),
    ("y ~ np.sqrt(x)", "feature 'np.sqrt(x)' has NaN or infinite values in rows "),
])
def test_a_transform_of_negative_cells_is_named_not_warned(tables, formula, message):
    made, x, y = tables
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        sf.fit(made["plain"], formula=formula)
    # the same count of bad rows as numpy's own log of the same cells
    bad = int(np.sum(x <= 0) if "(x)" in formula else np.sum(y <= 0))
    assert bad > 5


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("stream", [False, True])
def test_a_feature_near_1e200_is_refused_in_a_line_without_a_warning(tables, stream):
    made, _, _ = tables
    with pytest.raises(DataError, match="tiny.csv"):
        sf.fit(open_table(made["tiny"]) if stream else made["tiny"])


@pytest.mark.parametrize("argv", [
    ["fit", "{big}"], ["fit", "{big}", "--stream"], ["fit", "{tiny}"], ["fit", "{tiny}", "--stream"],
    ["fit", "{plain}", "--formula", "y ~ np.log(x)"], ["fit", "{plain}", "--formula", "np.log(y) ~ x", "--stream"],
    ["advise", "{big}"], ["step", "{big}", "--steps", "3"], ["sweep", "{big}"],
])
def test_the_cli_prints_no_library_warning(run_cli, tables, argv):
    made, _, _ = tables
    run = run_cli(*[a.format(**made) if a.startswith("{") else a for a in argv])
    assert "Warning" not in run.err and "Traceback" not in run.err, run.err
    assert run.code == 0 or (run.code == 1 and run.err.startswith("slopefit: ") and len(run.err.splitlines()) == 1)


@pytest.mark.slow
def test_the_terminal_shows_no_library_warning(tables):
    """As a user's terminal sees it: a separate process, whose stderr pytest does not filter."""
    import os
    import subprocess
    import sys

    made, _, _ = tables
    for argv in (["fit", made["big"]], ["fit", made["plain"], "--formula", "y ~ np.log(x)"]):
        run = subprocess.run([sys.executable, "-m", "slopefit", *map(str, argv)], capture_output=True, text=True,
                             env={**os.environ, "PYTHONWARNINGS": "default"}, timeout=300)
        assert "Warning" not in run.stderr and "Traceback" not in run.stderr, run.stderr
        assert run.returncode == 0 or run.stderr.startswith("slopefit: feature 'np.log(x)'"), run.stderr
