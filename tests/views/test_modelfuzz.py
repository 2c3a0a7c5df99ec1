"""Damaged model files from a hypothesis strategy: a real model file with one value replaced (by a
number, NaN, inf, 1e999, text, a boolean, a list, a dict, deep nesting) or removed. ``load_model``
must refuse it in one short line (ModelFileError) or return a model whose every number is finite
and whose lengths agree; never a traceback, never an accepted non-finite value.

About 100 examples in the fast tier, 1 000 in the test marked slow."""

from __future__ import annotations

import functools
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slopefit.data.sources import load_dataset
from slopefit.errors import DataError, ModelFileError
from slopefit.train.training import fit
from slopefit.views.persistence import load_model, model_from_result, save_model

HUGE = "__1e999__"  # written into the JSON text as 1e999: a number no float64 holds


@functools.cache
def base_text() -> str:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = save_model(model_from_result(fit(load_dataset("height-weight"))), Path(folder) / "m.json")
        return path.read_text()


def paths(value, prefix=()):
    """Every path into the JSON document (keys and list positions)."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, (*prefix, i))


REPLACEMENTS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.just(HUGE), st.text(max_size=12),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.integers(min_value=1, max_value=5000).map(lambda depth: f"__DEEP_{depth}__"),  # nesting, written as text
    st.just("DELETE"),
)


def damaged(draw_path: int, replacement) -> str:
    document = json.loads(base_text())
    every = list(paths(document))[1:]
    where = every[draw_path % len(every)]
    parent = functools.reduce(lambda node, key: node[key], where[:-1], document)
    if replacement == "DELETE":
        del parent[where[-1]]
    else:
        parent[where[-1]] = replacement
    text = json.dumps(document, allow_nan=True).replace(f'"{HUGE}"', "1e999")
    if isinstance(replacement, str) and replacement.startswith("__DEEP_"):
        depth = int(replacement[7:-2])
        text = text.replace(f'"{replacement}"', "[" * depth + "0" + "]" * depth)
    return text


def check(tmp_path, text: str) -> None:
    path = tmp_path / "damaged.json"
    path.write_text(text)
    try:
        model = load_model(path)
    except ModelFileError as exc:
        message = str(exc)
        assert "\n" not in message and len(message) < 600, message[:800]
        return
    d = len(model.feature_names)
    assert model.coef.shape == (d,) and np.isfinite(model.coef).all() and math.isfinite(model.intercept)
    assert isinstance(model.intercept, float) and not isinstance(model.coef.tolist()[0], bool)
    for bound in (model.feature_min, model.feature_max):
        assert bound is None or (bound.shape == (d,) and np.isfinite(bound).all())
    rows = np.full((2, d), 170.0)
    assert np.isfinite(model.predict(rows)).all()
    model.outside_range(rows)
    try:
        got = model.interval(rows)
    except (ModelFileError, DataError) as exc:  # refused in one line: a damaged file, or numbers that overflow
        assert "\n" not in str(exc) and len(str(exc)) < 600
        return
    # an accepted interval is finite, or NaN exactly when the fit had no residual degrees of freedom
    finite = all(np.isfinite(part).all() for part in got)
    assert finite or model.interval_reason is not None


@given(where=st.integers(min_value=0, max_value=10**6), replacement=REPLACEMENTS)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_damaged_model_files_fast(tmp_path, where, replacement):
    check(tmp_path, damaged(where, replacement))


@pytest.mark.slow
@given(where=st.integers(min_value=0, max_value=10**6), replacement=REPLACEMENTS)
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_damaged_model_files_full(tmp_path, where, replacement):
    check(tmp_path, damaged(where, replacement))


@pytest.mark.parametrize(("field", "value", "words"), [
    ("intercept", "NaN", "not valid JSON"),
    ("intercept", "1e999", "not valid JSON (Number out of range"),
    ("intercept", '"5"', "field intercept expected `float`, got `str`, found '5'"),
    ("intercept", "true", "field intercept expected `float`, got `bool`, found True"),
    ("coef", "[true]", "field coef[0] expected `float`, got `bool`, found True"),
    ("format_version", "true", "has model format version True, but this slopefit reads version 1"),
    ("feature_min", '["a"]', "field feature_min[0] expected `float`, got `str`, found 'a'"),
    ("inference", '{"n": 5, "dof_resid": 3, "sigma": 2.75, "level": 0.95, "fit_intercept": true, '
                  '"x_mean": [171.0], "cxx_inv": [[0.01, 0.0], [0.0, 0.01]]}',
     "field inference.cxx_inv must be 1 x 1 (one row and column per feature), found 2 rows"),
    ("coef", "[" + ", ".join(["1.0"] * 200_000) + "]", "field coef expected `array` of length <= 100000, found "
                                                        "[1.0, 1.0"),
    ("penalty", '{"kind": "ridge", "alpha": "x"}', "field penalty.alpha expected `float`, got `str`, found 'x'"),
])
def test_the_eleven_damaged_files_of_the_issue_each_get_one_line(tmp_path, field, value, words):
    """The damaged model files the issue reports as accepted or as tracebacks, refused by name."""
    document = json.loads(base_text())
    document[field] = "__VALUE__"
    path = tmp_path / "m.json"
    path.write_text(json.dumps(document).replace('"__VALUE__"', value))
    with pytest.raises(ModelFileError) as err:
        load_model(path)
    message = str(err.value)
    assert words in message and len(message) < 600 and "\n" not in message, message[:800]


def test_a_deeply_nested_file_is_one_line(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"format": "slopefit-model", "format_version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ModelFileError, match="nested too deeply|not valid JSON"):
        load_model(path)


def test_a_model_whose_feature_mean_overflows_the_interval_is_refused_in_one_line(tmp_path):
    """Found by the fuzz: x_mean 1e155 accepted, then inf intervals with no reason given."""
    result = fit(load_dataset("height-weight"))
    path = tmp_path / "m.json"
    save_model(model_from_result(result), path)
    data = json.loads(path.read_text())
    data["inference"]["x_mean"] = [1.0211082304144566e155]
    path.write_text(json.dumps(data))
    with pytest.raises(DataError, match="overflows float64") as caught:
        load_model(path).interval(np.full((2, 1), 170.0))
    assert "\n" not in str(caught.value)
