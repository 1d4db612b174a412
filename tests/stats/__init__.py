"""Tests of the tallies, the disclosure layer and what renders it; shared builders below.

`make_survey` builds a small survey in code (two breakdown questions, single, scale, multi,
number, text, optionally a follow-up with `show_if`); `snapshot_of` tallies responses with
`bot.stats.counters.tally_cells`, as the store does, into a published `Snapshot`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from bot.stats.counters import tally_cells
from bot.survey.model import Survey
from storage.base import Snapshot


def text(words: str) -> dict[str, str]:
    return {"sv": f"{words} (sv)", "en": words}


def choices(*ids: str) -> list[dict[str, Any]]:
    return [{"id": i, "label": {"sv": f"{i} sv", "en": f"{i} en"}} for i in ids]


def make_survey(
    *,
    k: int = 5,
    areas: Sequence[str] = ("north", "south", "east"),
    ages: Sequence[str] = ("young", "old"),
    area_optional: bool = False,
    age_optional: bool = False,
    feel_optional: bool = False,
    follow_up: bool = False,
) -> Survey:
    """area (single, breakdown), age (scale, breakdown), feel (scale), places (multi),
    [why (single, only if feel is unsafe)], visits (number, optional), note (text)."""
    questions: list[dict[str, Any]] = [
        {
            "id": "area",
            "kind": "single",
            "breakdown": True,
            "optional": area_optional,
            "text": text("Where do you live?"),
            "choices": choices(*areas),
        },
        {
            "id": "age",
            "kind": "scale",
            "breakdown": True,
            "optional": age_optional,
            "text": text("How old are you?"),
            "choices": choices(*ages),
        },
        {
            "id": "feel",
            "kind": "scale",
            "optional": feel_optional,
            "text": text("How safe do you feel?"),
            "choices": choices("safe", "unsure", "unsafe"),
        },
        {
            "id": "places",
            "kind": "multi",
            "text": text("Where do you feel unsafe?"),
            "choices": choices("park", "street", "station"),
        },
    ]
    if follow_up:
        questions.append(
            {
                "id": "why",
                "kind": "single",
                "show_if": {"feel": ["unsafe"]},
                "text": text("Why?"),
                "choices": choices("dark", "people"),
            }
        )
    questions += [
        {"id": "visits", "kind": "number", "optional": True, "text": text("How many visits?")},
        {"id": "note", "kind": "text", "optional": True, "text": text("Anything else?")},
    ]
    return Survey.model_validate(
        {
            "id": "test_survey",
            "title": text("Safety"),
            "languages": ["sv", "en"],
            "min_group_size": k,
            "intro": text("Hello"),
            "privacy": text("Privacy"),
            "thanks": text("Thanks"),
            "questions": questions,
        }
    )


def snapshot_of(
    survey: Survey, responses: Iterable[Mapping[str, object]], *, waiting: int = 0
) -> Snapshot:
    """Published tallies of these responses, counted as the store counts them."""
    counts: Counter[Any] = Counter()
    total = 0
    for answers in responses:
        counts.update(tally_cells(survey, answers))
        total += 1
    days = (date(2026, 11, 2), date(2026, 11, 20)) if total else (None, None)
    return Snapshot(survey.id, total, waiting, dict(counts), days[0], days[1])


def answers(
    area: str | None = "north",
    age: str | None = "young",
    feel: str | None = "safe",
    places: tuple[str, ...] | None = ("park",),
    **more: object,
) -> dict[str, object]:
    """One resident's answers (None: skipped)."""
    return {"area": area, "age": age, "feel": feel, "places": places, **more}


def varied(n: int, start: int = 0, **fixed: object) -> list[dict[str, object]]:
    """n residents with the answers `fixed`, the others spread over two areas, both ages and
    the three places, so that no big group answered alike (such a group is hidden)."""
    places = (("park",), ("street",), ("station",))
    found = []
    for i in range(start, start + n):
        spread: dict[str, object] = {
            "area": ("north", "south")[i % 2],
            "age": ("young", "old")[i // 2 % 2],
            "places": places[i % 3],
        }
        found.append(answers(**{**spread, **fixed}))  # type: ignore[arg-type]
    return found
