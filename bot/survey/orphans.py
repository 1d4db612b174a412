"""What a change of the survey file would orphan: collected answers the new version cannot hold.

Pure: given the old and new survey and which (question, choice) pairs have answers, say in the
admin's words what would be lost and how to keep it (`retired: true`), or nothing.

What must hold: a removed or renamed question that has answers, a removed or renamed choice
that has answers, and a kind change that changes what stored answers mean (single and scale
are interchangeable) are each reported; anything else is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.survey.model import Survey
from bot.survey.questions import MultiQuestion, ScaleQuestion, SingleQuestion
from bot.survey.sources import SOURCE


def orphaned(
    old: Survey, new: Survey, answered: Iterable[tuple[str, str | None]]
) -> tuple[str, ...]:
    """The problems a switch from `old` to `new` would cause for the answers given.

    `answered` holds (question id, choice id) pairs that have answers; the choice is None for
    an answer to a question without choices (number, text).
    """
    pairs = set(answered)
    problems: list[str] = []
    for question_id in sorted({q for q, _ in pairs}):
        before, after = old.question(question_id), new.question(question_id)
        if after is None and question_id == SOURCE:
            problems.append("sources: responses are counted by source; keep the sources declared")
        elif after is None:
            problems.append(
                f"questions: {question_id} has answers; keep it with 'retired: true' "
                "instead of removing or renaming it"
            )
        elif before is not None and _kind_family(before) != _kind_family(after):
            problems.append(
                f"questions.{question_id}.kind: changed from {before.kind} to {after.kind} "
                "but it has answers; retire it and add a new question with a new id"
            )
    for question_id, choice_id in sorted(pairs, key=lambda pair: (pair[0], pair[1] or "")):
        after = new.question(question_id)
        if not isinstance(after, SingleQuestion | ScaleQuestion | MultiQuestion):
            continue
        if choice_id is not None and after.choice(choice_id) is None and question_id == SOURCE:
            problems.append(f"sources: {choice_id} has responses; keep it in sources")
        elif choice_id is not None and after.choice(choice_id) is None:
            problems.append(
                f"questions.{question_id}.choices: {choice_id} has answers; keep it with "
                "'retired: true' instead of removing or renaming it"
            )
    return tuple(problems)


def _kind_family(question: object) -> str:
    """Kinds whose stored answers mean the same: single and scale are interchangeable."""
    kind = getattr(question, "kind", "")
    return "choice" if kind in ("single", "scale") else str(kind)
