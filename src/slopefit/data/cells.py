"""Numbers written as text: thousands separators (``"139,750"``, ``"1.234,5"`` with ``thousands="."``), a
decimal comma, and percent cells (``"5.0%"``, read as the fraction 0.05 that the cell means, as Excel
stores it).

Both readers (a whole file, a file read in chunks) turn such text columns into float64 columns here,
so that a table reads alike either way. A column that is not all numbers stays text: the caller then
reads it as categories or names its bad cell.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from slopefit.errors import DataError, row_numbers

THOUSANDS = (",", ".", " ", "'", "\u00a0", "\u202f")  # comma, point, space, apostrophe (Swiss), no-break spaces


def check_thousands(thousands: str | None, *, decimal: str) -> None:
    """DataError unless ``thousands=`` is None or one of :data:`THOUSANDS` other than the decimal mark (it may
    be the separator: a comma CSV quotes ``"139,750"``)."""
    if thousands is None:
        return
    if thousands not in THOUSANDS:
        raise DataError(f"thousands separator {thousands!r} is not one of {', '.join(map(repr, THOUSANDS[:4]))}; "
                        "give thousands=\",\" (139,750) or thousands=\".\" (1.234,5)")
    if thousands == decimal:
        raise DataError(f"thousands separator {thousands!r} is also the decimal mark; give another thousands= "
                        "or decimal=")


def number_pattern(thousands: str | None, decimal: str) -> str:
    """A regular expression (RE2 and Python alike) that whole number cells match: optional sign, digits
    grouped by threes with ``thousands`` (or not grouped), ``decimal`` and a fraction, an exponent."""
    whole = r"\d+" if thousands is None else rf"(?:\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+|\d+)"
    return rf"^[+-]?(?:{whole}(?:{re.escape(decimal)}\d*)?|{re.escape(decimal)}\d+)(?:[eE][+-]?\d+)?$"


def parse_numbers(cells, *, thousands: str | None, decimal: str):
    """``cells`` (a pyarrow string array) as float64, or None when a non-empty cell is not a number
    written that way. Empty cells stay empty (null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.utf8_trim_whitespace(cells)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    ok = pc.match_substring_regex(text, number_pattern(thousands, decimal))
    if not pc.all(pc.fill_null(ok, True)).as_py():
        return None
    if thousands is not None:
        text = pc.replace_substring(text, thousands, "")
    if decimal != ".":
        text = pc.replace_substring(text, decimal, ".")
    return pc.cast(text, pa.float64())


def percent_cells(cells) -> tuple[int, int]:
    """``(cells ending in "%", non-empty cells)`` of a pyarrow string array."""
    import pyarrow.compute as pc

    text = pc.utf8_trim_whitespace(pc.drop_null(cells))
    text = pc.filter(text, pc.not_equal(text, ""))
    return pc.sum(pc.ends_with(text, "%")).as_py() or 0, len(text)


def text_numbers(columns: dict, *, thousands: str | None, decimal: str, label: str,
                 percent: Sequence[str] | None = None, offset: int = 0) -> tuple[dict, list[str]]:
    """The text columns of ``columns`` (name -> pyarrow string array) that hold numbers, as float64
    arrays, and a note for each percent column.

    A column whose non-empty cells all end in ``%`` is read as fractions (``5.0%`` -> 0.05); one that mixes
    percent cells with plain numbers is refused, naming both; with ``thousands`` given, a column of
    numbers grouped by it is read as numbers. ``percent``: the columns known to be percent columns (a
    file read in chunks decides from its first block), else decided from the cells here. ``offset``:
    the rows before these cells (messages name rows of the whole file).

    Raises
    ------
    DataError
        A column mixing percent cells and plain numbers; a cell of a known percent column that is not one.
    """
    import pyarrow.compute as pc

    found: dict = {}
    notes: list[str] = []
    for name, cells in columns.items():
        marked, filled = percent_cells(cells)
        is_percent = name in percent if percent is not None else (marked and marked == filled)
        if is_percent:
            found[name] = _percent_values(cells, name, label, thousands=thousands, decimal=decimal, offset=offset)
            if percent is None:
                notes.append(percent_note(name, cells, found[name]))
            continue
        if marked and marked * 2 >= filled:  # mostly percent cells: the rest are a mistake, not categories
            _refuse_mixed(cells, name, label, thousands=thousands, decimal=decimal, offset=offset)
        if thousands is not None or decimal != ".":
            values = parse_numbers(cells, thousands=thousands, decimal=decimal)
            if values is not None and pc.count(values).as_py():
                found[name] = values
    return found, notes


class Said(str):
    """A note in English (the string itself) that carries its Korean (:attr:`ko`): ``Dataset.notes`` hold
    these, so Python sees plain English and the CLI prints the one of ``--lang``."""

    ko: str

    def __new__(cls, en: str, ko: str = "") -> Said:
        made = super().__new__(cls, en)
        made.ko = ko or en
        return made


def said(key: str, **values) -> Said:
    """The note ``key`` of the table of texts in both languages (:class:`Said`)."""
    from slopefit.texts import text

    return Said(text(key, "en", **values), text(key, "ko", **values))


def percent_note(name: str, cells, values) -> Said:
    """``"column 'rate': percent cells read as fractions ('5.0%' -> 0.05)"``, with the column's first cell."""
    import pyarrow.compute as pc

    first = pc.index(pc.is_valid(values), True).as_py()
    shown = f"{cells[first].as_py().strip()!r} -> {values[first].as_py():.6g}" if first >= 0 else "5% -> 0.05"
    return said("read.percent", name=name, shown=shown)


def _percent_values(cells, name: str, label: str, *, thousands: str | None, decimal: str, offset: int):
    import pyarrow.compute as pc

    text = pc.utf8_trim_whitespace(cells)
    bare = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"%$", ""))  # "5 %" as "5%"
    values = parse_numbers(bare, thousands=thousands, decimal=decimal)
    marked = pc.fill_null(pc.or_(pc.ends_with(text, "%"), pc.equal(text, "")), True)
    if values is None or not pc.all(marked).as_py():
        bad = [i for i, (c, m) in enumerate(zip(text.to_pylist(), marked.to_pylist(), strict=True))
               if c and (not m or not re.match(number_pattern(thousands, decimal), c.rstrip("%").strip()))]
        mask = [i in set(bad) for i in range(len(text))]
        raise DataError(f"column {name!r} in {label} holds percent cells but {text[bad[0]].as_py()!r} in "
                        f"{row_numbers(mask, offset=offset)} is not one; write every cell as a percent (e.g. '5%') "
                        "or leave the column out")
    return pc.divide(values, 100.0)


