"""Reloading the survey file while the bot runs (/reload and SIGHUP).

What must hold: a reload never replaces the running survey with a broken one, nor with one that
would orphan collected answers (`bot.survey.orphans`), unless the admin kept the old id with
`retired: true`; residents in the middle of the survey continue on the new version (the engine
fits their session to it). The outcome says what happened in one line, plus every problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.conversation.service import SurveyService
from bot.survey.loader import SurveyError, load_survey
from bot.survey.orphans import orphaned
from storage.base import ANSWERED, OVERALL


@dataclass(frozen=True)
class ReloadOutcome:
    """What a reload did: `ok` with a summary, or the problems that kept the old survey."""

    ok: bool
    summary: str
    problems: tuple[str, ...] = ()


async def reload_survey(residents: SurveyService, path: Path) -> ReloadOutcome:
    """Re-read the survey file at `path`; keep the running survey on any problem."""
    old = residents.survey
    try:
        new = load_survey(path)
    except SurveyError as err:
        problems = tuple(str(p) for p in err.problems)
        return ReloadOutcome(False, f"{len(problems)} problem(s) in {path}", problems)
    if new.id == old.id:
        orphans = orphaned(old, new, await _answered(residents, old.id))
        if orphans:
            return ReloadOutcome(False, "the change would orphan collected answers", orphans)
    residents.survey = new
    if new.version == old.version:
        return ReloadOutcome(True, f"no change in meaning (version {new.version})")
    return ReloadOutcome(
        True, f"now running {new.id} version {new.version} (was {old.id} {old.version})"
    )


async def _answered(residents: SurveyService, survey_id: str) -> set[tuple[str, str | None]]:
    """The (question, choice) pairs with answers; None for questions without choices."""
    cells = await residents.store.tallies(survey_id)
    answered: set[tuple[str, str | None]] = {
        (c.question, None if c.choice == ANSWERED else c.choice)
        for c, n in cells.items()
        if n and c.by_question == OVERALL
    }
    answered |= {(q, None) for q, _ in await residents.store.free_texts(survey_id)}
    return answered
