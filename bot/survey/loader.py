"""Reading the admin's survey file: YAML text -> `Survey`, or every problem at once.

Owns `load_survey`, `parse_survey`, `read_survey` (the survey and its warnings), `Problem` and
`SurveyError`.

What must hold:
- a file with several mistakes reports all of them in one `SurveyError`, sorted by line:
  YAML syntax (only the first, parsing stops there), duplicate keys, every pydantic error of
  the whole file, and the cross-checks of `bot.survey.checks`, which run on the parts that
  validated on their own (each question alone), so a broken question hides nothing else;
- every problem names the file, a 1-based line and column (0 when there is none, e.g. an
  unreadable file), the path of the offending value and a plain-language fix;
- paths read like `questions[4].choices[2].label.en`: list indexes are 0-based, as in Python
  and pydantic (the first question is `questions[0]`); the line number is what the admin
  follows, the path says which entry of a long list is meant;
- duplicate keys are an error (YAML would silently keep one of them);
- the line reported is the line a clerk must edit: a file that is not UTF-8 (saved as Latin-1)
  names the first such line, not a byte offset; an unclosed quote names the line where the
  quote opens, not where YAML gave up; an invisible space other than a plain space (a
  non-breaking space copied from Word) in the indentation names its own line;
- warnings (`bot.survey.checks.survey_warnings`, e.g. `min_group_size` below 5) never stop a
  survey from loading: `read_survey` returns them located like problems, `load_survey` logs them.

The file is composed once into a node tree by ruamel's safe pure-Python composer (about three
times faster than its round-trip loader): the nodes carry the line and column of every key and
value, keys written twice included, and the values are constructed from the same tree. The
pydantic errors are put into words by `bot.survey.errors`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, StreamMark, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.survey.checks import survey_issues, survey_warnings
from bot.survey.errors import describe as _describe
from bot.survey.errors import explain
from bot.survey.indicators import Indicator, indicator_issues
from bot.survey.issues import Issue, Loc, format_path
from bot.survey.model import Survey, as_zoned
from bot.survey.problems import Problem, SurveyError
from bot.survey.questions import SURVEY_TEXT_FIELDS, Question, Text
from bot.survey.releases import release_issues
from bot.survey.sources import Source, source_issues
from bot.survey.syntax import bad_timestamp, not_utf8, odd_indentation, syntax_problem

__all__ = [
    "Checked",
    "Problem",
    "SurveyError",
    "check_survey",
    "load_survey",
    "parse_survey",
    "read_survey",
]

_QUESTION: TypeAdapter[Any] = TypeAdapter(Question)
_TEXT: TypeAdapter[Text] = TypeAdapter(Text)
_LANGUAGES: TypeAdapter[tuple[str, ...]] = TypeAdapter(tuple[str, ...])
_MOMENT: TypeAdapter[datetime | None] = TypeAdapter(datetime | None)
_INDICATOR: TypeAdapter[Any] = TypeAdapter(Indicator)
_SOURCE: TypeAdapter[Any] = TypeAdapter(Source)
#: `min_group_size` when the file does not set it.
_GROUP = Survey.model_fields["min_group_size"].default
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Checked:
    """A valid survey and what the admin should still know about it (sorted by line)."""

    survey: Survey
    warnings: tuple[Problem, ...] = ()


def load_survey(path: str | Path) -> Survey:
    """Read and check the survey file at `path`; raise `SurveyError` with every problem.

    Warnings are logged (the bot's log); `read_survey` returns them instead.
    """
    checked = read_survey(path)
    for warning in checked.warnings:
        log.warning("survey file: %s", warning)
    return checked.survey


def read_survey(path: str | Path) -> Checked:
    """Read and check the survey file at `path`: the survey and its warnings."""
    filename = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        reason = err.strerror or str(err)
        fix = "check the path and that the file is readable"
        raise SurveyError([Problem(filename, 0, 0, "", f"cannot read it: {reason}", fix)]) from err
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SurveyError([not_utf8(data, err, filename)]) from err
    return check_survey(text, filename)


def parse_survey(text: str, filename: str = "<string>") -> Survey:
    """Check survey YAML `text`; raise `SurveyError` with every problem found."""
    return check_survey(text, filename).survey


def check_survey(text: str, filename: str = "<string>") -> Checked:
    """Check survey YAML `text`: the survey and its warnings, or `SurveyError`."""
    spaces = odd_indentation(text, filename)
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_duplicate_keys = True  # reported with their lines by `_index`, not as a crash
    try:
        tree = yaml.compose(text)
    except MarkedYAMLError as err:
        problem = syntax_problem(err, filename, text)
        # YAML fails at or after the odd space's line: the space is what to edit
        before = [problem] if not spaces or problem.line < spaces[0].line else []
        raise SurveyError(before + spaces) from err
    except YAMLError as err:  # e.g. a control character: ruamel's ReaderError has no mark
        position = getattr(err, "position", 0)
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        fix = "remove the invisible control character here (copied from another program?)"
        problem = Problem(filename, line, column, "", f"unreadable text: {err}", fix)
        raise SurveyError([problem]) from err
    try:
        data = yaml.constructor.construct_document(tree) if tree is not None else None
    except MarkedYAMLError as err:
        raise SurveyError([syntax_problem(err, filename)]) from err
    except (YAMLError, ValueError) as err:  # ValueError: an impossible date like 2026-13-45
        line, column = bad_timestamp(tree) or (1, 1)
        fix = "write dates as YYYY-MM-DD and times as YYYY-MM-DD HH:MM"
        problem = Problem(filename, line, column, "", f"invalid value: {err}", fix)
        raise SurveyError([problem]) from err
    if not isinstance(data, dict):
        what = "empty" if data is None else f"{_describe(data)}, not a mapping of keys"
        fix = "write the survey as keys: id, title, languages, intro, privacy, thanks, questions"
        raise SurveyError([Problem(filename, 1, 1, "", f"the survey file is {what}", fix)])
    positions: _Positions = {}
    problems = spaces + _index(tree, (), positions, filename)
    issues: list[Issue] = []
    survey: Survey | None = None
    failure = ""
    try:
        survey = Survey.model_validate(data)
    except ValidationError as err:
        failure = str(err)
        # "survey_issues" is the model's own run of the cross-checks: `_cross_check` below
        # finds the same issues, and on the valid parts of an invalid survey too.
        for error in err.errors():
            if error["type"] != "survey_issues":
                issues += explain(error, data)
    issues += _cross_check(data)
    problems += [_place(positions, issue, filename) for issue in issues]
    if survey is None and not problems:  # not expected; say what pydantic said, not nothing
        problems.append(Problem(filename, 1, 1, "", failure, "see docs/survey-format.md"))
    if problems or survey is None:
        raise SurveyError(problems)
    warnings = (
        _place(positions, issue, filename)
        for issue in survey_warnings(min_group_size=survey.min_group_size)
    )
    return Checked(survey, tuple(sorted(warnings, key=lambda p: (p.line, p.column))))


def _cross_check(plain: dict[str, Any]) -> list[Issue]:
    """Run the cross-checks on every part that is valid on its own."""
    raw_questions = plain.get("questions")
    raws = raw_questions if isinstance(raw_questions, list) else []
    texts = {name: _valid(_TEXT, plain.get(name)) for name in SURVEY_TEXT_FIELDS}
    questions = {i: _valid(_QUESTION, raw) for i, raw in enumerate(raws)}
    raw_indicators = plain.get("indicators")
    indicators = [
        _valid(_INDICATOR, raw)
        for raw in (raw_indicators if isinstance(raw_indicators, list) else [])
    ]
    raw_sources = plain.get("sources")
    sources = [
        _valid(_SOURCE, raw) for raw in (raw_sources if isinstance(raw_sources, list) else [])
    ]
    languages = _valid(_LANGUAGES, plain.get("languages"))
    by_id = {q.id: q for q in questions.values() if q is not None}
    question_ids = [raw.get("id") if isinstance(raw, dict) else None for raw in raws]
    return (
        survey_issues(
            languages=languages,
            texts={name: text for name, text in texts.items() if text is not None},
            opens=_valid(_MOMENT, as_zoned(plain.get("opens"), end_of_day=False)),
            closes=_valid(_MOMENT, as_zoned(plain.get("closes"), end_of_day=True)),
            question_ids=question_ids,
            questions={i: q for i, q in questions.items() if q is not None},
        )
        + indicator_issues(indicators, by_id, languages or ())
        + source_issues(sources, languages or (), question_ids)
        + release_issues(plain.get("releases", {}), plain.get("min_group_size", _GROUP))
    )


def _valid(adapter: TypeAdapter[Any], value: object) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


#: Where each path was written: its key, its value, and whether the value is a collection.
_Positions = dict[Loc, tuple[StreamMark, StreamMark, bool]]


def _place(positions: _Positions, issue: Issue, filename: str) -> Problem:
    """`issue` at its 1-based line and column, or at its nearest ancestor written in the file.

    Collections point at their key (`label:`), scalars at their value, `at_key` at the key.
    """
    mark: StreamMark | None = None
    for depth in range(len(issue.loc), 0, -1):
        if (found := positions.get(issue.loc[:depth])) is not None:
            key, value, collection = found
            exact = depth == len(issue.loc)
            mark = value if exact and not (issue.at_key or collection) else key
            break
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return Problem(filename, line, column, format_path(issue.loc), issue.message, issue.fix)


def _index(node: Node, loc: Loc, positions: _Positions, filename: str) -> list[Problem]:
    """Record where every path under `node` is; return the keys written twice in a mapping.

    Duplicate keys are errors: YAML keeps only the first, silently.
    """
    problems: list[Problem] = []
    children: list[tuple[Loc, StreamMark, Node]] = []
    if isinstance(node, MappingNode):
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, ScalarNode) else "?"
            mark = key_node.start_mark
            if key in first_line:
                problems.append(
                    Problem(
                        filename,
                        mark.line + 1,
                        mark.column + 1,
                        format_path((*loc, key)),
                        f"duplicate key '{key}' (first on line {first_line[key]})",
                        "remove one of them; only the first one would count",
                    )
                )
                continue
            first_line[key] = mark.line + 1
            children.append(((*loc, key), mark, value_node))
    elif isinstance(node, SequenceNode):
        children = [((*loc, i), item.start_mark, item) for i, item in enumerate(node.value)]
    for child_loc, mark, child in children:
        if len(child_loc) > 64:  # an alias that contains itself
            continue
        collection = isinstance(child, MappingNode | SequenceNode)
        positions[child_loc] = (mark, child.start_mark, collection)
        problems += _index(child, child_loc, positions, filename)
    return problems
