"""Cross-checks of a survey: the rules no single field can check on its own.

Owns `survey_warnings` (what is allowed but unwise: the survey still loads) and `survey_issues`,
which `Survey` runs when built and `bot.survey.loader` runs on the parts
of a file that validated on their own (so one broken question does not hide mistakes
elsewhere), and `Issue`, a mistake located by its path in the survey.

What must hold:
- every text exists, non-empty, in every language of `languages` and in no other, within
  `MAX_LABEL_LENGTH` (button labels) or `MAX_TEXT_LENGTH` (everything else);
- languages are language codes CLDR knows; question ids are unique, and choice ids within
  a question;
- `show_if` names only earlier questions that have choices, and only their choices;
- number `min <= max`; multi `max` <= the choices offered, and not every choice exclusive;
- `opens` is before `closes`;
- a warning, not an error: `min_group_size` below `SAFE_MIN_GROUP_SIZE` (docs: never below 5).
Each issue says in plain words what is wrong and how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.survey.issues import Issue, Loc, format_moment
from bot.survey.languages import (
    is_language,
    text_issues,
    unsupported_language,
)
from bot.survey.questions import (
    MultiQuestion,
    NumberQuestion,
    Question,
    ScaleQuestion,
    SingleQuestion,
    Text,
)

#: The smallest group whose count may be published that the docs allow (the model accepts 2..).
SAFE_MIN_GROUP_SIZE = 5


def survey_warnings(*, min_group_size: int) -> list[Issue]:
    """What a valid survey allows but the admin should not do."""
    issues: list[Issue] = []
    size = min_group_size
    if size < SAFE_MIN_GROUP_SIZE:
        issues.append(
            Issue(
                ("min_group_size",),
                f"warning: min_group_size is {size}, so counts as small as {size} are published",
                f"use {SAFE_MIN_GROUP_SIZE} or more: in a small area or age group, a count below "
                f"{SAFE_MIN_GROUP_SIZE} can tell who answered what (docs/survey-format.md)",
            )
        )
    return issues


def survey_issues(
    *,
    languages: Sequence[str] | None,
    texts: Mapping[str, Text],
    opens: datetime | None,
    closes: datetime | None,
    question_ids: Sequence[object],
    questions: Mapping[int, Question],
) -> list[Issue]:
    """Every cross-reference mistake among the parts of a survey that are valid on their own.

    `languages` is None when it did not validate (translations are then not checked);
    `texts` holds the survey's own texts that validated, by field name; `question_ids` the id
    written for every question in order (whatever it is), `questions` the questions that
    validated, by index. A `show_if` naming a question that is present but broken is skipped:
    that question's own errors are reported.
    """
    issues: list[Issue] = []
    langs = tuple(dict.fromkeys(languages)) if languages is not None else None
    for index, lang in enumerate(languages or ()):
        if not is_language(lang):
            issues.append(unsupported_language(index, lang))
        elif languages is not None and languages.index(lang) < index:
            issues.append(Issue(("languages", index), f"'{lang}' is listed twice", "list it once"))
    for name, text in texts.items():
        issues += text_issues((name,), text, langs)
    if opens is not None and closes is not None and opens >= closes:
        issues.append(
            Issue(
                ("closes",),
                f"closes ({format_moment(closes, end=True)}) is not after "
                f"opens ({format_moment(opens)})",
                "make closes later than opens (a bare date closes at the end of that day)",
            )
        )
    first_index: dict[str, int] = {}
    for index, qid in enumerate(question_ids):
        if not isinstance(qid, str):
            continue
        if qid in first_index:
            issues.append(
                Issue(
                    ("questions", index, "id"),
                    f"question id '{qid}' is used twice (first at questions[{first_index[qid]}])",
                    "give every question its own id; answers are stored under it",
                )
            )
        else:
            first_index[qid] = index
    for index, question in questions.items():
        issues += _question_issues(index, question, langs)
        issues += _condition_issues(index, question, first_index, questions)
    everything = len(questions) == len(question_ids) > 0
    if everything and all(q.retired for q in questions.values()):
        issues.append(
            Issue(("questions",), "every question is retired", "keep at least one active", True)
        )
    return issues


def _question_issues(index: int, question: Question, langs: tuple[str, ...] | None) -> list[Issue]:
    """Translations, choice ids and the kind's own limits of one question."""
    loc: Loc = ("questions", index)
    issues = text_issues((*loc, "text"), question.text, langs)
    if question.help is not None:
        issues += text_issues((*loc, "help"), question.help, langs)
    if isinstance(question, NumberQuestion) and question.min > question.max:
        field = "min" if "min" in question.model_fields_set else "max"
        issues.append(
            Issue(
                (*loc, field),
                f"min ({question.min}) is larger than max ({question.max})",
                "make min at most max (both are allowed answers)",
            )
        )
    if not isinstance(question, SingleQuestion | ScaleQuestion | MultiQuestion):
        return issues
    seen: dict[str, int] = {}
    for number, choice in enumerate(question.choices):
        choice_loc = (*loc, "choices", number)
        if choice.id in seen:
            issues.append(
                Issue(
                    (*choice_loc, "id"),
                    f"choice id '{choice.id}' is used twice in this question "
                    f"(first at choices[{seen[choice.id]}])",
                    "give every choice of a question its own id",
                )
            )
        seen.setdefault(choice.id, number)
        issues += text_issues((*choice_loc, "label"), choice.label, langs)
    active = question.active_choices
    if not question.retired and len(active) < 2:
        issues.append(
            Issue(
                (*loc, "choices"),
                f"only {len(active)} choice(s) are still offered (not retired)",
                "offer at least two choices, or retire the question",
                at_key=True,
            )
        )
    if isinstance(question, ScaleQuestion) and (question.steps or 0) > len(question.choices):
        issues.append(
            Issue(
                (*loc, "steps"),
                f"steps is {question.steps} but the question has only "
                f"{len(question.choices)} choices",
                "give how many of the choices, from the first, are steps of the scale",
            )
        )
    if isinstance(question, MultiQuestion):
        if question.max is not None and question.max > len(active):
            issues.append(
                Issue(
                    (*loc, "max"),
                    f"max is {question.max} but the question offers only {len(active)} choices",
                    f"lower max to {len(active)} or less, or remove it to allow any number",
                )
            )
        if active and all(c.exclusive for c in active):
            issues.append(
                Issue(
                    (*loc, "choices"),
                    "every choice is exclusive, so none can be combined",
                    "keep at least one choice without 'exclusive: true', or use kind: single",
                    at_key=True,
                )
            )
    return issues