def _refuse_mixed(cells, name: str, label: str, *, thousands: str | None, decimal: str, offset: int) -> None:
    """DataError for a column of mostly percent cells with other cells: a plain number (5 could be 5% or
    500%) or a word among percents is a mistake to fix, not a category."""
    text = [c.strip() if c else "" for c in cells.to_pylist()]
    other = [bool(c) and not c.endswith("%") for c in text]
    first = next(c for c in text if c.endswith("%"))
    example = text[other.index(True)]
    kind = "plain numbers" if re.match(number_pattern(thousands, decimal), example) else "other cells"
    raise DataError(f"column {name!r} in {label} mixes percent cells ({first!r}) and {kind} ({example!r} in "
                    f"{row_numbers(other, offset=offset)}); write them all one way (5% or 0.05) in the file")


GROUPED = re.compile(r"^[+-]?\d{1,3}(?:([,.' \u00a0\u202f])\d{3})+(?:[.,]\d+)?$")  # 139,750  1.234,5  1'234


def not_numeric_fix(example, lang: str = "en") -> str:
    """The fix a "not numeric" message suggests for its ``example`` cell: ``thousands=`` when the cell
    is a number grouped by threes (``"139,750"``), else fixing the cells or choosing other columns."""
    match = GROUPED.match(str(example).strip())
    if match and match.group(1) != "'":
        if lang == "ko":
            return (f"{example!r}이(가) 한 수라면 천 단위 구분 기호를 thousands=\"{match.group(1)}\" 로 주세요; "
                    "아니면 그 칸을 고치거나 x= / y= 로 숫자 열을 고르세요")
        return (f"if {example!r} is one number, give its thousands separator with thousands=\"{match.group(1)}\"; "
                "else fix those cells or choose numeric columns with x=/y=")
    if lang == "ko":
        return "그 칸을 고치거나 x= / y= 로 숫자 열을 고르세요"
    return "fix those cells or choose numeric columns with x=/y="


def comma_meaning(cells: Sequence[str]) -> str | None:
    """What a comma in number cells means when neither ``decimal=`` nor ``thousands=`` says: ``"decimal"``
    (``2,25``), ``"thousands"`` (``1,234,567``: two commas), ``"ambiguous"`` (every one is ``139,750``:
    a decimal comma with three decimals, or a thousands separator), or None (no number has a comma)."""
    numbers = [c.strip() for c in cells if re.fullmatch(r"[+-]?[\d.,]*\d[\d.,]*", c.strip()) and "," in c]
    if not numbers:
        return None
    if any(c.count(",") > 1 for c in numbers) and all(GROUPED.match(c) for c in numbers):
        return "thousands"
    if all(GROUPED.match(c) and "." not in c for c in numbers):
        return "ambiguous"
    return "decimal"
