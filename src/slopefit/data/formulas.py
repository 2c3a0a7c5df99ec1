"""Formulas in Wilkinson notation (``"invest ~ value + C(firm) + I(value**2) + value:capital"``),
read by formulaic: the columns a formula reads, its design matrix on a table, and the same
columns again for new rows from the levels and transform state a :class:`slopefit.data.design.Design`
keeps (as JSON in a model file). slopefit writes no parser of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from slopefit.data.design import Design, _check_level_count, _plain
from slopefit.errors import ConfigError, DataError


def absent_column(name: str, label: str, names: Sequence[str]) -> str:
    """The message for a formula naming a column the table does not have."""
    return f"the formula names column {name!r}, which is not in {label}; available columns: {', '.join(names)}"


def parse_formula(formula: str):
    """``formula`` parsed by formulaic, with a left side (the target); ConfigError otherwise."""
    from formulaic import Formula
    from formulaic.errors import FormulaicError

    try:
        parsed = Formula(formula)
    except FormulaicError as exc:
        first = str(exc).strip().splitlines()[0]
        raise ConfigError(f"cannot read the formula {formula!r}: {first}; write it as 'y ~ a + b + C(group)'") from None
    if not hasattr(parsed, "lhs") or not hasattr(parsed, "rhs"):
        raise ConfigError(f"the formula {formula!r} has no target: write the target left of '~', "
                          "e.g. 'invest ~ value + capital'")
    return parsed


def formula_columns(formula: str, names: Sequence[str], *, label: str) -> tuple[list[str], list[str], set[str]]:
    """The table's columns a formula reads (in the table's order), those of its right side (the
    inputs of new rows), and those inside ``C(...)`` (categories even when they hold numbers).

    Raises DataError naming a column the table (``label``, columns ``names``) does not have.
    """
    parsed = parse_formula(formula)
    absent = sorted(v for v in parsed.required_variables if v not in names)
    if absent:
        raise DataError(absent_column(absent[0], label, names))
    # formulaic leaves the variables of stateful transforms (center(x), poly(x, 2)) out of
    # required_variables: a column named anywhere in the formula (not as a call) is used
    named = {c for c in names if re.search(rf"(?<![\w.`]){re.escape(c)}(?![\w`(])|`{re.escape(c)}`", formula)}
    used = [c for c in names if c in parsed.required_variables or c in named]
    forced = {c for c in used if re.search(rf"C\(\s*`?{re.escape(c)}\b", formula)}
    return used, [c for c in used if c not in _formula_targets(parsed, used)], forced


def _formula_targets(parsed, used: list[str]) -> set[str]:
    """The table's columns the formula's left side reads (they are not inputs of new rows)."""
    from formulaic import Formula

    lhs = Formula(str(parsed.lhs))
    return {c for c in used if c in lhs.required_variables}


def formula_target(formula: str, columns: Mapping[str, Any]) -> np.ndarray:
    """The target of rows: the formula's left side (``invest``, ``np.log(invest)``) evaluated on them."""
    import pandas as pd
    from formulaic import model_matrix

    lhs = model_matrix(parse_formula(formula).lhs, pd.DataFrame(dict(columns)), na_action="ignore")
    return lhs.iloc[:, 0].to_numpy(dtype=np.float64)


def formula_design(formula: str, columns: dict[str, np.ndarray], inputs: list[str], label: str,
                    names_in: Sequence[str]) -> tuple[Design, np.ndarray, np.ndarray]:
    import pandas as pd
    from formulaic import model_matrix
    from formulaic.errors import FormulaicError

    frame = pd.DataFrame(columns)
    try:
        matrices = model_matrix(parse_formula(formula), frame, na_action="ignore")
    except FormulaicError as exc:
        first = str(exc).strip().splitlines()[0]
        name = re.search(r"name '([^']+)' is not defined", first)
        if name and name.group(1) not in frame.columns:
            raise DataError(absent_column(name.group(1), label, list(names_in))) from None
        raise DataError(f"cannot build the formula {formula!r} on {label}: {first}") from None
    lhs, rhs = matrices.lhs, matrices.rhs
    if lhs.shape[1] != 1:
        raise DataError(f"the formula's left side gives {lhs.shape[1]} columns ({', '.join(map(str, lhs.columns))}); "
                        "the target must be one numeric column")
    spec = rhs.model_spec
    intercept = "Intercept" in rhs.columns
    names = tuple(str(c) for c in rhs.columns if c != "Intercept")
    if not names:
        raise DataError(f"the formula {formula!r} has no features right of '~'; add at least one column")
    kinds = {str(k): v[0].value for k, v in spec.encoder_state.items()}
    levels = {str(k): [_plain(c) for c in v[1]["categories"]] for k, v in spec.encoder_state.items()
              if v[0].value == "categorical" and "categories" in v[1]}
    for factor, values in levels.items():
        _check_level_count(factor, values, len(frame), label)
    text = tuple(c for c in inputs if columns[c].dtype == object)
    design = Design(target=str(lhs.columns[0]), columns=names, inputs=tuple(inputs), text=text, levels=levels,
                    formula=formula, intercept=intercept, kinds=kinds, transforms=dict(spec.transform_state))
    X = np.ascontiguousarray(rhs[list(names)].to_numpy(dtype=np.float64))  # (n_rows, n_columns)
    return design, X, lhs.iloc[:, 0].to_numpy(dtype=np.float64)


