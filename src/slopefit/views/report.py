"""One self-contained HTML page for a run: settings, tables, the statistical summary, every figure.

Figures are inlined as base64 PNG; the bundled NanumGothic is inlined too, cut down to the
characters the page uses (with fontTools, which matplotlib already depends on), so Korean
renders as Hangul in any browser, offline, without fonts installed. A small script marks
on ``<body data-images="loaded/total">`` how many images decoded, for automated checks.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from slopefit.atomic import atomic_path
from slopefit.views.plotting.style import FONT_FILE


@dataclass(frozen=True)
class Section:
    """A heading, preformatted text (tables print as they do in the terminal) and figures.

    Attributes
    ----------
    title : str
        The section's heading.
    text : str, default ""
        Shown preformatted (monospace), as the terminal shows it; "" for none.
    images : sequence of Path, default ()
        PNG files, inlined in this order; each one's file stem is its caption.
    """

    title: str
    text: str = ""
    images: Sequence[Path] = field(default_factory=tuple)


def write_report(path: str | os.PathLike[str], *, title: str, sections: Sequence[Section],
                 settings: Mapping[str, object] | None = None, lang: str = "en") -> Path:
    """Write one self-contained HTML page for a run, atomically, and return its path.

    Parameters
    ----------
    path : str or os.PathLike
        The HTML file to write (overwritten if it exists).
    title : str
        The page's title and top heading; keyword-only.
    sections : sequence of Section
        The sections, in order; keyword-only.
    settings : mapping or None, default None
        Shown as a two-column table under the title (key, value); None or empty for none.
    lang : str, default "en"
        The page's ``lang`` attribute ("en", "ko").

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
        When ``path`` cannot be written (see :func:`slopefit.atomic.atomic_path`).
    OSError
        When an image of a section cannot be read.
    """
    body = [f"<h1>{html.escape(title)}</h1>"]
    if settings:
        rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                       for k, v in settings.items())
        body.append(f'<table class="settings">{rows}</table>')
    for section in sections:
        body.append(f"<section><h2>{html.escape(section.title)}</h2>")
        if section.text:
            body.append(f"<pre>{html.escape(section.text)}</pre>")
        for image in section.images:
            data = base64.b64encode(Path(image).read_bytes()).decode("ascii")
            alt = html.escape(Path(image).stem)
            body.append(f'<figure><img src="data:image/png;base64,{data}" alt="{alt}">'
                        f"<figcaption>{alt}</figcaption></figure>")
        body.append("</section>")
    content = "\n".join(body)
    font = _font_subset(title + content)
    page = _PAGE.format(lang=lang, title=html.escape(title), font=font, body=content)
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return Path(path)


def _font_subset(text: str) -> str:
    """The bundled font reduced to the characters of ``text``, base64 TTF."""
    import logging

    from fontTools import subset

    logging.getLogger("fontTools").setLevel(logging.ERROR)  # it reports hinting tables it drops
    options = subset.Options()
    options.layout_features = ["*"]
    font = subset.load_font(str(FONT_FILE), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text))))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>
@font-face {{ font-family: "SlopefitNanum"; src: url(data:font/ttf;base64,{font}) format("truetype"); }}
body {{ font-family: "SlopefitNanum", sans-serif; margin: 2em auto; max-width: 62em; color: #222; }}
pre {{ font-family: "DejaVu Sans Mono", "SlopefitNanum", monospace; background: #f6f6f6; padding: .8em;
      white-space: pre-wrap; line-height: 1.35; }}
table.settings {{ border-collapse: collapse; }}
table.settings th, table.settings td {{ border: 1px solid #ddd; padding: .2em .6em; text-align: left; }}
figure {{ margin: 1em 0; }} img {{ max-width: 100%; border: 1px solid #ddd; }}
figcaption {{ color: #666; font-size: .85em; }}
</style></head>
<body data-images="pending">
{body}
<script>
window.addEventListener("load", () => {{
  const images = Array.from(document.images);
  const loaded = images.filter((img) => img.complete && img.naturalWidth > 0).length;
  document.body.dataset.images = loaded + "/" + images.length;
}});
</script>
</body></html>
"""
