"""The shipped survey and the admin guide's examples: valid, and saying what they must.

`surveys/questions.yaml` is what residents of Halmstad answer; `docs/survey-format.md` shows
complete example surveys in ```yaml blocks (partial snippets are marked ```yaml-snippet). Both
are loaded through `bot.survey.loader`, exactly as `survey-bot validate` and `/reload` load them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.survey.loader import load_survey, parse_survey
from bot.survey.model import Survey
from bot.survey.questions import (
    MAX_LABEL_LENGTH,
    MAX_TEXT_LENGTH,
    MultiQuestion,
    ScaleQuestion,
    SingleQuestion,
    TextQuestion,
)

ROOT = Path(__file__).resolve().parents[2]
SURVEY_PATH = ROOT / "surveys" / "questions.yaml"
GUIDE_PATH = ROOT / "docs" / "survey-format.md"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
#: The choices of the evening question that count as feeling unsafe (Brå's definition).
UNSAFE_EVENING = {"fairly_unsafe", "very_unsafe", "stay_in_unsafe"}

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,})(?P<info>[^`]*)$")


@dataclass(frozen=True)
class CodeBlock:
    info: str
    line: int  # 1-based line of the first line of code
    code: str


def code_blocks(markdown: str) -> list[CodeBlock]:
    """The fenced code blocks of a Markdown text (also inside list items)."""
    blocks: list[CodeBlock] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not re.fullmatch(rf"\s*{fence}`*\s*", lines[j]):
            body.append(lines[j][indent:] if lines[j][:indent].isspace() else lines[j])
            j += 1
        assert j < len(lines), f"{GUIDE_PATH.name}:{i + 1}: code block never closed"
        blocks.append(CodeBlock(opening["info"].strip(), i + 2, "\n".join(body) + "\n"))
        i = j + 1
    return blocks


def complete_examples() -> list[CodeBlock]:
    """The guide's ```yaml blocks: each one a whole survey."""
    return [b for b in code_blocks(GUIDE_PATH.read_text(encoding="utf-8")) if b.info == "yaml"]


@pytest.fixture(scope="module")
def survey() -> Survey:
    return load_survey(SURVEY_PATH)


def choice_ids(survey: Survey, question_id: str) -> list[str]:
    question = survey.question(question_id)
    assert isinstance(question, SingleQuestion | ScaleQuestion | MultiQuestion), question_id
    return [c.id for c in question.active_choices]


# --- the guide ---------------------------------------------------------------------------------


def test_guide_has_complete_examples_and_marks_snippets() -> None:
    blocks = code_blocks(GUIDE_PATH.read_text(encoding="utf-8"))
    assert complete_examples(), "the guide must show at least one complete ```yaml survey"
    infos = {b.info for b in blocks}
    assert infos <= {"yaml", "yaml-snippet", "sh", "text", ""}, infos


@pytest.mark.parametrize("block", complete_examples(), ids=lambda b: f"line{b.line}")
def test_guide_example_is_a_valid_survey(block: CodeBlock) -> None:
    example = parse_survey(block.code, f"{GUIDE_PATH.name} (example at line {block.line})")
    assert example.active_questions


def test_guide_example_covers_every_choice_kind_and_a_condition() -> None:
    kinds: set[str] = set()
    conditions = 0
    for block in complete_examples():
        example = parse_survey(block.code, GUIDE_PATH.name)
        kinds |= {q.kind for q in example.questions}
        conditions += sum(1 for q in example.questions if q.show_if)
    assert {"single", "scale", "multi", "text"} <= kinds
    assert conditions >= 1


# --- the shipped survey: valid and well-formed --------------------------------------------------


def test_shipped_survey_loads(survey: Survey) -> None:
    assert re.fullmatch(r"[a-z][a-z0-9_]{0,23}", survey.id)
    assert survey.languages == ("sv", "en", "ar", "fa", "so", "ti")
    assert survey.default_language == "sv"
    assert survey.min_group_size == 5
    assert 15 <= len(survey.active_questions) <= 25


