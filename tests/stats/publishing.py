"""Publications as staff see them: responses arrive in order, staff look at chosen moments, and
each look publishes what the store's batch rule allows (`Store.publish_if_due`), through the
disclosure layer, with everything published before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from bot.stats.disclosure import history_after
from tests.stats import snapshot_of
from tests.stats.publication_attacker import HistoryAttacker
from tests.stats.test_disclosure import Shown, Space, every_published

Answers = Mapping[str, object]


def profile_counts(space: Space, responses: Sequence[Answers]) -> np.ndarray:
    """How many of these residents gave each profile of `space`."""
    index = {_key(p): i for i, p in enumerate(space.profiles)}
    counts = np.zeros(len(space.profiles))
    for answers in responses:
        counts[index[_profile_key(space, answers)]] += 1
    return counts


def _chose(value: object, allowed: Sequence[str]) -> bool:
    if isinstance(value, tuple):
        return any(v in allowed for v in value)
    return value in allowed


def _key(profile: Mapping[str, object]) -> tuple[tuple[str, object], ...]:
    return tuple(sorted(profile.items()))


def _profile_key(space: Space, answers: Answers) -> tuple[tuple[str, object], ...]:
    """The profile of a resident's answers: every tallied question asked of them."""
    profile: dict[str, object] = {}
    for question in space.survey.questions:
        if question.kind == "text":
            continue
        conditions = (question.show_if or {}).items()
        if all(_chose(profile.get(p), allowed) for p, allowed in conditions):
            value = answers.get(question.id)
            profile[question.id] = tuple(value) if isinstance(value, list) else value
    return _key(profile)


def publications(
    space: Space, responses: Sequence[Answers], looks: Sequence[int]
) -> tuple[list[list[Shown]], list[np.ndarray]]:
    """What staff see at each look (after the first `n` responses, for n in `looks`), and the
    true profile counts behind each publication; a look that publishes nothing new adds
    nothing (it repeats the last publication)."""
    k = space.survey.min_group_size
    shown: list[list[Shown]] = []
    states: list[np.ndarray] = []
    published = 0
    history: str | None = None
    for n in looks:
        if n - published < k:
            continue
        published = n
        snapshot = replace(snapshot_of(space.survey, responses[:n]), disclosure_history=history)
        shown.append(every_published(space, snapshot))
        history = history_after(space.survey, snapshot)
        states.append(profile_counts(space, responses[:n]))
    return shown, states


def attack(
    space: Space,
    candidates: np.ndarray | None,
    responses: Sequence[Answers],
    looks: Sequence[int],
    *,
    newcomers_only: bool = False,
) -> list[str]:
    """Every guarantee broken by publishing `responses` at these looks (`HistoryAttacker`)."""
    shown, states = publications(space, responses, looks)
    if not shown:
        return []
    attacker = HistoryAttacker(space, shown, states, candidates, newcomers_only=newcomers_only)
    return attacker.findings()
