"""Loading survey files: every mistake reported at once, at its line, with a fix.

The broken files are a table: each builds on a small valid survey (`HEAD` + `AREA`, lines 1-13)
and makes one mistake; the test checks the single problem it must cause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.survey.loader import Problem, SurveyError, load_survey, parse_survey
from bot.survey.model import Survey
from bot.survey.questions import (
    MAX_LABEL_LENGTH,
    MAX_TEXT_LENGTH,
    Choice,
    MultiQuestion,
    SingleQuestion,
    TextQuestion,
)
from bot.survey.summary import MAX_LINES, summarize

STOCKHOLM = ZoneInfo("Europe/Stockholm")

HEAD = """\
id: trygghet_2026
title: {sv: Trygghet, en: Safety}
languages: [sv, en]
intro: {sv: Hej, en: Hello}
privacy: {sv: Anonymt, en: Anonymous}
thanks: {sv: Tack, en: Thanks}
"""
AREA = """\
questions:
  - id: area
    kind: single
    text: {sv: Var bor du?, en: Where do you live?}
    choices:
      - {id: north, label: {sv: Norr, en: North}}
      - {id: south, label: {sv: Söder, en: South}}
"""
VALID = HEAD + AREA
#: A multi question to append (lines 14-19 after `VALID`).
WHY = """\
  - id: why
    kind: multi
    text: {sv: Varför?, en: Why?}
    choices:
      - {id: dark, label: {sv: Mörkt, en: Dark}}
      - {id: people, label: {sv: Folk, en: People}}
