"""Free text keeps every script's letters and loses what would make it display otherwise than
it reads: control characters, bidi overrides/isolates/marks, invisible format characters
(issue 13 item 5); the export neutralises any a store still holds."""

from __future__ import annotations

import csv
import io

import pytest

from bot.privacy.scrub import plain_text, scrub
from bot.stats.export import free_texts_csv

HIDDEN = [
    "\u202e",  # right-to-left override
    "\u202d",  # left-to-right override
    "\u202a",  # left-to-right embedding
    "\u2066",  # left-to-right isolate
    "\u2067",  # right-to-left isolate
    "\u2068",  # first strong isolate
    "\u2069",  # pop directional isolate
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u061c",  # Arabic letter mark
    "\u200b",  # zero-width space
    "\u2060",  # word joiner
    "\ufeff",  # byte order mark
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
]


@pytest.mark.parametrize("char", HIDDEN)
def test_control_and_bidi_characters_are_removed(char: str) -> None:
    assert scrub(f"Tryggt{char} här{char}") == "Tryggt här"


@pytest.mark.parametrize(
    "text",
    [
        "Mer belysning vid busshållplatsen.",
        "الإضاءة سيئة في الحديقة",  # Arabic
        "ብርሃን የለን ኣብ መናፈሻ",  # Tigrinya (Ge'ez script)
        "می\u200cخواهم",  # Persian with a zero-width non-joiner (part of the word)
        "👩\u200d💻 på kvällen",  # an emoji joined with ZWJ
        "rad ett\nrad två",
    ],
)
def test_letters_of_every_script_joiners_and_line_breaks_stay(text: str) -> None:
    assert plain_text(text) == text


def test_carriage_returns_tabs_and_unicode_separators_become_breaks_or_spaces() -> None:
    assert plain_text("a\r\nb\rc\u2028d\u2029e\tf") == "a\nb\nc\nd\ne f"


def test_the_export_neutralises_what_an_older_store_holds() -> None:
    spoof = "ok \u202egnp.exe\u202c =1+1 \x00"
    exported = free_texts_csv([("comment", spoof), ("comment", '=HYPERLINK("x")')])
    rows = list(csv.reader(io.StringIO(exported.removeprefix("\ufeff")), delimiter=";"))
    cells = [cell for row in rows[1:] for cell in row]
    assert "ok gnp.exe =1+1 " in cells
    assert '\'=HYPERLINK("x")' in cells
    for cell in cells:
        assert not any(ch in cell for ch in HIDDEN), repr(cell)
