"""Right-to-left screens: every paragraph, button and pop-up of every screen in Arabic and
Farsi starts right to left under the bidi algorithm (P2/P3), rows read from the right, and
numbers like "114 14" keep their order when displayed (python-bidi's implementation of UAX #9).
"""

from __future__ import annotations

import html
import re
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from bidi import get_display
from hypothesis import given
from hypothesis import strategies as st

from bot.conversation.direction import directed, paragraph_direction, unmarked
from bot.conversation.screens import (
    Screen,
    choose_language,
    privacy_screen,
    render,
    results_screen,
    thanks_screen,
)
from bot.conversation.texts import keys, t
from bot.conversation.vocabulary import (
    AlreadyAnswered,
    AreaResults,
    Ask,
    ChooseLanguage,
    Closed,
    Discarded,
    Finished,
    Hint,
    Problem,
    ProblemKind,
    Reply,
    ShowIntro,
    Stale,
)
from bot.survey.loader import load_survey
from bot.survey.model import Survey

SURVEY = load_survey(Path(__file__).resolve().parents[2] / "surveys" / "questions.yaml")
RTL = ["ar", "fa"]


def replies(survey: Survey, lang: str) -> Iterator[Reply]:
    yield ShowIntro(lang, 0)
    yield ChooseLanguage(lang)
    for number, question in enumerate(survey.active_questions, start=1):
        chosen = tuple(c.id for c in getattr(question, "choices", ()))[:2]
        yield Ask(question, lang, 1, number, len(survey.active_questions), chosen, True, True)
    first = survey.active_questions[0]
    for kind in typing.get_args(ProblemKind):
        problem = Problem(kind, low=16, high=3)
        yield Ask(first, lang, 2, 1, 22, (), True, False, problem)
        yield Hint(lang, problem)
    yield from (Finished(lang), AlreadyAnswered(lang), Stale(lang), Discarded(lang))
    yield from (Closed(lang, not_yet=True), Closed(lang, not_yet=False))


def thanks_screens(lang: str) -> list[Screen]:
    """The thank-you with its results and share buttons, and the results screen (with a Latin
    area name, as the shipped survey has, and shares that are digit runs)."""
    area = SURVEY.question("area")
    question = SURVEY.question("safe_evening_area")
    assert area is not None and question is not None
    choices = area.choices  # type: ignore[union-attr]
    shares = tuple((c.label[lang], 12.5 * i) for i, c in enumerate(question.choices))  # type: ignore[union-attr]
    results = AreaResults(lang, choices[0].label[lang], question.text[lang], shares, 114)
    finished = Finished(lang, choices[0].id)
    link = "https://t.me/trygghetsbot?start=share"
    thanks = thanks_screen(finished, SURVEY, share_link=link, results=True)
    assert len(thanks.buttons) == 2
    return [thanks, results_screen(results)]


def paragraphs(screen: Screen, *, language_buttons: bool = False) -> list[str]:
    text = html.unescape(re.sub(r"<[^>]+>", "", screen.text))
    shown = [*text.split("\n"), screen.toast or ""]
    shown += [
        b.text for row in screen.buttons for b in row if language_buttons or b.data[:2] != "l:"
    ]
    return [p for p in shown if p.strip()]


@pytest.mark.parametrize("lang", RTL)
def test_every_paragraph_of_every_screen_starts_right_to_left(lang: str) -> None:
    screens = [
        render(r, SURVEY) for r in replies(SURVEY, lang) if not isinstance(r, ChooseLanguage)
    ]
    screens += [privacy_screen(SURVEY, lang)] + [Screen(t(key, lang)) for key in keys()]
    screens += thanks_screens(lang)
    wrong = [p for s in screens for p in paragraphs(s) if paragraph_direction(p) != "rtl"]
    assert wrong == []


def test_the_language_picker_gives_each_line_and_button_its_own_direction() -> None:
    screen = choose_language(SURVEY)
    lines = screen.text.split("\n")
    assert [paragraph_direction(line) for line in lines] == [
        "ltr",
        "ltr",
        "rtl",
        "rtl",
        "ltr",
        "ltr",
    ]
    buttons = [row[0] for row in screen.buttons]
    assert [paragraph_direction(b.text) for b in buttons] == [
        "ltr",
        "ltr",
        "rtl",
        "rtl",
        "ltr",
        "ltr",
    ]


@pytest.mark.parametrize("lang", RTL)
def test_keyboard_rows_are_reversed_so_the_first_button_is_on_the_right(lang: str) -> None:
    question = SURVEY.question("comments")
    assert question is not None
    screen = render(Ask(question, lang, 4, 22, 22, (), True, True), SURVEY)
    assert [b.data for b in screen.buttons[-1]] == ["4:s", "4:b"]  # Skip left, Back right
    ltr = render(Ask(question, "sv", 4, 22, 22, (), True, True), SURVEY)
    assert [b.data for b in ltr.buttons[-1]] == ["4:b", "4:s"]


@pytest.mark.parametrize("lang", RTL)
def test_emergency_numbers_display_in_their_own_order(lang: str) -> None:
    line = t("help", lang).split("\n")[-1]
    assert "114 14" in get_display(line)
    assert "14 114" in get_display(unmarked(line)), "without marks the number would flip"
    age = render(Ask(SURVEY.question("age"), lang, 1, 2, 22, (), True, False), SURVEY)  # type: ignore[arg-type]
    assert all(paragraph_direction(b.text) == "rtl" for row in age.buttons for b in row)


def test_the_progress_bar_fills_from_the_right_in_a_right_to_left_line() -> None:
    question = SURVEY.active_questions[4]
    screen = render(Ask(question, "ar", 1, 4, 10, (), True, False), SURVEY)
    progress = html.unescape(re.sub(r"<[^>]+>", "", screen.text.split("\n")[0]))
    shown = get_display(progress)
    assert shown.rstrip().endswith("▰▰▰") or "▱▰▰▰" in shown  # filled cells on the right
    assert paragraph_direction(progress) == "rtl"


@given(st.text(alphabet=st.sampled_from(list("ab 1-/:.\n–سلام۱")), max_size=40))
def test_directed_only_adds_marks_and_is_idempotent(text: str) -> None:
    once = directed(text)
    assert unmarked(once) == unmarked(text)
    assert directed(once) == once
    assert all(paragraph_direction(line) in ("rtl", None) for line in once.split("\n"))
