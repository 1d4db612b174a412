"""Reading the admin's survey file: YAML text -> `Survey`, or every problem at once.

Owns `load_survey`, `parse_survey`, `Problem` and `SurveyError`.

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
- duplicate keys are an error (YAML would silently keep one of them).

The file is composed once into a node tree by ruamel's safe pure-Python composer (about three
times faster than its round-trip loader): the nodes carry the line and column of every key and
value, keys written twice included, and the values are constructed from the same tree. The
pydantic errors are put into words by `bot.survey.errors`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, StreamMark, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.survey.checks import Issue, Loc, format_path, survey_issues
from bot.survey.errors import describe as _describe
from bot.survey.errors import explain
from bot.survey.indicators import Indicator, indicator_issues
from bot.survey.model import Survey, as_zoned
from bot.survey.questions import SURVEY_TEXT_FIELDS, Question, Text
from bot.survey.sources import Source, source_issues

_QUESTION: TypeAdapter[Any] = TypeAdapter(Question)
_TEXT: TypeAdapter[Text] = TypeAdapter(Text)
_LANGUAGES: TypeAdapter[tuple[str, ...]] = TypeAdapter(tuple[str, ...])
_MOMENT: TypeAdapter[datetime | None] = TypeAdapter(datetime | None)
_INDICATOR: TypeAdapter[Any] = TypeAdapter(Indicator)
_SOURCE: TypeAdapter[Any] = TypeAdapter(Source)


@dataclass(frozen=True)
class Problem:
    """One mistake in a survey file, located for a person with an editor."""

    file: str
    #: 1-based; 0 when the problem has no place in the file (it cannot be read).
    line: int
    column: int
    #: Where in the survey, e.g. `questions[4].choices[2].label.en`; empty for the whole file.
    path: str
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        path = f" {self.path}:" if self.path else ""
        return f"{where}:{path} {self.message} - {self.fix}"


class SurveyError(Exception):
    """The survey file has mistakes; `problems` holds all of them, sorted by line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.line, p.column)))
        super().__init__("\n".join(map(str, self.problems)))


def load_survey(path: str | Path) -> Survey:
    """Read and check the survey file at `path`; raise `SurveyError` with every problem."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        fix = "check the path and that the file is readable UTF-8 text"
        raise SurveyError([Problem(str(path), 0, 0, "", f"cannot read it: {reason}", fix)]) from err
    return parse_survey(text, str(path))


def parse_survey(text: str, filename: str = "<string>") -> Survey:
    """Check survey YAML `text`; raise `SurveyError` with every problem found."""
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_duplicate_keys = True  # reported with their lines by `_index`, not as a crash
    try:
        tree = yaml.compose(text)
    except MarkedYAMLError as err:
        raise SurveyError([_syntax_problem(err, filename)]) from err
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
        raise SurveyError([_syntax_problem(err, filename)]) from err
    except (YAMLError, ValueError) as err:  # ValueError: an impossible date like 2026-13-45
        line, column = _bad_timestamp(tree) or (1, 1)
        fix = "write dates as YYYY-MM-DD and times as YYYY-MM-DD HH:MM"
        problem = Problem(filename, line, column, "", f"invalid value: {err}", fix)
        raise SurveyError([problem]) from err
    if not isinstance(data, dict):
        what = "empty" if data is None else f"{_describe(data)}, not a mapping of keys"
        fix = "write the survey as keys: id, title, languages, intro, privacy, thanks, questions"
        raise SurveyError([Problem(filename, 1, 1, "", f"the survey file is {what}", fix)])
    positions: _Positions = {}
    problems = _index(tree, (), positions, filename)
    issues: list[Issue] = []
    survey: Survey | None = None
    failure = ""
    try:
        survey = Survey.model_validate(data)
    except ValidationError as err:
        failure = str(err)
        # "survey_issues" is the model's own run of the cross-checks: `_cross_check` below
        # finds the same issues, and on the valid parts of an invalid survey too.
        found = (explain(e, data) for e in err.errors() if e["type"] != "survey_issues")
        issues += [issue for issue in found if issue is not None]
    issues += _cross_check(data)
    problems += [_place(positions, issue, filename) for issue in issues]
    if survey is None and not problems:  # not expected; say what pydantic said, not nothing
        problems.append(Problem(filename, 1, 1, "", failure, "see docs/survey-format.md"))
    if problems or survey is None:
        raise SurveyError(problems)
    return survey


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
    return (
        survey_issues(
            languages=languages,
            texts={name: text for name, text in texts.items() if text is not None},
            opens=_valid(_MOMENT, as_zoned(plain.get("opens"), end_of_day=False)),
            closes=_valid(_MOMENT, as_zoned(plain.get("closes"), end_of_day=True)),
            question_ids=[raw.get("id") if isinstance(raw, dict) else None for raw in raws],
            questions={i: q for i, q in questions.items() if q is not None},
        )
        + indicator_issues(indicators, by_id, languages or ())
        + source_issues(sources, languages or ())
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


def _bad_timestamp(node: Node | None, seen: set[int] | None = None) -> tuple[int, int] | None:
    """Where the first impossible date is (ruamel reports it without a place)."""
    seen = set() if seen is None else seen
    if node is None or id(node) in seen:
        return None
    seen.add(id(node))
    if isinstance(node, ScalarNode) and str(node.tag).endswith("timestamp"):
        try:
            YAML(typ="safe", pure=True).load(node.value)
        except ValueError:
            return node.start_mark.line + 1, node.start_mark.column + 1
    children: list[Node] = []
    if isinstance(node, MappingNode):
        children = [n for pair in node.value for n in pair]
    elif isinstance(node, SequenceNode):
        children = list(node.value)
    return next((p for c in children if (p := _bad_timestamp(c, seen)) is not None), None)


def _syntax_problem(err: MarkedYAMLError, filename: str) -> Problem:
    mark = err.problem_mark or err.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = str(err.problem or err.context or "invalid YAML")
    context = err.context_mark
    if err.context and context is not None and context.line + 1 != line:
        problem += f" ({err.context} started on line {context.line + 1})"
    if "\\t" in problem or "\t" in problem:
        fix = "indent with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        fix = "put a text that contains ': ' in quotes, or check the indentation of this line"
    elif "flow" in problem:
        fix = "close every [ and { you open, and separate their items with commas"
    elif "quoted scalar" in problem:
        fix = "close the quote that starts here"
    else:
        fix = "check the indentation (spaces, one depth per level) and quote texts with ':' or '#'"
    return Problem(filename, line, column, "", f"invalid YAML: {problem}", fix)
