"""A mistake in a survey located by its path, and how paths and moments are written.

`Issue` is what every check of the survey returns (`bot.survey.checks`, `bot.survey.languages`,
`bot.survey.indicators`, `bot.survey.sources`); the loader turns its path into a line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.survey.questions import DEFAULT_ZONE

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