def test_shipped_survey_is_open_for_the_season(survey: Survey) -> None:
    assert survey.opens == datetime(2026, 11, 1, tzinfo=STOCKHOLM)
    # A bare closing date means the end of that day.
    assert survey.closes == datetime(2027, 4, 1, tzinfo=STOCKHOLM)
    assert not survey.is_open(datetime(2026, 10, 31, 23, 59, tzinfo=STOCKHOLM))
    assert survey.is_open(datetime(2026, 11, 26, 12, 0, tzinfo=STOCKHOLM))
    assert survey.is_open(datetime(2027, 3, 31, 23, 59, tzinfo=STOCKHOLM))
    assert not survey.is_open(datetime(2027, 4, 1, 0, 0, tzinfo=STOCKHOLM))


def test_every_text_and_label_in_both_languages_within_limits(survey: Survey) -> None:
    texts = [survey.title, survey.intro, survey.privacy, survey.thanks]
    for question in survey.questions:
        texts.append(question.text)
        if question.help is not None:
            texts.append(question.help)
        for choice in getattr(question, "choices", ()):
            assert set(choice.label) == set(survey.languages), (question.id, choice.id)
            for language, label in choice.label.items():
                assert 0 < len(label) <= MAX_LABEL_LENGTH, (question.id, choice.id, language)
    for text in texts:
        assert set(text) == set(survey.languages)
        for value in text.values():
            assert 0 < len(value) <= MAX_TEXT_LENGTH


def test_ids_are_unique(survey: Survey) -> None:
    ids = [q.id for q in survey.questions]
    assert len(ids) == len(set(ids))
    for question in survey.questions:
        choices = [c.id for c in getattr(question, "choices", ())]
        assert len(choices) == len(set(choices)), question.id


def test_every_condition_points_back_at_existing_choices(survey: Survey) -> None:
    seen: dict[str, list[str]] = {}
    for question in survey.questions:
        for target, allowed in (question.show_if or {}).items():
            assert target in seen, f"{question.id}: show_if names {target}, not an earlier question"
            assert set(allowed) <= set(seen[target]), (question.id, target, allowed)
        seen[question.id] = [c.id for c in getattr(question, "choices", ())]


def test_exclusive_choices_only_on_multi_questions(survey: Survey) -> None:
    for question in survey.questions:
        if not isinstance(question, MultiQuestion):
            assert not any(c.exclusive for c in getattr(question, "choices", ())), question.id


# --- the shipped survey: content -----------------------------------------------------------------


def test_background_questions_are_breakdowns(survey: Survey) -> None:
    breakdowns = {q.id for q in survey.breakdown_questions}
    assert {"area", "age", "gender"} <= breakdowns
    for question_id in ("area", "age", "gender"):
        assert "no_answer" in choice_ids(survey, question_id), question_id


def test_areas_are_coarse_enough(survey: Survey) -> None:
    areas = choice_ids(survey, "area")
    assert 12 <= len(areas) <= 16
    assert {"centrum", "andersberg", "vallas", "linehed", "countryside"} <= set(areas)


def test_age_bands_and_genders(survey: Survey) -> None:
    assert choice_ids(survey, "age") == [
        "age_16_24",
        "age_25_44",
        "age_45_64",
        "age_65_plus",
        "no_answer",
    ]
    assert choice_ids(survey, "gender") == ["woman", "man", "other", "no_answer"]


def test_evening_question_keeps_both_stay_in_answers_apart(survey: Survey) -> None:
    choices = choice_ids(survey, "safe_evening_area")
    assert choices[:4] == ["very_safe", "fairly_safe", "fairly_unsafe", "very_unsafe"]
    assert "stay_in_unsafe" in choices
    assert "stay_in_other" in choices
    assert "dont_know" in choices
    question = survey.question("safe_evening_area")
    assert question is not None and not question.optional


def test_follow_ups_only_for_those_who_feel_unsafe(survey: Survey) -> None:
    for question_id in ("unsafe_places", "safer_if"):
        question = survey.question(question_id)
        assert isinstance(question, MultiQuestion), question_id
        assert question.show_if is not None
        assert set(question.show_if) == {"safe_evening_area"}
        assert set(question.show_if["safe_evening_area"]) == UNSAFE_EVENING
        dont_know = question.choice("dont_know")
        assert dont_know is not None and dont_know.exclusive, question_id
    safer_if = survey.question("safer_if")
    assert isinstance(safer_if, MultiQuestion) and safer_if.max == 3
    assert {"lighting", "police", "adults", "cameras", "cleaning", "other"} <= set(
        choice_ids(survey, "safer_if")
    )


