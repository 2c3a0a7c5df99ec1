"""The design matrix of a table: which columns of a table become which features of the line.

Numeric columns pass through. A text column among the features becomes treatment-coded indicator
columns, statsmodels' convention: its levels sorted, the first the reference, one column
``name[T.level]`` for each other level. A formula (``"invest ~ value + C(firm) + I(value**2)"``,
Wilkinson notation read by `formulaic <https://matthewwardrop.github.io/formulaic/>`_) names the
target and builds the terms. A :class:`Design` remembers what it did (the levels, the formula and
the state of its transforms), as JSON in a model file, so that new rows get the same columns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from slopefit.data.columns import (
    check_level_count,
    check_missing,
    choose_columns,
    frame_row_names,
    holds_categories,
    numeric_column,
    plain,
)
from slopefit.data.formulas import (
    absent_column,
    decode_state,
    encode_state,
    factor_variable,
    formula_columns,
    formula_target,
    integral,
    materialize,
    parse_formula,
    whole_number_categories,
)
from slopefit.errors import ConfigError, DataError, EmptyCells, row_numbers


@dataclass(frozen=True)
class Design:
    """How a table's columns become the columns of the design matrix, and back for new rows.

    Attributes
    ----------
    target : str, the target column (a formula's left side, e.g. ``"invest"`` or ``"np.log(invest)"``)
    columns : tuple of str, the design matrix's columns (the model's features; no intercept column)
    inputs : tuple of str, the table's columns read to build them, in order (the target left out)
    text : tuple of str, the inputs that hold text (categories)
    levels : dict, categorical column (or formula factor, e.g. ``"C(firm)"``) -> its sorted levels;
        with an intercept the first is the reference
    formula : str or None, the formula as written, None for the columns taken as they are
    intercept : bool, whether the line has an intercept (a formula's ``- 1`` or ``+ 0`` removes it)
    kinds : dict, formula factor -> "numerical" | "categorical" | "constant" (formulaic's encoders)
    transforms : dict, the state of a formula's stateful transforms (``center``, ``scale``, ``poly``),
        JSON-ready
    """

    target: str
    columns: tuple[str, ...]
    inputs: tuple[str, ...]
    text: tuple[str, ...] = ()
    levels: dict[str, list] = field(default_factory=dict)
    formula: str | None = None
    intercept: bool = True
    kinds: dict[str, str] = field(default_factory=dict)
    transforms: dict[str, Any] = field(default_factory=dict)

    def describe(self, lang: str = "en") -> list[str]:
        """One line per categorical column: ``"firm: 11 levels, reference 'American Steel'"``."""
        from slopefit.texts import text

        lines = []
        for name, levels in self.levels.items():
            reduced = len(levels) > 1 and not any(c.startswith(f"{name}[") and c.endswith(f"[{levels[0]}]")
                                                  for c in self.columns)
            key = "design.reference" if reduced else "design.full"
            lines.append(text(key, lang, name=name, count=len(levels), reference=plain(levels[0])))
        return lines

    def matrix(self, rows: Any, *, label: str = "the new rows") -> np.ndarray:
        """The design matrix (n_rows, len(columns)) of new rows, as the fit built it.

        Parameters
        ----------
        rows : pandas DataFrame, mapping of input column -> values, or a sequence of rows holding
            one value per input (in the order of :attr:`inputs`; text for text inputs)
        label : str, what the rows are called in messages; keyword-only

        Raises
        ------
        DataError
            A missing input column, an empty cell, a non-number in a numeric input, or a level the
            fit has not seen (named, with the known levels).
        """
        frame = _as_frame(rows, self.inputs, label)
        columns = {c: _clean(frame[c], c, label, text_ok=c in self.text, numeric=c not in self.text)
                   for c in self.inputs}
        empty = {c: _empty(v) for c, v in columns.items()}
        bad = [c for c in self.inputs if empty[c].any()]
        if bad:
            labels = rows.index if hasattr(rows, "index") and hasattr(rows, "columns") else None  # a DataFrame
            raise DataError(f"column {bad[0]!r} of {label} has empty cells in "
                            f"{row_numbers(empty[bad[0]], labels=labels)}; "
                            "give a value in every cell")
        self._check_levels(columns)
        return self.encode(columns)

    def encode(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """The design matrix (n_rows, len(columns)) of clean input columns: float64 arrays, and object
        arrays of text for the text inputs (every level known)."""
        if self.formula is None:
            return _indicators(columns, self.inputs, self.levels)

        return np.ascontiguousarray(self._materialized(columns)[list(self.columns)].to_numpy(dtype=np.float64))

    def _materialized(self, columns: Mapping[str, Any]):
        return materialize(self.formula, self.kinds, self.levels, self.transforms, columns)

    def target_values(self, columns: Mapping[str, Any]) -> np.ndarray:
        """The target of rows (``columns``: the table's columns, numeric), a formula's left side evaluated."""
        if self.formula is None:
            return np.asarray(columns[self.target], dtype=np.float64)

        return formula_target(self.formula, columns)

    def placeholder(self, column: str) -> Any:
        """A known level of a text input: what an empty cell holds until its row is dropped or named."""

        for factor, levels in self.levels.items():
            if levels and (factor == column or factor_variable(factor, self.inputs) == column):
                return levels[0]
        return ""

    def _check_levels(self, columns: Mapping[str, np.ndarray]) -> None:
        if self.formula is None:
            return  # named by _indicators, column by column

        for factor, levels in self.levels.items():
            variable = factor_variable(factor, self.inputs)
            if variable is None:
                continue
            known = set(levels)
            unseen = [v for v in columns[variable] if v not in known]
            if unseen:
                raise DataError(unseen_level(variable, unseen[0], levels))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (what a model file keeps)."""

        return {"target": self.target, "columns": list(self.columns), "inputs": list(self.inputs),
                "text": list(self.text), "levels": {k: [plain(v) for v in lv] for k, lv in self.levels.items()},
                "formula": self.formula, "intercept": self.intercept, "kinds": dict(self.kinds),
                "transforms": encode_state(self.transforms)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Design:
        """The inverse of :meth:`to_dict` (KeyError/TypeError/ValueError on a damaged record)."""

        return cls(target=str(data["target"]), columns=tuple(map(str, data["columns"])),
                   inputs=tuple(map(str, data["inputs"])), text=tuple(map(str, data.get("text", ()))),
                   levels={str(k): list(v) for k, v in dict(data.get("levels", {})).items()},
                   formula=data.get("formula"), intercept=bool(data.get("intercept", True)),
                   kinds=dict(data.get("kinds", {})), transforms=decode_state(data.get("transforms", {})))


def unseen_level(column: str, value: Any, levels: Sequence[Any]) -> str:
    """The message for a level the fit has not seen: the value and the known levels."""
    return (f"{column!r} value {plain(value)!r} was not seen when the model was fitted; known levels: "
            f"{', '.join(repr(plain(v)) for v in levels)}")


def needs_design(frame_columns: Mapping[str, Any], features: Sequence[str]) -> bool:
    """Whether any of ``features`` (name -> pandas Series) holds text (and so needs encoding)."""
    return any(not _is_numeric_dtype(frame_columns[c]) for c in features)


def design_dataset(frame, *, x: Sequence[str] | None = None, y: str | None = None, formula: str | None = None,
                   label: str = "data", missing: str = "error", index: Any = None, **dataset):
    """A :class:`slopefit.data.datasets.Dataset` of the design matrix of a pandas DataFrame.

    Parameters
    ----------
    frame : pandas.DataFrame, the table (columns as read)
    x, y : feature and target columns (default: every column but the target, and the last column);
        not with ``formula``
    formula : str or None, default None
        ``"y ~ a + C(b) + I(a**2) + a:b"``: the target and the terms (formulaic); ``- 1`` removes the
        intercept
    label : str, the table's name in messages
    missing : "error" (default) or "drop", rows with empty cells in the columns used
    index : sequence or None, default None
        The rows' labels (a DataFrame's index) for messages: rows are named by them, not numbered
    **dataset : further fields of the Dataset (``name``, ``description``, ``dialect``)

    Returns
    -------
    Dataset
        Its ``design`` says how the columns were built; ``feature_names`` are the design's columns
        (``firm[T.IBM]``).

    Raises
    ------
    ConfigError
        A formula that cannot be parsed, has no left side, or comes with ``x``/``y``.
    DataError
        A column the formula names is not in the table (named, with the available ones), a text
        cell in a numeric column, empty cells, a text column with one value or too many.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"x": [1.0, 2, 3, 4], "g": ["b", "a", "b", "a"], "y": [1.0, 2, 4, 3]})
    >>> design_dataset(frame).feature_names
    ('x', 'g[T.b]')
    """
    from slopefit.data.datasets import Dataset, check_dataset

    check_missing(missing)
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    notes = list(dataset.pop("notes", ()))
    row_names = frame_row_names(frame, label, target=y) if formula is None and not x else None
    if row_names is not None:  # every column but the target would be a feature: not R's row names
        frame = frame.iloc[:, 1:]
        notes.append(row_names)
    names = list(frame.columns)
    if formula is not None:
        if x or y:
            raise ConfigError("give the columns either in the formula or with x= and y=, not both; "
                              f"the formula {formula!r} names the target and the features")

        used, inputs, forced = formula_columns(formula, names, label=label)
        columns = {c: _clean(frame[c], c, label, text_ok=True, numeric=c not in forced, labels=index) for c in used}
    else:
        features, target = choose_columns(names, x=x, y=y, label=label)
        columns = {c: _clean(frame[c], c, label, text_ok=c != target, numeric=True, labels=index)
                   for c in [*features, target]}
        inputs = features
    columns, dropped = _complete(columns, label, missing, labels=index)
    if formula is not None:
        design, X, yv = formula_design(formula, columns, inputs, label, names)
    else:
        design, X = _column_design(columns, inputs, target, label)
        yv = columns[target].astype(np.float64)
    return check_dataset(Dataset(X=X, y=yv, feature_names=design.columns, target_name=design.target,
                                 name=dataset.pop("name", label), dropped_rows=dropped, design=design,
                                 notes=tuple(notes), **dataset))


def streamed_design(first: Mapping[str, np.ndarray], levels: Mapping[str, list], *, inputs: Sequence[str],
                    target: str, text: Sequence[str], formula: str | None, label: str) -> Design:
    """The design of a table read in chunks, built on its first chunk with the levels of the whole file.

    Parameters
    ----------
    first : column -> values of the first chunk (float64; object arrays of text for text columns)
    levels : column -> its distinct values in the whole file (gathered by a first pass)
    inputs, target : the feature columns (or a formula's right-side columns) and the target column
    text : the text columns among ``inputs``
    formula, label : the formula (or None) and the file's name in messages

    Raises
    ------
    DataError
        A text column with one value or too many; a formula with a stateful transform (``center``,
        ``scale``, ``poly``: their state needs the whole table at once).
    """
    whole = {c: sorted(levels[c]) for c in levels}
    if formula is None:
        for c in text:
            check_level_count(c, whole[c], len(first[c]), label)
            if len(whole[c]) == 1:
                raise DataError(f"feature {c!r} has the same text {whole[c][0]!r} in every row: as a category it "
                                "carries no information; leave it out of x=")
        names = tuple(n for c in inputs for n in ([f"{c}[T.{lv}]" for lv in whole[c][1:]] if c in text else [c]))
        return Design(target=target, columns=names, inputs=tuple(inputs), text=tuple(text),
                      levels={c: whole[c] for c in text})

    return streamed_formula_design(first, whole, inputs=inputs, text=text, formula=formula, label=label)


def _column_design(columns: dict[str, np.ndarray], features: list[str], target: str,
                   label: str) -> tuple[Design, np.ndarray]:
    """Numeric columns as they are, text columns as treatment-coded indicators."""
    levels = {}
    for c in features:
        if columns[c].dtype == object:
            levels[c] = sorted(set(columns[c].tolist()))
            check_level_count(c, levels[c], len(columns[c]), label)
            if len(levels[c]) == 1:
                raise DataError(f"feature {c!r} has the same text {levels[c][0]!r} in every row: as a category it "
                                "carries no information; leave it out of x=")
    names = tuple(n for c in features for n in ([f"{c}[T.{lv}]" for lv in levels[c][1:]] if c in levels else [c]))
    design = Design(target=target, columns=names, inputs=tuple(features), text=tuple(levels), levels=levels)
    return design, _indicators(columns, features, levels)


def _indicators(columns: Mapping[str, np.ndarray], features: Sequence[str], levels: Mapping[str, list],
                ) -> np.ndarray:
    parts = []
    for c in features:
        values = columns[c]
        if c not in levels:
            parts.append(values.astype(np.float64)[:, None])
            continue
        known = levels[c]
        index = {v: i for i, v in enumerate(known)}
        unseen = [v for v in values if v not in index]
        if unseen:
            raise DataError(unseen_level(c, unseen[0], known))
        codes = np.array([index[v] for v in values], dtype=np.int64)
        parts.append((codes[:, None] == np.arange(1, len(known))[None, :]).astype(np.float64))
    return np.ascontiguousarray(np.hstack(parts))  # (n_rows, n_columns)


def _clean(series, name: str, label: str, *, text_ok: bool, numeric: bool, labels: Any = None) -> np.ndarray:
    """A column as float64 (empty cells NaN) or, for a text column allowed as categories, as an
    object array of str (empty cells None). A mostly numeric column with a text cell keeps the
    message that names the cell (a typo is not a category)."""
    import pandas as pd

    if _is_numeric_dtype(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    cells = series.astype(object).where(series.notna(), None)
    stripped = [c.strip() if isinstance(c, str) else c for c in cells]
    present = [c for c in stripped if c is not None and c != ""]
    numbers = pd.to_numeric(pd.Series(present, dtype=object), errors="coerce")
    if numeric and (not present or numbers.notna().all()):
        return pd.to_numeric(pd.Series([None if c == "" else c for c in stripped], dtype=object),
                             errors="coerce").to_numpy(dtype=np.float64)
    if text_ok and (not numeric or holds_categories(present)):
        return np.array([None if c is None or c == "" else str(c) for c in stripped], dtype=object)
    return numeric_column(series, name, label, labels=labels)  # raises, naming the first text cell and its rows


def _is_numeric_dtype(series) -> bool:
    return series.dtype.kind in "iufb"


def _empty(values: np.ndarray) -> np.ndarray:
    if values.dtype == object:
        return np.array([v is None for v in values], dtype=bool)
    return np.isnan(values)


def _complete(columns: dict[str, np.ndarray], label: str, missing: str, *,
              labels: Any = None) -> tuple[dict[str, np.ndarray], int]:
    """The columns with rows holding empty or NaN cells dropped (``missing="drop"``), or one error
    naming every such column (:class:`slopefit.errors.EmptyCells`, as the other readers word it);
    infinite cells are named when the Dataset is checked."""
    empty = {c: _empty(v) for c, v in columns.items()}
    if missing == "drop":
        keep = ~np.logical_or.reduce(list(empty.values()))
        return {c: v[keep] for c, v in columns.items()}, int((~keep).sum())
    found = EmptyCells()
    for c, mask in empty.items():
        found.add(c, mask)
    if found:
        raise found.error(label, list(columns), labels=labels)
    return columns, 0


def _as_frame(rows: Any, inputs: Sequence[str], label: str):
    import pandas as pd

    if isinstance(rows, pd.DataFrame):
        frame = rows.copy()
        frame.columns = [str(c) for c in frame.columns]
    elif isinstance(rows, Mapping):
        frame = pd.DataFrame({str(k): list(np.atleast_1d(np.asarray(v, dtype=object))) for k, v in rows.items()})
    else:
        table = [list(r) for r in rows]
        wrong = [r for r in table if len(r) != len(inputs)]
        if wrong:
            raise DataError(f"{label}: a row of {len(wrong[0])} values, but the model reads {len(inputs)} "
                            f"({', '.join(inputs)}); give one value per column, in that order")
        frame = pd.DataFrame(table, columns=list(inputs), dtype=object)
    absent = [c for c in inputs if c not in frame.columns]
    if absent:
        raise DataError(f"column {absent[0]!r} (read by the model) is not in {label}; available columns: "
                        f"{', '.join(map(str, frame.columns))}")
    if len(frame) == 0:
        raise DataError(f"{label} has no rows; give rows of {', '.join(inputs)}")
    return frame


def formula_design(formula: str, columns: dict[str, np.ndarray], inputs: list[str], label: str,
                    names_in: Sequence[str]) -> tuple[Design, np.ndarray, np.ndarray]:
    import pandas as pd
    from formulaic import model_matrix
    from formulaic.errors import FormulaicError

    frame = whole_number_categories(pd.DataFrame(columns), formula)  # C(cyl)[T.6], not [T.6.0]
    try:
        with np.errstate(all="ignore"):  # np.log(x) at x <= 0: the NaN cells are named below, not warned
            matrices = model_matrix(parse_formula(formula), frame, na_action="ignore")
    except FormulaicError as exc:
        first = str(exc).strip().splitlines()[0]
        name = re.search(r"name '([^']+)' is not defined", first)
        if name and name.group(1) not in frame.columns:
            raise absent_column(name.group(1), label, list(names_in)) from None
        raise DataError(f"cannot build the formula {formula!r} on {label}: {first}", key="err.formula_build",
                        values={"formula": formula, "label": label, "why": first}) from None
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
    levels = {str(k): [plain(c) for c in v[1]["categories"]] for k, v in spec.encoder_state.items()
              if v[0].value == "categorical" and "categories" in v[1]}
    for factor, values in levels.items():
        check_level_count(factor, values, len(frame), label)
    text = tuple(c for c in inputs if columns[c].dtype == object)
    design = Design(target=str(lhs.columns[0]), columns=names, inputs=tuple(inputs), text=text, levels=levels,
                    formula=formula, intercept=intercept, kinds=kinds, transforms=dict(spec.transform_state))
    X = np.ascontiguousarray(rhs[list(names)].to_numpy(dtype=np.float64))  # (n_rows, n_columns)
    return design, X, lhs.iloc[:, 0].to_numpy(dtype=np.float64)


def streamed_formula_design(first: Mapping[str, np.ndarray], whole: Mapping[str, list], *, inputs: Sequence[str],
                            text: Sequence[str], formula: str, label: str) -> Design:
    """The design of a formula on a table read in chunks: built on the first chunk, each category
    with its levels in the whole file (``whole``: column -> sorted values)."""
    import pandas as pd
    from formulaic import model_matrix

    frame = whole_number_categories(pd.DataFrame({c: first[c] for c in first}), formula)
    with np.errstate(all="ignore"):  # NaN or infinite cells are named by the reader's checks, not warned
        matrices = model_matrix(parse_formula(formula), frame, na_action="ignore")
    spec = matrices.rhs.model_spec
    lhs_spec = matrices.lhs.model_spec
    stateful = {k for state in (spec.transform_state, lhs_spec.transform_state) for k, v in state.items() if v}
    if stateful:  # Q('name') keeps an empty state: it only quotes a column
        used = ", ".join(sorted(stateful))
        raise DataError(f"the formula's {used} takes the mean or spread of the whole table, and {label} is read in "
                        "chunks (stream=True, or a file over 1 GiB); read it whole (stream=False), or write the "
                        "transform out (e.g. I(value - 988.6))")
    categories = {}
    for factor, (kind, _) in spec.encoder_state.items():
        if kind.value == "categorical":
            variable = factor_variable(str(factor), inputs)
            if variable is None or variable not in whole:
                raise DataError(f"cannot tell which column the category term {factor!r} reads, and {label} is read "
                                "in chunks; read it whole (stream=False)")
            values = whole[variable]
            whole_numbers = integral(values) if len(values) and not isinstance(values[0], str) else False
            categories[str(factor)] = [int(v) for v in values] if whole_numbers else values
            check_level_count(str(factor), whole[variable], len(frame), label)
    design = Design(target=str(matrices.lhs.columns[0]), columns=(), inputs=tuple(inputs), text=tuple(text),
                    levels=categories, formula=formula, intercept="Intercept" in matrices.rhs.columns,
                    kinds={str(k): v[0].value for k, v in spec.encoder_state.items()})
    matrix = materialize(design.formula, design.kinds, design.levels, design.transforms, frame)
    names = tuple(str(c) for c in matrix.columns if c != "Intercept")
    return replace(design, columns=names)
