"""The one-screen summary `survey-bot validate` prints for a valid survey.

Owns `summarize(survey, path)`. What must hold: at most `MAX_LINES` lines of at most
`MAX_WIDTH` characters, whatever the survey (long branching lists end in "... and N more"),
and only what an admin checks before a reload: which survey, which version, when it is open,
what is asked, what branches on what, and what staff may split tallies by.
"""

from __future__ import annotations

from collections import Counter

from bot.survey.checks import SAFE_MIN_GROUP_SIZE
from bot.survey.issues import format_moment
from bot.survey.model import Survey, survey_version
from bot.survey.questions import QUESTION_KINDS

MAX_LINES = 25
MAX_WIDTH = 100


def summarize(survey: Survey, path: str) -> str:
    """A short report of a valid survey read from `path`."""
    questions = survey.declared_questions
    kinds: Counter[str] = Counter(q.kind for q in questions)
    by_kind = ", ".join(f"{kinds[k]} {k}" for k in QUESTION_KINDS if kinds[k])
    extras = [f"{sum(q.optional for q in questions)} optional"]
    retired = sum(q.retired for q in questions)
    if retired:
        extras.append(f"{retired} retired")
    languages = ", ".join(
        f"{lang} (default)" if i == 0 else lang for i, lang in enumerate(survey.languages)
    )
    privacy = f"counts below {survey.min_group_size} are suppressed (min_group_size)"
    if survey.min_group_size < SAFE_MIN_GROUP_SIZE:
        privacy += f"; WARNING: below {SAFE_MIN_GROUP_SIZE}, see the warning"
    breakdown = ", ".join(q.id for q in survey.breakdown_questions) or "none"
    lines = [
        f"{path}: valid",
        f"  Survey      {survey.id}: {survey.title[survey.default_language]}",
        f"  Version     {survey_version(survey)}",
        f"  Languages   {languages}",
        *_drafts(survey),
        f"  Open        {_window(survey)}",
        f"  Privacy     {privacy}",
        f"  Questions   {len(questions)}: {by_kind}; {', '.join(extras)}",
        f"  Breakdown   {breakdown}",
    ]
    branching = [q for q in questions if q.show_if]
    lines.append(f"  Branching   {f'{len(branching)} questions' if branching else 'none'}")
    room = MAX_LINES - len(lines)
    shown = branching if len(branching) <= room else branching[: room - 1]
    width = max((len(q.id) for q in shown), default=0)
    for question in shown:
        conditions = " and ".join(
            f"{target} is {' or '.join(choices)}"
            for target, choices in (question.show_if or {}).items()
        )
        lines.append(f"    {question.id:<{width}}  if {conditions}")
    if len(shown) < len(branching):
        lines.append(f"    ... and {len(branching) - len(shown)} more")
    return "\n".join(_clip(line) for line in lines)


def _drafts(survey: Survey) -> list[str]:
    """The DRAFT warning: translations nobody professional has reviewed."""
    if not survey.drafts:
        return []
    return [
        f"  DRAFT       {', '.join(survey.drafts)}: not reviewed by a professional translator;",
        "              have them reviewed before launch (docs/translation.md)",
    ]


def _window(survey: Survey) -> str:
    opens, closes = survey.opens, survey.closes
    if opens is None and closes is None:
        return "always (no opens or closes)"
    if closes is None:
        return f"from {format_moment(opens)} (Europe/Stockholm), no end" if opens else ""
    if opens is None:
        return f"until {format_moment(closes, end=True)} (Europe/Stockholm)"
    return f"{format_moment(opens)} to {format_moment(closes, end=True)} (Europe/Stockholm)"


def _clip(line: str) -> str:
    return line if len(line) <= MAX_WIDTH else line[: MAX_WIDTH - 3] + "..."