def test_problem_questions_share_one_answer_format(survey: Survey) -> None:
    problems = [q for q in survey.active_questions if q.id.startswith("prob_")]
    assert len(problems) == 7
    for question in problems:
        assert isinstance(question, ScaleQuestion), question.id
        assert choice_ids(survey, question.id) == [
            "no_problem",
            "some_problem",
            "big_problem",
            "dont_know",
        ]


def test_free_text_is_optional_and_warns_against_names(survey: Survey) -> None:
    texts = [q for q in survey.active_questions if isinstance(q, TextQuestion)]
    assert len(texts) == 1
    (question,) = texts
    assert question.optional
    assert question.help is not None
    assert "namn" in question.help["sv"] and "names" in question.help["en"]


def test_police_and_municipality_questions(survey: Survey) -> None:
    for question_id in ("trust_police", "police_cares", "council_cares"):
        assert isinstance(survey.question(question_id), ScaleQuestion), question_id


@pytest.mark.parametrize("language", ["sv", "en"])
def test_intro_privacy_and_thanks_give_the_emergency_numbers(survey: Survey, language: str) -> None:
    for field in ("intro", "privacy", "thanks"):
        text = getattr(survey, field)[language]
        assert re.search(r"\b112\b", text), (field, language)
        assert "114 14" in text, (field, language)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_privacy_says_what_is_stored_and_the_group_size(survey: Survey, language: str) -> None:
    privacy = survey.privacy[language]
    assert "Telegram" in privacy
    assert re.search(rf"\b{survey.min_group_size}\b", privacy)
    words = {"sv": ("datum", "språk", "realtid"), "en": ("date", "language", "real time")}
    for word in words[language]:
        assert word in privacy, word


def test_thanks_mentions_medborgarloften(survey: Survey) -> None:
    for language in ("sv", "en"):
        assert "medborgarlöfte" in survey.thanks[language], language


def test_the_shipped_survey_is_in_six_languages_and_marks_its_drafts() -> None:
    from bot.survey.loader import load_survey
    from bot.survey.summary import summarize

    survey = load_survey(Path("surveys/questions.yaml"))
    assert survey.languages == ("sv", "en", "ar", "fa", "so", "ti")
    assert set(survey.drafts) == {"en", "ar", "fa", "so", "ti"}
    assert "DRAFT       en, ar, fa, so, ti" in summarize(survey, "x")


def test_drafts_name_only_survey_languages() -> None:
    from bot.survey.loader import SurveyError, parse_survey

    text = Path("surveys/questions.yaml").read_text(encoding="utf-8")
    broken = text.replace("drafts: [en, ar, fa, so, ti]", "drafts: [en, pl]")
    try:
        parse_survey(broken, "questions.yaml")
    except SurveyError as err:
        assert "pl" in str(err) and "drafts" in str(err)
    else:
        raise AssertionError("a draft language outside `languages` was accepted")


def test_reviewing_a_translation_keeps_the_survey_version() -> None:
    from bot.survey.loader import parse_survey

    text = Path("surveys/questions.yaml").read_text(encoding="utf-8")
    reviewed = text.replace("drafts: [en, ar, fa, so, ti]", "drafts: [ar]")
    assert parse_survey(reviewed, "q").version == parse_survey(text, "q").version


def test_problem_questions_read_well() -> None:
    """Issue 11 item 20: singular verbs, no ambiguous moped question, one word for emergency."""
    from bot.survey.loader import load_survey

    survey = load_survey(Path("surveys/questions.yaml"))
    problems = [q for q in survey.active_questions if q.id.startswith("prob_")]
    english = {q.id: q.text["en"] for q in problems}
    assert english["prob_vandalism"].startswith("Is graffiti or vandalism a problem")
    assert english["prob_traffic"].startswith("Is speeding by cars or reckless moped riding")
    assert "people who are drunk or high outdoors" not in english["prob_intoxicated"]
    assert "bil eller buskörning med moped" in problems[-1].text["sv"]
    everything = Path("surveys/questions.yaml").read_text(encoding="utf-8")
    assert "nödsituation" not in everything
