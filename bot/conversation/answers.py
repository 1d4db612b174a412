"""What a resident's answers mean for a survey: visibility, validity, pruning and progress.

Pure helpers of `bot.conversation.engine` (which re-exports `AnswerValue` and `is_visible`); no I/O.

What must hold:
- a question is visible when every `show_if` condition holds: the named question was answered
  with one of the listed choices (a multi answer: any overlap). An unanswered or skipped
  question satisfies no condition, and neither does a later question (conditions point
  backwards), so the questions a resident sees are decided in survey order;
- `prune` keeps only answers to existing, active, visible questions whose values the question
  still accepts (retired choices are removed from multi answers), in survey order; pruning
  twice changes nothing;
- `progress` gives 1 <= number <= total for a visible current question;
- a typed line that looks like a bot command (`is_command`: "/privacy", "/start@bot extra") is
  never an answer, whichever adapter let it through.
"""

from __future__ import annotations

import re

from bot.survey.model import Survey
from bot.survey.questions import (
    MultiQuestion,
    NumberQuestion,
    Question,
    ScaleQuestion,
    SingleQuestion,
    TextQuestion,
)

#: One stored answer: a choice id (single, scale), choice ids (multi), a number, a text, or
#: None for a skipped optional question.
AnswerValue = str | int | tuple[str, ...] | None
Answers = dict[str, AnswerValue]

#: A typed number: ASCII digits with an optional sign ("1 000", "2,5", "tjugo" are not).
_INTEGER = re.compile(r"[+-]?[0-9]+")
#: A bot command as Telegram recognises one: "/" and 1-32 letters, digits or _, an optional
#: "@botname", then the end or a space ("/ 5" and "24/7" are not commands).
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?(\s.*)?", re.DOTALL)
#: Longer numbers are out of any range (and beyond what `int()` parses from text).
_MAX_DIGITS = 4000


def is_visible(question: Question, answers: Answers) -> bool:
    """Whether `question` is shown given the answers so far (`show_if` all hold)."""
    if not question.show_if:
        return True
    return all(_matches(answers.get(ref), allowed) for ref, allowed in question.show_if.items())


def _matches(value: AnswerValue, allowed: tuple[str, ...]) -> bool:
    if isinstance(value, str):
        return value in allowed
    if isinstance(value, tuple):
        return any(choice in allowed for choice in value)
    return False


def visible_questions(survey: Survey, answers: Answers) -> tuple[Question, ...]:
    """The active questions this resident sees given `answers`, in survey order.

    Each question's conditions are judged on the answers to the questions before it only.
    """
    earlier: Answers = {}
    path: list[Question] = []
    for question in survey.active_questions:
        if is_visible(question, earlier):
            path.append(question)
            if question.id in answers:
                earlier[question.id] = answers[question.id]
    return tuple(path)


def valid_multi(question: MultiQuestion, chosen: tuple[str, ...]) -> bool:
    """Whether `chosen` may be toggled on: active choices, distinct, within `max`, and an
    exclusive choice only alone. The empty tuple is valid (nothing toggled yet)."""
    active = {c.id: c for c in question.active_choices}
    if len(set(chosen)) != len(chosen) or any(c not in active for c in chosen):
        return False
    if question.max is not None and len(chosen) > question.max:
        return False
    return len(chosen) <= 1 or not any(active[c].exclusive for c in chosen)


def in_choice_order(question: MultiQuestion, chosen: tuple[str, ...] | set[str]) -> tuple[str, ...]:
    """`chosen` sorted as the question lists its choices (unknown ids are left out)."""
    return tuple(c.id for c in question.choices if c.id in chosen)


def repair(question: Question, value: AnswerValue) -> tuple[bool, AnswerValue]:
    """`(True, value)` if `question` still accepts `value` (a multi answer without its
    retired or removed choices), else `(False, None)`: the answer must be dropped."""
    if value is None:
        return (question.optional, None)
    if isinstance(question, SingleQuestion | ScaleQuestion):
        choice = question.choice(value) if isinstance(value, str) else None
        return (choice is not None and not choice.retired, value)
    if isinstance(question, MultiQuestion):
        if not isinstance(value, tuple):
            return (False, None)
        kept = tuple(c.id for c in question.active_choices if c.id in value)
        return (bool(kept) and valid_multi(question, kept), kept)
    if isinstance(question, NumberQuestion):
        if isinstance(value, bool) or not isinstance(value, int):
            return (False, None)
        return (question.min <= value <= question.max, value)
    if isinstance(question, TextQuestion):
        ok = isinstance(value, str) and 0 < len(value) <= question.max_length
        return (ok, value)
    return (False, None)  # pragma: no cover - every question kind is handled above


