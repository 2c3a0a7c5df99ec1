"""Every text slopefit shows a person, in Korean and English, in one table looked up by key.

The table is kept in a few files by audience (:mod:`.lesson` for the lesson, figures and reports;
:mod:`.cli` for the terminal's headings, tables, notes, warnings and errors; :mod:`.page` for the
playground's page; :mod:`.server` for what its server answers), and read through :func:`text` (the
lesson's and the terminal's, one lookup), :func:`page_texts` and :func:`server_text`. The test suite checks that
every key has both languages and the same ``{fields}`` in each.
"""

from __future__ import annotations

from dataclasses import dataclass

from slopefit.texts.cli import CLI_TEXT
from slopefit.texts.layout import display_width, format_p, html_table, pad, text_table
from slopefit.texts.lesson import TEXT
from slopefit.texts.page import PAGE_TEXT
from slopefit.texts.server import SERVER_TEXT

LANGS = ("ko", "en")

__all__ = ["CLI_TEXT", "LANGS", "PAGE_TEXT", "SERVER_TEXT", "TEXT", "Bilingual", "count", "display_width",
           "format_p", "html_table", "page_texts", "pad", "server_text", "text", "text_table"]


def text(key: str, lang: str, **values) -> str:
    """The text ``key`` in ``lang`` ("ko" or "en"), with ``values`` filled in.

    Parameters
    ----------
    key : str
        A key of :data:`TEXT` (the lesson's) or :data:`CLI_TEXT` (the terminal's), e.g. ``"fig.epoch"``.
    lang : {"ko", "en"}
        The language.
    **values
        Filled into the text's ``{name}`` fields (``str.format``).

    Returns
    -------
    str

    Raises
    ------
    KeyError
        When ``key`` or ``lang`` is not in the table, or a field of the text has no value.

    Examples
    --------
    >>> text("fig.epoch", "ko")
    '에포크 (epoch)'
    """
    table = CLI_TEXT if key in CLI_TEXT else TEXT
    said = {name: getattr(v, lang) if isinstance(v, Bilingual) else v for name, v in values.items()}
    return table[key][lang].format(**said)


@dataclass(frozen=True)
class Bilingual:
    """A field's value already said in both languages (a clause worded elsewhere, e.g. a run's advice),
    filled in by :func:`text` in the language of the sentence around it; English when printed alone.

    Examples
    --------
    >>> str(Bilingual(ko="발산", en="diverged"))
    'diverged'
    """

    ko: str
    en: str

    def __str__(self) -> str:
        return self.en

    @classmethod
    def of(cls, say) -> Bilingual:
        """``say(lang)`` in each language: ``Bilingual.of(lambda lang: text("key", lang))``."""
        return cls(ko=say("ko"), en=say("en"))


def count(n: int, noun: str, lang: str) -> str:
    """``n`` of ``noun`` in ``lang``: ``"1 row"``, ``"3 rows"``, ``"3행"`` (the keys ``count.NOUN.one/many``).

    Examples
    --------
    >>> count(1, "feature", "en"), count(3, "feature", "en"), count(3, "feature", "ko")
    ('1 feature', '3 features', '특성 3개')
    """
    return text(f"count.{noun}.{'one' if n == 1 else 'many'}", lang, n=n)


def page_texts(lang: str) -> dict[str, str]:
    """Every text of the playground's page in ``lang`` ("ko" or "en"), by key.

    Examples
    --------
    >>> page_texts("ko")["run"]
    '학습 시작'
    """
    return {key: values[lang] for key, values in PAGE_TEXT.items()}


def server_text(key: str, lang: str, **values) -> str:
    """The server's message ``key`` (:data:`SERVER_TEXT`) in ``lang``, its fields filled in.

    Examples
    --------
    >>> server_text("err.upload_gone", "ko")
    '올린 파일이 서버에 더 이상 없습니다: 다시 올리세요'
    """
    return SERVER_TEXT[key][lang].format(**values)
