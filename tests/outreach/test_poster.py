"""The A4 poster: one page with the link as text and the survey's title in every chosen language,
each paragraph in its own direction, and languages checked against the survey and the words."""

from __future__ import annotations

import shutil
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image
import pytest

from bot.outreach.fonts import missing_fonts
from bot.outreach.links import deep_link
from bot.outreach.poster import (
    WORDS,
    PosterError,
    poster,
    poster_html,
    poster_languages,
    poster_pdf,
    unprintable,
)
from bot.survey.model import Survey
from tests.outreach.conftest import BOT, TITLES, decode_png, folded, pdf_pages, pdf_text

RTL = {"ar", "fa"}


class _Paragraphs(HTMLParser):
    """Each <p>'s lang, dir and text."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self._open = dict(attrs)
            self.found.append((self._open.get("lang") or "", self._open.get("dir") or "", ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            lang, direction, text = self.found[-1]
            self.found[-1] = (lang, direction, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._open = None


def _first_strong(text: str) -> str:
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("L", "R", "AL"):
            return "rtl" if kind in ("R", "AL") else "ltr"
    return ""


@pytest.fixture(scope="module")
def six(survey: Survey, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    link = deep_link(survey, BOT, "poster_andersberg")
    path = tmp_path_factory.mktemp("poster") / "poster.pdf"
    path.write_bytes(poster_pdf(poster(TITLES, link, list(TITLES))))
    return link, path


def test_the_pdf_holds_the_link_and_the_title_in_every_language(six: tuple[str, Path]) -> None:
    link, path = six
    text = pdf_text(path)
    assert link in text
    for language, title in TITLES.items():
        assert folded(title) in text, language
        assert folded(WORDS[language].call) in text, language


def test_the_poster_is_one_a4_page_whatever_the_number_of_languages(
    survey: Survey, tmp_path: Path
) -> None:
    link = deep_link(survey, BOT, "paper")
    for languages in (["sv"], ["ar", "en"], ["fa", "so", "ti"], list(TITLES)):
        path = tmp_path / f"{'-'.join(languages)}.pdf"
        path.write_bytes(poster_pdf(poster(TITLES, link, languages)))
        pages = pdf_pages(path, dpi=20)
        assert len(pages) == 1, languages
        height, width = matplotlib.image.imread(pages[0]).shape[:2]
        assert round(height / width, 2) == round(297 / 210, 2)  # A4 portrait
        for page in pages:
            page.unlink()


def test_every_paragraph_carries_its_language_and_starts_in_its_direction(
    survey: Survey,
) -> None:
    link = deep_link(survey, BOT, "social")
    parser = _Paragraphs()
    parser.feed(poster_html(poster(TITLES, link, list(TITLES))))
    by_language = {lang for lang, _, _ in parser.found if lang}
    assert by_language == set(TITLES)
    for lang, direction, text in parser.found:
        expected = "rtl" if lang in RTL else "ltr"
        assert direction == expected, (lang, text)
        assert _first_strong(text.strip()) == expected, (lang, text)
    assert (("", "ltr", link)) in parser.found  # the link is printed as text, left to right


def test_by_default_the_poster_has_every_survey_language_with_words() -> None:
    assert poster_languages(["sv", "en"], None) == ("sv", "en")
    assert poster_languages(["sv", "prs", "ar"], []) == ("sv", "ar")
    assert unprintable(["sv", "prs", "ar"]) == ("prs",)


def test_chosen_languages_keep_their_order_once_each() -> None:
    assert poster_languages(list(TITLES), ["ar", "sv", "ar"]) == ("ar", "sv")


@pytest.mark.parametrize(
    ("survey_languages", "requested", "says"),
    [
        (["sv", "en"], ["ar"], "the survey has no language 'ar'; its languages: sv, en"),
        (["sv", "prs"], ["prs"], "no poster words in prs"),
        (["prs"], None, "no poster words in prs"),
    ],
)
def test_a_language_that_cannot_be_printed_is_one_line(
    survey_languages: list[str], requested: list[str] | None, says: str
) -> None:
    with pytest.raises(PosterError) as refused:
        poster_languages(survey_languages, requested)
    assert says in str(refused.value) and "\n" not in str(refused.value)


def test_the_words_mark_every_language_but_the_source_text_as_a_draft() -> None:
    assert set(TITLES) <= set(WORDS)
    assert [lang for lang, words in WORDS.items() if not words.draft] == ["en"]
    assert {lang for lang, words in WORDS.items() if words.direction == "rtl"} == RTL
    made = poster(TITLES, "https://t.me/HalmstadTryggBot?start=paper", ["en", "ar", "ti"])
    assert made.drafts == ("ar", "ti")


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="no Fontconfig")
def test_a_language_without_any_font_is_named() -> None:
    assert missing_fonts(["sv", "xx"]) == ["xx"]


def test_long_titles_print_smaller_words_but_the_same_code_on_one_page(
    survey: Survey, tmp_path: Path
) -> None:
    link = deep_link(survey, BOT, "website")
    long = {lang: f"{title} 2026–2027: {title}" for lang, title in TITLES.items()}
    made = poster(long, link, list(long))
    assert 'class=" compact"' in poster_html(made, compact=True)
    path = tmp_path / "long.pdf"
    path.write_bytes(poster_pdf(made))
    (page,) = pdf_pages(path, dpi=60)
    assert decode_png(page) == [link]
    assert folded(long["ti"]) in pdf_text(path)