def prune(survey: Survey, answers: Answers) -> Answers:
    """The answers that still count, in survey order (see the module docstring)."""
    kept: Answers = {}
    for question in survey.active_questions:
        if question.id in answers and is_visible(question, kept):
            ok, value = repair(question, answers[question.id])
            if ok:
                kept[question.id] = value
    return kept


def next_question(survey: Survey, answers: Answers, after: str | None) -> Question | None:
    """The first visible question after the question `after` in survey order (the first
    visible question when `after` is None), or None when there is none."""
    order = _positions(survey)
    start = order.get(after, -1) if after is not None else -1
    for question in visible_questions(survey, answers):
        if order[question.id] > start:
            return question
    return None


def questions_before(survey: Survey, answers: Answers, current: str) -> tuple[Question, ...]:
    """The visible questions before the question `current`, in survey order."""
    order = _positions(survey)
    here = order.get(current, len(order))
    return tuple(q for q in visible_questions(survey, answers) if order[q.id] < here)


def previous_question(survey: Survey, answers: Answers, before: str) -> Question | None:
    """The last visible question before the question `before`, or None (back to the intro)."""
    earlier = questions_before(survey, answers, before)
    return earlier[-1] if earlier else None


def progress(survey: Survey, answers: Answers, current: str) -> tuple[int, int]:
    """`(number, total)` for the question `current` (answers must be pruned).

    number: 1 + the visible questions before it. total: the questions this resident sees
    or may still see: a later question whose condition names a question not answered yet (the
    current one or a later one) counts, so total is an upper bound and number <= total.
    """
    order = _positions(survey)
    here = order.get(current, len(order))
    number = 1 + len(questions_before(survey, answers, current))
    earlier: Answers = {}
    undecided: set[str] = set()
    total = 0
    for question in survey.active_questions:
        conditions = (question.show_if or {}).items()
        if all(
            _matches(earlier[ref], allowed) if ref in earlier else ref in undecided
            for ref, allowed in conditions
        ):
            total += 1
            if question.id in answers:
                earlier[question.id] = answers[question.id]
            elif order[question.id] >= here:
                undecided.add(question.id)
    return number, total


def is_command(text: str) -> bool:
    """Whether a typed line is a bot command (never an answer)."""
    return _COMMAND.fullmatch(text.strip()) is not None


def parse_integer(text: str) -> int | None:
    """A typed whole number, surrounding spaces allowed; None if it is not one."""
    cleaned = text.strip()
    if not _INTEGER.fullmatch(cleaned):
        return None
    digits = cleaned.lstrip("+-").lstrip("0") or "0"
    sign = -1 if cleaned.startswith("-") else 1
    return sign * (10**_MAX_DIGITS if len(digits) > _MAX_DIGITS else int(digits))


def pending_for(question: Question, value: AnswerValue) -> tuple[str, ...]:
    """The toggles to start a multi question with: its earlier answer, if still valid."""
    if not isinstance(question, MultiQuestion) or not isinstance(value, tuple):
        return ()
    kept = tuple(c.id for c in question.active_choices if c.id in value)
    return kept if valid_multi(question, kept) else ()


def resume_point(survey: Survey, answers: Answers, current: str | None) -> Question | None:
    """Where a resident on question `current` continues: there, if it is still visible and
    every visible question before it is answered; else the first visible unanswered question;
    else the last visible question; None if no question is left."""
    path = visible_questions(survey, answers)
    ids = [q.id for q in path]
    unanswered = next((i for i, q in enumerate(path) if q.id not in answers), None)
    if current in ids and (unanswered is None or unanswered >= ids.index(current)):
        return path[ids.index(current)]
    if unanswered is not None:
        return path[unanswered]
    return path[-1] if path else None


def _positions(survey: Survey) -> dict[str, int]:
    return {q.id: i for i, q in enumerate(survey.questions)}