def _condition_issues(
    index: int,
    question: Question,
    first_index: Mapping[str, int],
    questions: Mapping[int, Question],
) -> list[Issue]:
    """`show_if` may name only earlier questions with choices, and only their choices."""
    issues: list[Issue] = []
    for target, wanted in (question.show_if or {}).items():
        loc: Loc = ("questions", index, "show_if", target)
        position = first_index.get(target)
        if target == question.id:
            issues.append(
                Issue(
                    loc,
                    "show_if names this question itself",
                    "name an earlier question whose answer decides whether this one is asked",
                    at_key=True,
                )
            )
        elif position is None:
            earlier = [q for q, i in first_index.items() if i < index]
            close = difflib.get_close_matches(target, earlier, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            issues.append(
                Issue(
                    loc,
                    f"show_if names '{target}', which is not a question id",
                    f"{hint}show_if names an earlier question by its id",
                    at_key=True,
                )
            )
        elif position > index:
            issues.append(
                Issue(
                    loc,
                    f"show_if names '{target}', which comes later (questions[{position}])",
                    f"a question can depend only on an earlier one: move '{target}' above "
                    "this question, or drop the condition",
                    at_key=True,
                )
            )
        elif (named := questions.get(position)) is not None:
            issues += _wanted_choice_issues(loc, target, named, wanted)
    return issues


def _wanted_choice_issues(
    loc: Loc, target: str, named: Question, wanted: tuple[str, ...]
) -> list[Issue]:
    if not isinstance(named, SingleQuestion | ScaleQuestion | MultiQuestion):
        return [
            Issue(
                loc,
                f"'{target}' is a {named.kind} question and has no choices",
                "show_if can name only single, scale or multi questions",
                at_key=True,
            )
        ]
    ids = [c.id for c in named.choices]
    if not wanted:
        return [
            Issue(
                loc,
                f"show_if lists no choice of '{target}'",
                f"list one or more of: {', '.join(ids)}",
            )
        ]
    issues = []
    for number, choice_id in enumerate(wanted):
        if named.choice(choice_id) is None:
            close = difflib.get_close_matches(choice_id, ids, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            issues.append(
                Issue(
                    (*loc, number),
                    f"'{choice_id}' is not a choice of '{target}'",
                    f"{hint}the choices of '{target}' are: {', '.join(ids)}",
                )
            )
    return issues
