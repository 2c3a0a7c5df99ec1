"""MkDocs hook: the site's Hangul font is the package's NanumGothic as browsers take it (the
playground's web font, slopefit.server.webfont), written beside assets/extra.css at build time."""

from __future__ import annotations

from pathlib import Path


def on_post_build(config, **kwargs) -> None:
    from slopefit.server.webfont import web_font

    ttf, _ = web_font()
    target = Path(config["site_dir"]) / "assets" / "NanumGothic.ttf"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(ttf)
