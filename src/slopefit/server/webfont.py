"""The shipped NanumGothic as a browser takes it: every glyph kept, the hinting and the VTT
source tables (TSI0-TSI5, which Chromium's font sanitiser rejects) left out, and the minus sign
U+2212 (which the lesson's formulas use and NanumGothic lacks) drawn with its en dash; made once,
gzipped."""

from __future__ import annotations

import gzip
import io
import logging
from functools import cache
from importlib import resources


@cache
def web_font() -> tuple[bytes, bytes]:
    """The web font, plain and gzipped: ``(ttf, gzip)`` (about 2.9 MB and 1.5 MB; the first call
    takes about a second, later calls return the same bytes)."""
    ttf = _make()
    return ttf, gzip.compress(ttf, compresslevel=6, mtime=0)


def _make() -> bytes:
    from fontTools import subset

    logging.getLogger("fontTools").setLevel(logging.ERROR)  # it reports each hinting table it drops
    options = subset.Options()
    options.layout_features = ["*"]
    options.hinting = False
    options.drop_tables += ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5"]
    font = subset.load_font(str(resources.files("slopefit") / "fonts" / "NanumGothic.ttf"), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=font.getBestCmap().keys())
    subsetter.subset(font)
    for table in font["cmap"].tables:
        if table.isUnicode() and 0x2013 in table.cmap:
            table.cmap.setdefault(0x2212, table.cmap[0x2013])  # − as –: same width, same height
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()