"""


AGE = ("id: age", "kind: number", "text: {sv: Å, en: A}")


def question(*lines: str) -> str:
    """A question appended after `VALID` (its first line is line 14)."""
    return "  - " + "\n    ".join(lines) + "\n"


def head_with(*lines: str) -> str:
    """`HEAD` with extra survey keys at line 7, then `AREA`."""
    return HEAD + "".join(f"{line}\n" for line in lines) + AREA


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    line: int
    #: The 1-based column, or a text on that line the column must point at, or None.
    column: int | str | None
    path: str
    message: str
    fix: str


LONG_LABEL = "A" * (MAX_LABEL_LENGTH + 1)
LONG_TEXT = "b" * (MAX_TEXT_LENGTH + 1)

# fmt: off
CASES = [
    Case(
        "yaml syntax",
        VALID + question("id: age", "kind: number", "text: Hur gammal: är du?"),
        16, ": är", "", "invalid YAML: mapping values are not allowed", "quotes",
    ),
    Case(
        "yaml tab",
        VALID.replace("    kind: single", "\tkind: single"),
        9, 1, "", "invalid YAML", "spaces, not tabs",
    ),
    Case(
        "empty file",
        "# only a comment\n",
        1, 1, "", "the survey file is empty", "id, title, languages",
    ),
    Case(
        "duplicate key",
        VALID + question("id: age", "kind: number", "kind: text", "text: {sv: Ålder, en: Age}"),
        16, 5, "questions[1].kind", "duplicate key 'kind' (first on line 15)", "remove one",
    ),
    Case(
        "unknown question key",
        VALID + question(*AGE, "optinal: true"),
        17, 5, "questions[1].optinal", "unknown key 'optinal'", "did you mean 'optional'?",
    ),
    Case(
        "unknown survey key",
        head_with("min_grup_size: 10"),
        7, 1, "min_grup_size", "unknown key 'min_grup_size'", "did you mean 'min_group_size'?",
    ),
    Case(
        "unknown choice key",
        VALID.replace("en: South}}", "en: South}, exlusive: true}"),
        13, "exlusive", "questions[0].choices[1].exlusive", "unknown key", "'exclusive'?",
    ),
    Case(
        "missing text",
        VALID + question("id: age", "kind: number"),
        14, 5, "questions[1].text", "missing 'text'", "add 'text:' with one line per language",
    ),
    Case(
        "missing kind",
        VALID + question("id: age", "text: {sv: Å, en: A}"),
        14, 5, "questions[1].kind", "missing 'kind'", "single, scale, multi, number, text",
    ),
    Case(
        "unknown kind",
        VALID + question("id: age", "kind: nummber", "text: {sv: Å, en: A}"),
        15, 11, "questions[1].kind", "unknown kind 'nummber'", "did you mean 'number'?",
    ),
    Case(
        "bool wanted",
        VALID + question(*AGE, "optional: maybe"),
        17, 15, "questions[1].optional", "expected true or false, got 'maybe'", "true or false",
    ),
    Case(
        "number wanted",
        VALID + question(*AGE, "max: many"),
        17, 10, "questions[1].max", "expected a whole number", "like 3",
    ),
    Case(
        "text not translated",
        VALID + question("id: age", "kind: number", "text: How old are you?"),
        16, 11, "questions[1].text", "expected one text per language", "'sv: ...'",
    ),
    Case(
        "bad id",
        VALID + question("id: Age group", "kind: number", "text: {sv: Å, en: A}"),
        14, "Age group", "questions[1].id", "'Age group' is not a valid id", "lowercase letters",
    ),
    Case(
        "id too long",
        VALID + question("id: " + "a" * 25, "kind: number", "text: {sv: Å, en: A}"),
        14, "aaa", "questions[1].id", "too long for an id (25 characters)", "at most 24",
    ),
    Case(
        "duplicate question id",
        VALID + question("id: area", "kind: number", "text: {sv: Å, en: A}"),
        14, "area", "questions[1].id", "'area' is used twice (first at questions[0])", "own id",
    ),
    Case(
        "duplicate choice id",
        VALID.replace("{id: south", "{id: north"),
        13, "north", "questions[0].choices[1].id", "'north' is used twice", "own id",
    ),
    Case(
        "missing translation",
        VALID.replace("{sv: Söder, en: South}", "{sv: Söder}"),
        13, "label", "questions[0].choices[1].label.en", "missing English label",
        "add 'en: ...' under label",
    ),
    Case(
        "empty translation",
        VALID.replace("en: South", "en: ''"),
        13, "''", "questions[0].choices[1].label.en", "empty English label", "write",
    ),
    Case(
        "text in an unlisted language",
        VALID.replace("en: South}", "en: South, fi: Etelä}"),
        13, "fi:", "questions[0].choices[1].label.fi", "'fi', which is not listed in languages",
        "remove it, or add 'fi' to languages",
    ),
    Case(
        "unknown language code",
        VALID.replace("languages: [sv, en]", "languages: [sv, en, svenska]"),
        3, "svenska", "languages[2]", "unknown language code 'svenska'", "fa_AF (Dari)",
    ),
    Case(
        "too few choices",
        VALID.replace("      - {id: south, label: {sv: Söder, en: South}}\n", ""),
        11, 5, "questions[0].choices", "needs at least 2 choices", "at least two",
    ),
    Case(
        "show_if unknown question",
        VALID + question(*AGE, "show_if: {aera: [north]}"),
        17, "aera", "questions[1].show_if.aera", "'aera', which is not a question id",
        "did you mean 'area'?",
    ),
    Case(
        "show_if later question",
        VALID + question(*AGE, "show_if: {why: [dark]}")
        + WHY,
        17, "why", "questions[1].show_if.why", "'why', which comes later (questions[2])",
        "move 'why' above",
    ),
    Case(
        "show_if itself",
        VALID + question(*AGE, "show_if: {age: [x]}"),
        17, "age", "questions[1].show_if.age", "names this question itself", "earlier question",
    ),
    Case(
        "show_if without choices",
        VALID
        + question(*AGE)
        + "  - id: note\n    kind: text\n    text: {sv: T, en: T}\n    show_if: {age: [young]}\n",
        20, "age", "questions[2].show_if.age", "'age' is a number question and has no choices",
        "single, scale or multi",
    ),
    Case(
        "show_if unknown choice",
        VALID + question(*AGE, "show_if: {area: [nort]}"),
        17, "nort", "questions[1].show_if.area[0]", "'nort' is not a choice of 'area'",
        "did you mean 'north'? the choices of 'area' are: north, south",
    ),
    Case(
        "show_if without a list",
        VALID + question(*AGE, "show_if: {area: north}"),
        17, "north", "questions[1].show_if.area", "expected a list, got 'north'", "[north]",
    ),
    Case(
        "field of another kind",
        VALID.replace("    choices:\n", "    max_length: 100\n    choices:\n", 1),
        11, 5, "questions[0].max_length", "'max_length' is only for kind text",
        "remove it from this single question",
    ),
    Case(
        "choices on a number",
        VALID + question(*AGE, "choices: []"),
        17, 5, "questions[1].choices", "only for kinds single, scale, multi", "or change its kind",
    ),
    Case(
        "breakdown on a multi",
        VALID + WHY.replace("    choices:", "    breakdown: true\n    choices:"),
        17, 5, "questions[1].breakdown", "only for kinds single, scale", "remove it",
    ),
    Case(
        "number min above max",
        VALID + question(*AGE, "min: 10", "max: 5"),
        17, 10, "questions[1].min", "min (10) is larger than max (5)", "at most max",
    ),
    Case(
        "multi max above choices",
        VALID + WHY.replace("    choices:", "    max: 3\n    choices:"),
        17, 10, "questions[1].max", "max is 3 but the question offers only 2", "lower max to 2",
    ),
    Case(
        "multi all exclusive",
        VALID + WHY.replace("Dark}}", "Dark}, exclusive: true}").replace(
            "People}}", "People}, exclusive: true}"
        ),
        17, 5, "questions[1].choices", "every choice is exclusive", "at least one choice",
    ),
    Case(
        "label too long",
        VALID.replace("en: South", f"en: {LONG_LABEL}"),
        13, LONG_LABEL, "questions[0].choices[1].label.en",
        f"English label is {MAX_LABEL_LENGTH + 1} characters, over the limit of 60", "shorten",
    ),
    Case(
        "text too long",
        VALID + question("id: note", "kind: text", f"text: {{sv: T, en: {LONG_TEXT}}}"),
        16, LONG_TEXT, "questions[1].text.en", f"over the limit of {MAX_TEXT_LENGTH}", "4096",
    ),
    Case(
        "opens after closes",
        head_with("opens: 2026-06-01", "closes: 2026-05-01"),
        8, 9, "closes", "closes (2026-05-01 24:00) is not after opens (2026-06-01 00:00)",
        "later than opens",
    ),
    Case(
        "opens equals closes",  # a bare date closes at the end of that day, Stockholm time
        head_with("opens: 2026-05-01T00:00:00+02:00", "closes: 2026-04-30"),
        8, 9, "closes", "is not after opens", "end of that day",
    ),
    Case(
        "bad date",
        head_with("closes: end of june"),
        7, 9, "closes", "expected a date", "2026-12-31",
    ),
    Case(
        "impossible date",
        head_with("closes: 2026-02-30"),
        7, 9, "", "invalid value: day is out of range", "YYYY-MM-DD",
    ),
    Case(
        "misspelt kind",  # the unknown key at its line, not "missing 'kind'" at the question's
        VALID + question("id: age", "kindx: number", "text: {sv: Å, en: A}"),
        15, 5, "questions[1].kindx", "unknown key 'kindx' in a question", "did you mean 'kind'?",
    ),
    Case(
        "misspelt language of a text",
        VALID.replace("en: Where do you live?", "eng: Where do you live?"),
        10, "eng", "questions[0].text.eng", "'eng', which is not listed", "did you mean 'en'?",
    ),
    Case(
        "unclosed quote to the end of the file",
        VALID.replace("text: {sv: Var bor du?", 'text: {sv: "Var bor du?'),
        10, '"', "", "the quote opened here is not closed", "close the quote on this line",
    ),
    Case(
        "unclosed quote closed by a later one",
        VALID.replace("title: {sv: Trygghet,", 'title: {sv: "Trygghet,').replace(
            "intro: {sv: Hej,", 'intro: {sv: "Hej",'
        ),
        2, '"', "", "the quote opened here is not closed", "close the quote on this line",
    ),
    Case(
        "non-breaking spaces as indentation",
        VALID.replace("    text: {sv: Var", "\u00a0\u00a0\u00a0\u00a0text: {sv: Var"),
        10, 1, "", "non-breaking space", "ordinary spaces",
    ),
    Case(
        "a non-breaking space before a list item",
        VALID.replace("  - id: area", "\u00a0 - id: area"),
        8, 1, "", "non-breaking space", "ordinary spaces",
    ),
    Case(
        "question not a mapping",
        VALID + "  - age\n",
        14, 5, "questions[1]", "expected a question", "'key: value'",
    ),
]
# fmt: on


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_mistake_is_reported_where_it_is_with_a_fix(case: Case) -> None:
    with pytest.raises(SurveyError) as caught:
        parse_survey(case.text, "surveys/questions.yaml")

    assert len(caught.value.problems) == 1, str(caught.value)
    problem = caught.value.problems[0]
    assert problem.file == "surveys/questions.yaml"
    assert (problem.line, problem.path) == (case.line, case.path), str(problem)
    if case.column is not None:
        line_text = case.text.splitlines()[case.line - 1]
        column = case.column if isinstance(case.column, int) else line_text.index(case.column) + 1
        assert problem.column == column, str(problem)
    assert case.message in problem.message, str(problem)
    assert case.fix in problem.fix, str(problem)


def test_three_mistakes_of_different_sorts_are_all_reported_by_line() -> None:
    text = (
        VALID.replace("title: {sv: Trygghet, en: Safety}", "title: {sv: Trygghet}")
        + question(*AGE, "optinal: true")
        + question("id: note", "kind: text", "text: {sv: T, en: T}", "show_if: {area: [west]}")
    )

    with pytest.raises(SurveyError) as caught:
        parse_survey(text, "s.yaml")

    problems = caught.value.problems
    assert [(p.line, p.path) for p in problems] == [
        (2, "title.en"),
        (17, "questions[1].optinal"),
        (21, "questions[2].show_if.area[0]"),
    ]
    assert str(caught.value).splitlines() == [str(p) for p in problems]


def test_every_unknown_key_of_a_question_with_an_unknown_kind_is_reported() -> None:
    text = VALID + question("id: age", "kind: nummber", "text: {sv: Å, en: A}", "optinal: true")

    with pytest.raises(SurveyError) as caught:
        parse_survey(text, "s.yaml")

    assert [(p.line, p.path, p.fix.split("?")[0]) for p in caught.value.problems] == [
        (15, "questions[1].kind", "did you mean 'number'"),
        (17, "questions[1].optinal", "did you mean 'optional'"),
    ]


def test_a_choice_of_a_question_without_kind_has_its_unknown_keys_reported() -> None:
    text = VALID.replace("    kind: single\n", "").replace("{id: south,", "{idd: south,")

    with pytest.raises(SurveyError) as caught:
        parse_survey(text, "s.yaml")

    assert [(p.line, p.path, p.fix.split(",")[0]) for p in caught.value.problems] == [
        (8, "questions[0].kind", "add 'kind: ...'"),
        (12, "questions[0].choices[1].idd", "did you mean 'id'?"),
    ]


def test_a_latin1_file_names_the_line_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(
        (VALID + question("id: ort", "kind: text", "text: {sv: Ort?, en: Å}")).encode("latin-1")
    )

    with pytest.raises(SurveyError) as caught:
        load_survey(path)

    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (13, VALID.splitlines()[12].index("ö") + 1)
    assert "'ö'" in problem.message and "(and 1 more line)" in problem.message
    assert "Latin-1" in problem.message and "save the file as UTF-8" in problem.fix


def test_problems_read_as_one_line_each() -> None:
    problem = Problem(
        "surveys/questions.yaml",
        42,
        7,
        "questions[4].choices[2].label.en",
        "missing English label",
        "add 'en: ...' under label",
    )
    assert str(problem) == (
        "surveys/questions.yaml:42:7: questions[4].choices[2].label.en: "
        "missing English label - add 'en: ...' under label"
    )


def test_a_valid_minimal_survey_loads() -> None:
    survey = parse_survey(VALID)

    assert survey.id == "trygghet_2026"
    assert survey.languages == ("sv", "en")
    assert survey.opens is None and survey.closes is None and survey.min_group_size == 5
    (area,) = survey.questions
    assert isinstance(area, SingleQuestion)
    assert [c.id for c in area.choices] == ["north", "south"]
    assert area.choices[1].label == {"sv": "Söder", "en": "South"}


def test_allowed_oddities_load() -> None:
    text = VALID.replace("kind: single", "kind: single\n    optional: true\n    breakdown: true")
    text = text.replace("en: North}}", "en: North}, exclusive: true}")
    text += WHY.replace("People}}", "People}, exclusive: true}")

    survey = parse_survey(text)

    assert [q.id for q in survey.breakdown_questions] == ["area"]
    assert survey.questions[0].optional


def test_a_file_is_read_and_named_in_problems(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(VALID, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(VALID.replace("kind: single", "kind: singel"), encoding="utf-8")

    assert load_survey(good).id == "trygghet_2026"
    with pytest.raises(SurveyError) as caught:
        load_survey(bad)
    assert str(caught.value).startswith(f"{bad}:9:11: questions[0].kind: unknown kind 'singel'")


def test_an_unreadable_file_is_one_problem(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"

    with pytest.raises(SurveyError) as caught:
        load_survey(missing)

    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.path) == (str(missing), 0, "")
    assert "cannot read" in problem.message and "check the path" in problem.fix
    assert str(problem).startswith(f"{missing}: cannot read it")


def test_a_bare_closing_date_means_the_end_of_that_day_in_stockholm() -> None:
    survey = parse_survey(head_with("opens: 2026-12-01", "closes: 2026-12-31"))

    assert survey.opens == datetime(2026, 12, 1, tzinfo=STOCKHOLM)
    assert survey.closes == datetime(2027, 1, 1, tzinfo=STOCKHOLM)
    assert survey.is_open(datetime(2026, 12, 31, 23, 59, 59, tzinfo=STOCKHOLM))
    assert not survey.is_open(datetime(2026, 12, 31, 23, 0, tzinfo=UTC))  # 00:00 local
    assert not survey.is_open(datetime(2026, 11, 30, 23, 59, tzinfo=STOCKHOLM))


def test_explicit_zones_are_respected_and_naive_times_are_stockholm() -> None:
    survey = parse_survey(head_with("opens: 2026-05-01 08:00", "closes: 2026-06-30T18:00:00Z"))

    assert survey.opens == datetime(2026, 5, 1, 8, 0, tzinfo=STOCKHOLM)
    assert survey.opens is not None and survey.opens.utcoffset() == timedelta(hours=2)
    assert survey.closes == datetime(2026, 6, 30, 18, 0, tzinfo=UTC)
    assert survey.is_open(datetime(2026, 6, 30, 19, 59, tzinfo=STOCKHOLM))
    assert not survey.is_open(datetime(2026, 6, 30, 20, 0, tzinfo=STOCKHOLM))


def test_a_survey_built_in_code_is_cross_checked_too() -> None:
    area = SingleQuestion(
        id="area",
        kind="single",
        text={"sv": "Var?", "en": "Where?"},
        choices=(Choice(id="n", label={"sv": "N", "en": "N"}), Choice(id="s", label={"sv": "S"})),
    )
    note = TextQuestion(
        id="note", kind="text", text={"sv": "T", "en": "T"}, show_if={"area": ("w",)}
    )
    texts = {"sv": "x", "en": "x"}

    with pytest.raises(ValidationError) as caught:
        Survey(
            id="s",
            title=texts,
            languages=("sv", "en"),
            intro=texts,
            privacy=texts,
            thanks=texts,
            questions=(area, note),
        )

    message = str(caught.value)
    assert "questions[0].choices[1].label.en: missing English label" in message
    assert "questions[1].show_if.area[0]: 'w' is not a choice of 'area'" in message


def test_the_summary_fits_one_screen_and_names_what_matters() -> None:
    many = "".join(
        question(f"id: q{i}", "kind: text", "text: {sv: T, en: T}", "show_if: {area: [north]}")
        for i in range(40)
    )
    survey = parse_survey(
        head_with("opens: 2026-11-01", "closes: 2027-03-31").replace(
            "kind: single", "kind: single\n    breakdown: true"
        )
        + WHY.replace("    choices:", "    optional: true\n    choices:")
        + many
    )

    summary = summarize(survey, "surveys/questions.yaml")

    lines = summary.splitlines()
    assert len(lines) <= MAX_LINES
    assert lines[0] == "surveys/questions.yaml: valid"
    assert f"Version     {survey.version}" in summary
    assert "trygghet_2026: Trygghet" in summary
    assert "sv (default), en" in summary
    assert "2026-11-01 00:00 to 2027-03-31 24:00" in summary
    assert "42: 1 single, 1 multi, 40 text; 1 optional" in summary
    assert "Breakdown   area" in summary
    assert "Branching   40 questions" in summary
    assert re.search(r"\n    q0 +if area is north\n", summary)
    assert lines[-1].strip().startswith("... and ")
    branch_lines = [line for line in lines if " if area is north" in line]
    assert int(lines[-1].split()[2]) + len(branch_lines) == 40


def test_a_small_survey_summary_has_no_branching() -> None:
    summary = summarize(parse_survey(VALID + WHY), "s.yaml")

    assert "Open        always" in summary
    assert "Branching   none" in summary
    assert "Breakdown   none" in summary
    assert isinstance(parse_survey(VALID + WHY).questions[1], MultiQuestion)
