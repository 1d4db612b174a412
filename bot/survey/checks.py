"""Cross-checks of a survey: the rules no single field can check on its own.

Owns `survey_issues`, which `Survey` runs when built and `bot.survey.loader` runs on the parts
of a file that validated on their own (so one broken question does not hide mistakes
elsewhere), and `Issue`, a mistake located by its path in the survey.

What must hold:
- every text exists, non-empty, in every language of `languages` and in no other, within
  `MAX_LABEL_LENGTH` (button labels) or `MAX_TEXT_LENGTH` (everything else);
- languages are supported; question ids are unique, and choice ids within a question;
- `show_if` names only earlier questions that have choices, and only their choices;
- number `min <= max`; multi `max` <= the choices offered, and not every choice exclusive;
- `opens` is before `closes`.
Each issue says in plain words what is wrong and how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.survey.questions import (
    DEFAULT_ZONE,
    MAX_LABEL_LENGTH,
    MAX_TEXT_LENGTH,
    SUPPORTED_LANGUAGES,
    MultiQuestion,
    NumberQuestion,
    Question,
    ScaleQuestion,
    SingleQuestion,
    Text,
)

#: Names used in messages to the admin.
LANGUAGE_NAMES: dict[str, str] = {"sv": "Swedish", "en": "English"}

Loc = tuple[str | int, ...]


def format_path(loc: Loc) -> str:
    """`('questions', 4, 'choices', 2, 'label', 'en')` -> `questions[4].choices[2].label.en`.

    Indexes are 0-based, as Python and pydantic count them.
    """
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


def format_moment(moment: datetime, *, end: bool = False) -> str:
    """`2026-12-31 18:00` in Europe/Stockholm; with `end`, midnight reads `2026-12-31 24:00`."""
    local = moment.astimezone(DEFAULT_ZONE)
    if end and local.time() == time.min:
        return f"{local - timedelta(days=1):%Y-%m-%d} 24:00"
    return f"{local:%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class Issue:
    """A mistake that needs more than one field to see, located by its path in the survey.

    `at_key`: the mistake is the key itself (point at `key:`), not its value.
    """

    loc: Loc
    message: str
    fix: str
    at_key: bool = False

    def __str__(self) -> str:
        return f"{format_path(self.loc)}: {self.message} - {self.fix}"


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
        if lang not in SUPPORTED_LANGUAGES:
            issues.append(_unsupported_language(index, lang))
        elif languages is not None and languages.index(lang) < index:
            issues.append(Issue(("languages", index), f"'{lang}' is listed twice", "list it once"))
    for name, text in texts.items():
        issues += _text_issues((name,), text, langs)
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


def _language_name(lang: str) -> str:
    return LANGUAGE_NAMES.get(lang, f"'{lang}'")


def _unsupported_language(index: int, lang: str) -> Issue:
    supported = ", ".join(SUPPORTED_LANGUAGES)
    close = difflib.get_close_matches(lang, SUPPORTED_LANGUAGES, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return Issue(
        ("languages", index),
        f"unsupported language '{lang}'",
        f"{hint}the bot's own buttons and messages exist in {supported} only",
    )


def _text_issues(loc: Loc, text: Text, languages: tuple[str, ...] | None) -> list[Issue]:
    """Missing, empty, extra and over-long translations of one text.

    Only supported languages are required (an unsupported one is reported once, in
    `languages`); a text in any listed language is allowed.
    """
    if languages is None:
        return []
    what = str(loc[-1])
    limit = MAX_LABEL_LENGTH if what == "label" else MAX_TEXT_LENGTH
    issues: list[Issue] = []
    for lang in (lang for lang in languages if lang in SUPPORTED_LANGUAGES):
        name = _language_name(lang)
        value = text.get(lang)
        if value is None:
            issues.append(
                Issue((*loc, lang), f"missing {name} {what}", f"add '{lang}: ...' under {what}")
            )
        elif not value.strip():
            issues.append(Issue((*loc, lang), f"empty {name} {what}", f"write the {name} {what}"))
        elif len(value.strip()) > limit:
            why = (
                "long button labels wrap badly on phones and Telegram cuts them"
                if what == "label"
                else "Telegram allows 4096 characters per message, including what the bot adds"
            )
            issues.append(
                Issue(
                    (*loc, lang),
                    f"{name} {what} is {len(value.strip())} characters, over the limit of {limit}",
                    f"shorten it; {why}",
                )
            )
    for lang in text:
        if lang not in languages:
            issues.append(
                Issue(
                    (*loc, lang),
                    f"{what} in '{lang}', which is not listed in languages",
                    f"remove it, or add '{lang}' to languages",
                    at_key=True,
                )
            )
    return issues


def _question_issues(index: int, question: Question, langs: tuple[str, ...] | None) -> list[Issue]:
    """Translations, choice ids and the kind's own limits of one question."""
    loc: Loc = ("questions", index)
    issues = _text_issues((*loc, "text"), question.text, langs)
    if question.help is not None:
        issues += _text_issues((*loc, "help"), question.help, langs)
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
        issues += _text_issues((*choice_loc, "label"), choice.label, langs)
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