def materialize(design: Design, columns: Mapping[str, np.ndarray]):
    """The formula's columns (a DataFrame) for new rows with the fit's levels and transform state."""
    import warnings

    import pandas as pd
    from formulaic import ModelSpec
    from formulaic.errors import DataMismatchWarning, FormulaicError
    from formulaic.parser.types import Factor

    encoder = {k: (Factor.Kind(kind), {"categories": design.levels[k]} if k in design.levels else {})
               for k, kind in design.kinds.items()}
    spec = ModelSpec(formula=parse_formula(design.formula or "").rhs, encoder_state=encoder,
                     transform_state=design.transforms)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataMismatchWarning)  # a level the fit has not seen: not a silent NaN
        try:
            matrix = spec.get_model_matrix(pd.DataFrame(columns), na_action="ignore")
        except (DataMismatchWarning, FormulaicError) as exc:
            first = str(exc).strip().splitlines()[0]
            raise DataError(f"cannot apply the formula {design.formula!r} to the new rows: {first}") from None
    return matrix


def streamed_formula_design(first: Mapping[str, np.ndarray], whole: Mapping[str, list], *, inputs: Sequence[str],
                            text: Sequence[str], formula: str, label: str) -> Design:
    """The design of a formula on a table read in chunks: built on the first chunk, each category
    with its levels in the whole file (``whole``: column -> sorted values)."""
    import pandas as pd
    from formulaic import model_matrix

    frame = pd.DataFrame({c: first[c] for c in first})
    matrices = model_matrix(parse_formula(formula), frame, na_action="ignore")
    spec = matrices.rhs.model_spec
    lhs_spec = matrices.lhs.model_spec
    if spec.transform_state or lhs_spec.transform_state:
        used = ", ".join(sorted({*spec.transform_state, *lhs_spec.transform_state}))
        raise DataError(f"the formula's {used} takes the mean or spread of the whole table, and {label} is read in "
                        "chunks (--stream, or a file over 1 GiB); leave out --stream, or write the transform out "
                        "(e.g. I(value - 988.6))")
    categories = {}
    for factor, (kind, _) in spec.encoder_state.items():
        if kind.value == "categorical":
            variable = factor_variable(str(factor), inputs)
            if variable is None or variable not in whole:
                raise DataError(f"cannot tell which column the category term {factor!r} reads, and {label} is read "
                                "in chunks; leave out --stream")
            categories[str(factor)] = whole[variable]
            _check_level_count(str(factor), whole[variable], len(frame), label)
    design = Design(target=str(matrices.lhs.columns[0]), columns=(), inputs=tuple(inputs), text=tuple(text),
                    levels=categories, formula=formula, intercept="Intercept" in matrices.rhs.columns,
                    kinds={str(k): v[0].value for k, v in spec.encoder_state.items()})
    names = tuple(str(c) for c in materialize(design, frame).columns if c != "Intercept")
    return replace(design, columns=names)


def factor_variable(factor: str, inputs: Sequence[str]) -> str | None:
    """The one input column a categorical factor (``firm``, ``C(firm)``) reads, or None."""
    if factor in inputs:
        return factor
    found = [c for c in inputs if re.search(rf"(?<![\w.]){re.escape(c)}(?![\w])", factor)]
    return found[0] if len(found) == 1 else None


def encode_state(value: Any) -> Any:
    """Transform state as JSON: arrays and dicts with non-text keys tagged, numpy scalars plain."""
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist()}
    if isinstance(value, Mapping):
        if all(isinstance(k, str) for k in value):
            return {k: encode_state(v) for k, v in value.items()}
        return {"__items__": [[encode_state(k), encode_state(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [encode_state(v) for v in value]
    return _plain(value)


def decode_state(value: Any) -> Any:
    if isinstance(value, Mapping):
        if set(value) == {"__array__"}:
            return np.asarray(value["__array__"], dtype=np.float64)
        if set(value) == {"__items__"}:
            return {decode_state(k): decode_state(v) for k, v in value["__items__"]}
        return {k: decode_state(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_state(v) for v in value]
    return value
