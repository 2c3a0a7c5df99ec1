"""Formulas in Wilkinson notation (``"invest ~ value + C(firm) + I(value**2) + value:capital"``),
read by formulaic: the columns a formula reads, its design matrix on a table, and the same
columns again for new rows from the levels and transform state a :class:`slopefit.data.design.Design`
keeps (as JSON in a model file). slopefit writes no parser of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from slopefit.data.columns import plain
from slopefit.errors import ConfigError, DataError


def absent_column(name: str, label: str, names: Sequence[str]) -> DataError:
    """The error for a formula naming a column the table does not have."""
    return DataError(f"the formula names column {name!r}, which is not in {label}; available columns: "
                     f"{', '.join(names)}", key="err.formula_column",
                     values={"column": name, "label": label, "columns": ", ".join(names)})


_KEYWORD_IN_BACKTICKS = re.compile(r"`(False|None|True|and|as|assert|async|await|break|class|continue|def|del|elif|"
                                   r"else|except|finally|for|from|global|if|import|in|is|lambda|nonlocal|not|or|"
                                   r"pass|raise|return|try|while|with|yield)`")


def parse_formula(formula: str):
    """``formula`` parsed by formulaic, with a left side (the target); ConfigError otherwise."""
    from formulaic import Formula
    from formulaic.errors import FormulaicError

    try:
        parsed = Formula(formula)
    except FormulaicError as exc:
        first = str(exc).strip().splitlines()[0]
        raise ConfigError(f"cannot read the formula {formula!r}: {first}; write it as 'y ~ a + b + C(group)'",
                          key="err.formula", values={"formula": formula, "why": first}) from None
    except SyntaxError as exc:  # formulaic parses each term as Python: C(class) is not Python
        quoted = _KEYWORD_IN_BACKTICKS.sub(lambda m: f"Q('{m.group(1)}')", formula)
        if quoted == formula:
            raise python_term_error(formula, exc.text or formula) from None
        return parse_formula(quoted)  # C(`class`): formulaic reads a keyword in backticks as the bare word
    if not hasattr(parsed, "lhs") or not hasattr(parsed, "rhs"):
        raise ConfigError(f"the formula {formula!r} has no target: write the target left of '~', "
                          "e.g. 'invest ~ value + capital'", key="err.formula_target", values={"formula": formula})
    if isinstance(parsed.lhs, tuple) or isinstance(parsed.rhs, tuple):
        raise ConfigError(f"the formula {formula!r} has several parts split by '|'; slopefit fits one design: "
                          "write the terms joined by '+', e.g. 'y ~ a + b'", key="err.formula_bar",
                          values={"formula": formula})
    return parsed


def python_term_error(formula: str, term: str) -> ConfigError:
    """The error for a term formulaic cannot read as Python, naming it (and a keyword in it)."""
    import keyword

    from slopefit.texts import Bilingual, text

    term = term.strip()
    words = [w for w in re.findall(r"[A-Za-z_]\w*", term) if keyword.iskeyword(w)]
    fix = Bilingual.of(lambda lang: text("err.formula_keyword", lang, word=words[0]) if words
                       else text("err.formula_plain", lang))
    return ConfigError(f"cannot read the formula {formula!r}: the term {term!r} is not valid Python; {fix}",
                       key="err.formula_term", values={"formula": formula, "term": term, "fix": fix})


_QUOTED = re.compile(r"""`([^`]+)`|\bQ\(\s*(['"])(.*?)\2\s*\)""")  # `yrs.since.phd`, Q('yrs.since.phd')


def quoted_names(formula: str) -> tuple[str, dict[str, str]]:
    """``formula`` with each quoted column name (```yrs.since.phd```, ``Q('my col')``) replaced by a
    plain identifier, and identifier -> column name: formulaic reads a quoted name as one column but
    reports ``yrs.since.phd`` as the variable ``yrs`` among its required variables."""
    names: dict[str, str] = {}

    def plain_name(match: re.Match) -> str:
        name = match.group(1) if match.group(1) is not None else match.group(3)
        key = next((k for k, v in names.items() if v == name), f"slopefit_quoted_{len(names)}")
        names[key] = name
        return key

    return _QUOTED.sub(plain_name, formula), names


def formula_columns(formula: str, names: Sequence[str], *, label: str) -> tuple[list[str], list[str], set[str]]:
    """The table's columns a formula reads (in the table's order), those of its right side (the
    inputs of new rows), and those inside ``C(...)`` (categories even when they hold numbers).
    Any column name can be quoted as R and statsmodels write it: ```yrs.since.phd``` or ``Q('yrs.since.phd')``.

    Raises DataError naming a column the table (``label``, columns ``names``) does not have.
    """
    parse_formula(formula)  # the formula as written: one line if formulaic cannot read it
    plain_formula, quoted = quoted_names(formula)
    parsed = parse_formula(plain_formula)
    required = {quoted.get(v, v) for v in parsed.required_variables}
    absent = sorted(v for v in required if v not in names)
    if absent:
        raise absent_column(absent[0], label, names)
    # formulaic leaves the variables of stateful transforms (center(x), poly(x, 2)) out of
    # required_variables: a column named anywhere in the formula (not as a call) is used
    named = {c for c in names if re.search(rf"(?<![\w.`]){re.escape(c)}(?![\w`(])|`{re.escape(c)}`", formula)}
    used = [c for c in names if c in required or c in named or c in quoted.values()]
    forced = {c for c in used if re.search(rf"C\(\s*(`|Q\(\s*['\"])?{re.escape(c)}(?![\w.])", formula)}
    targets = {quoted.get(v, v) for v in parsed.lhs.required_variables}
    return used, [c for c in used if c not in targets], forced


def formula_target(formula: str, columns: Mapping[str, Any]) -> np.ndarray:
    """The target of rows: the formula's left side (``invest``, ``np.log(invest)``) evaluated on them."""
    import pandas as pd
    from formulaic import model_matrix

    with np.errstate(all="ignore"):  # np.log(y) at y <= 0: NaN cells, named by the caller's checks
        lhs = model_matrix(parse_formula(formula).lhs, pd.DataFrame(dict(columns)), na_action="ignore")
    return lhs.iloc[:, 0].to_numpy(dtype=np.float64)


def integral(values: Any) -> bool:
    """Whether float values are whole numbers (a category such as 4, 6, 8 cylinders read as floats)."""
    array = np.asarray(values)
    return array.dtype.kind == "f" and bool(np.isfinite(array).all()) and bool((array == np.round(array)).all())


def whole_number_categories(frame, formula: str, factors: Sequence[str] | None = None):
    """``frame`` with the float columns a formula's ``C(...)`` reads (or the columns of ``factors``) as
    integers when every value is whole: categories named ``C(cyl)[T.6]``, as statsmodels and R name
    them, not ``[T.6.0]``."""
    names = [c for c in frame.columns
             if (re.search(rf"C\(\s*(`|Q\(\s*['\"])?{re.escape(str(c))}(?![\w.])", formula) if factors is None
                 else c in factors) and integral(frame[c].to_numpy())]
    return frame.astype({c: np.int64 for c in names}) if names else frame


def materialize(formula: str | None, kinds: Mapping[str, str], levels: Mapping[str, list],
                transforms: Mapping[str, Any], columns: Mapping[str, np.ndarray]):
    """The formula's columns (a DataFrame) for new rows with the fit's levels and transform state
    (the fields of a :class:`slopefit.data.design.Design`)."""
    import warnings

    import pandas as pd
    from formulaic import ModelSpec
    from formulaic.errors import DataMismatchWarning, FormulaicError
    from formulaic.parser.types import Factor

    encoder = {k: (Factor.Kind(kind), {"categories": levels[k]} if k in levels else {})
               for k, kind in kinds.items()}
    spec = ModelSpec(formula=parse_formula(formula or "").rhs, encoder_state=encoder,
                     transform_state=transforms)
    with warnings.catch_warnings(), np.errstate(all="ignore"):  # NaN results are named by the caller's checks
        warnings.simplefilter("error", DataMismatchWarning)  # a level the fit has not seen: not a silent NaN
        try:
            frame = pd.DataFrame(columns)
            counted = [factor_variable(k, list(frame.columns)) for k, v in levels.items()
                       if v and all(isinstance(x, int) and not isinstance(x, bool) for x in v)]
            frame = whole_number_categories(frame, formula or "", [c for c in counted if c is not None])
            matrix = spec.get_model_matrix(frame, na_action="ignore")
        except (DataMismatchWarning, FormulaicError) as exc:
            first = str(exc).strip().splitlines()[0]
            raise DataError(f"cannot apply the formula {formula!r} to the new rows: {first}") from None
    return matrix


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
    return plain(value)


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


