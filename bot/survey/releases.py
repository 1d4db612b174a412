"""When published tallies advance: the survey's release schedule (`releases:` in the YAML).

A publication is due only at the next **milestone** of the schedule, never because someone
looks: the first at `first` responses, then each at `max(previous * growth, previous + step)`
responses (rounded up), and a last one when the survey has closed and half a step waits.
Few publications with large batches keep the disclosure audit useful: each one is audited
against every earlier one (docs/disclosure.md has the figures that chose the defaults).

What must hold:
- milestones grow strictly, and each batch holds at least `min_group_size` responses and,
  at close, at least half the way to the next milestone
  (`due_after` never asks for fewer), so two publications never differ by 1..k-1 responses;
- `first` and `step` are at least the survey's `min_group_size` (`release_issues`, an error
  with the file's line, like every survey field);
- the schedule is a pure function of response counts (and, for the last release, of whether
  the survey has closed): staff cannot move it by looking.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from pydantic import Field

from bot.survey.issues import Issue
from bot.survey.questions import FrozenModel


class Releases(FrozenModel):
    """The release schedule of a survey's published tallies (see the module docstring)."""

    #: Responses at the first release.
    first: int = Field(default=100, ge=2, le=1_000_000)
    #: Each later milestone is at least the previous one times this.
    growth: float = Field(default=2.0, ge=1.1, le=10.0)
    #: ... and at least this many responses after the previous one.
    step: int = Field(default=100, ge=2, le=1_000_000)

    def milestones(self) -> Iterator[int]:
        """The response counts at which a release is due, in order (endless)."""
        milestone = self.first
        while True:
            yield milestone
            milestone = max(math.ceil(milestone * self.growth), milestone + self.step)

    def due_after(self, published: int, min_group_size: int, *, closed: bool = False) -> int:
        """The number of completed responses at which the release after one of `published`
        responses is due: the first milestone at least `min_group_size` responses later. Once
        the survey has closed, as soon as half the way to that milestone waits (and at least
        `min_group_size`): a last batch much smaller than the ones before would make the
        audit hide everything in it (docs/disclosure.md, figures)."""
        upcoming = next(m for m in self.milestones() if m >= published + min_group_size)
        if closed:
            return published + max(min_group_size, math.ceil((upcoming - published) / 2))
        return upcoming


def release_issues(releases: object, min_group_size: object) -> list[Issue]:
    """A first release or a step smaller than a group that may be published. `releases` is the
    schedule or its raw mapping (so the loader can check it even when another key is wrong)."""
    raw = releases.model_dump() if isinstance(releases, Releases) else releases
    if not isinstance(raw, dict) or not isinstance(min_group_size, int):
        return []
    issues: list[Issue] = []
    for name in ("first", "step"):
        value = raw.get(name, Releases.model_fields[name].default)
        if isinstance(value, int) and not isinstance(value, bool) and value < min_group_size:
            issues.append(
                Issue(
                    ("releases", name),
                    f"{name} is {value}, fewer responses than min_group_size ({min_group_size})",
                    f"use at least {min_group_size}; releases of many responses at a time "
                    "hide less (docs/disclosure.md)",
                )
            )
    return issues
