"""Laying text out: terminal widths of Hangul, padded columns, text and HTML tables, p-values."""

from __future__ import annotations

import html
import math
import unicodedata


def display_width(text: str) -> int:
    """Terminal columns of ``text``: Hangul and other wide characters take two.

    Parameters
    ----------
    text : str

    Returns
    -------
    int
        Columns, >= 0 (East Asian wide and full-width characters count 2, others 1).

    Examples
    --------
    >>> display_width("ab"), display_width("기울기")
    (2, 6)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, columns: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``columns`` terminal columns (on the left with ``right``).

    Parameters
    ----------
    text : str
    columns : int
        The width to reach; text already this wide or wider is returned unchanged.
    right : bool, default False
        Right-align (pad on the left); keyword-only.

    Returns
    -------
    str

    Examples
    --------
    >>> pad("기울기", 8) + "|", pad("ab", 4, right=True)
    ('기울기  |', '  ab')
    """
    fill = " " * max(columns - display_width(text), 0)
    return fill + text if right else text + fill


def format_p(value: float) -> str:
    """A p-value as statsmodels prints it: ``<1e-16`` below double precision.

    Examples
    --------
    >>> format_p(0.01234567), format_p(1e-20), format_p(float("nan"))
    ('0.01235', '<1e-16', 'nan')
    """
    return "nan" if math.isnan(value) else ("<1e-16" if value < 1e-16 else f"{value:.4g}")


def text_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Left-aligned columns with a rule under the header, aligned for wide (Korean) characters."""
    widths = [max(display_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(pad(str(c), w) for c, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(pad(str(c), w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def html_table(header, rows, *, caption: str = "", foot: str = "") -> str:
    """A small HTML table, every cell escaped: header cells, rows of cells, an optional caption and
    a closing paragraph."""
    def cells(tag: str, values) -> str:
        return "".join(f"<{tag}>{html.escape(str(v))}</{tag}>" for v in values)

    parts = ["<table>"]
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append(f"<thead><tr>{cells('th', header)}</tr></thead><tbody>")
    parts += [f"<tr>{cells('td', row)}</tr>" for row in rows]
    parts.append("</tbody></table>")
    if foot:
        parts.append(f"<p>{html.escape(foot)}</p>")
    return "".join(parts)
