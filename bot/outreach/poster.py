"""The printable A4 poster of one channel: the survey's title and a call to action in each
chosen language, the QR code large enough to scan from a metre away, and the plain link.

`poster(title, link, languages)` gathers the words; `poster_html` renders
`templates/poster.html` (Jinja2, autoescaped) and `poster_pdf` prints it with WeasyPrint, as
`bot.stats.document` does for the report. The calls to action live in
`templates/poster_words.yaml`, with a `draft` mark on each language no translator has reviewed.

What must hold: every paragraph carries its language and direction (`dir="rtl"` for Arabic and
Farsi), so each line starts on the right side; the link is printed as text, left to right,
exactly as encoded; a language is printed only if the survey has a title in it and the words
file a call to action.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, ConfigDict
from ruamel.yaml import YAML

from bot.outreach.qrcode import qr_svg

#: The QR code's printed width. A phone reads a code from about ten times its width, so 11 cm
#: reaches a metre with room to spare; with two languages or one there is room for 14 cm.
QR_WIDTH_MM = 110
QR_WIDTH_FEW_MM = 140
#: Up to this many languages the poster prints larger.
FEW = 2


class Words(BaseModel):
    """One language's poster words."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    direction: Literal["ltr", "rtl"]
    draft: bool
    call: str


def _load_words() -> dict[str, Words]:
    text = resources.files("bot.outreach").joinpath("templates/poster_words.yaml")
    plain = YAML(typ="safe").load(text.read_text("utf-8"))
    return {language: Words(**entry) for language, entry in plain.items()}


#: The call to action per language, from templates/poster_words.yaml.
WORDS: dict[str, Words] = _load_words()


class PosterError(ValueError):
    """The chosen languages cannot be printed; the message says which can."""


@dataclass(frozen=True)
class Block:
    """One language on the poster: the survey's title and the call to action."""

    language: str
    direction: str
    title: str
    call: str


@dataclass(frozen=True)
class Poster:
    """Everything printed on one poster."""

    link: str
    blocks: tuple[Block, ...]

    @property
    def drafts(self) -> tuple[str, ...]:
        """The printed languages whose call to action no translator has reviewed."""
        return tuple(b.language for b in self.blocks if WORDS[b.language].draft)


def poster_languages(survey: Sequence[str], requested: Sequence[str] | None) -> tuple[str, ...]:
    """The languages to print: `requested` (checked against the `survey`'s languages), or
    every survey language the words file has a call to action for."""
    if not requested:
        chosen = tuple(lang for lang in survey if lang in WORDS)
        if not chosen:
            raise PosterError(_no_words(survey))
        return chosen
    for language in requested:
        if language not in survey:
            raise PosterError(
                f"the survey has no language '{language}'; its languages: {', '.join(survey)}"
            )
        if language not in WORDS:
            raise PosterError(_no_words([language]))
    return tuple(dict.fromkeys(requested))


def unprintable(survey: Sequence[str]) -> tuple[str, ...]:
    """The `survey`'s languages the poster has no call to action for (left off by default)."""
    return tuple(lang for lang in survey if lang not in WORDS)


def _no_words(languages: Sequence[str]) -> str:
    return (
        f"no poster words in {', '.join(languages)}: add a call to action to "
        f"bot/outreach/templates/poster_words.yaml (has {', '.join(WORDS)})"
    )


def poster(title: Mapping[str, str], link: str, languages: Sequence[str]) -> Poster:
    """The poster of `link` in `languages` (checked with `poster_languages` first), headed by
    the survey's `title` in each."""
    blocks = tuple(
        Block(
            language=lang,
            direction=WORDS[lang].direction,
            title=title[lang],
            call=WORDS[lang].call,
        )
        for lang in languages
    )
    return Poster(link=link, blocks=blocks)


def poster_html(poster: Poster, *, compact: bool = False) -> str:
    """The poster as one HTML page (the QR code embedded as SVG); `compact` prints the words
    smaller (the code keeps its size) for titles too long for one page."""
    environment = Environment(
        loader=PackageLoader("bot.outreach", "templates"), autoescape=select_autoescape(["html"])
    )
    return environment.get_template("poster.html").render(
        lead=poster.blocks[0],
        others=poster.blocks[1:],
        link=poster.link,
        qr=base64.b64encode(qr_svg(poster.link)).decode(),
        qr_width=QR_WIDTH_FEW_MM if len(poster.blocks) <= FEW else QR_WIDTH_MM,
        few=len(poster.blocks) <= FEW,
        compact=compact,
    )


def poster_pdf(poster: Poster) -> bytes:
    """The poster as A4 PDF: one page, in smaller words if the titles are long (the QR code
    keeps its size; titles too long even for that run onto a second page, never cut off)."""
    from weasyprint import HTML  # a second or two to import: only when a PDF is made

    document = HTML(string=poster_html(poster)).render()
    if len(document.pages) > 1:
        document = HTML(string=poster_html(poster, compact=True)).render()
    return bytes(document.write_pdf())
