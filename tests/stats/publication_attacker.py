"""An attacker who sees every publication ever made, in order, and knows that counts only grow.

Independent of `bot.stats.model` and `bot.stats.history`: it works on answer profiles (see
`tests.stats.test_disclosure.Space`). The state at publication t is a vector x_t >= 0 of how
many residents gave each profile; the unknowns are y_1 = x_1 and y_t = x_t - x_(t-1) >= 0
(residents who completed between two publications), so every published number of publication t
is a linear function of y_1..y_t. A number is known exactly iff its function lies in the span of
the published ones; non-negativity is used as a reader can: a derivable zero (over any period
of publications) empties every profile it counts in that period, and the span is computed again.
With `candidates` None it uses only the zeros that monotonicity gives (a published count
unchanged between two publications: none of the newcomers is counted by it); with
`newcomers_only` it also derives zeros of `candidates` among the newcomers of any period (chains
of zeros through other questions, as the audit reasons about newcomers), but not of everyone up
to a publication: such chains within one publication are the audit's known limit (see
docs/disclosure.md).

What it reports (each a failure of the guarantee in DESIGN.md):
- a count hidden in one publication that the floors and ceilings of a table's line pin
  (`tests.stats.publication_bounds`: counts only grow, so earlier values are floors and later
  ones ceilings);
- a count published as hidden ("<k") that it computes exactly, unless it computes a zero or
  the value it was last shown with (then it learns only that no newcomer is counted in it,
  which the group checks judge); a zero is about the residents of its group, so it is
  reported by the group checks below when that group is small (a zero in a group of k or
  more is about no one, unless the others all answered alike, which they report too);
- for a period between two publications (or from the start to one publication) and a group
  (residents of a breakdown group who answered a question, or everyone who answered it) whose
  size m in that period it knows: an answer count it knows while m is 1..k-1 (the newcomers'
  answers; a zero that holds for everyone in the period is not about them), or an answer chosen
  by all, or all but one, of m >= 1 residents.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.stats.model import choice_ids, tallied_questions
from bot.stats.tables import Suppressed
from tests.stats.publication_bounds import bounded
from tests.stats.test_disclosure import Shown, Space

_EPS = 1e-6


@dataclass(frozen=True)
class Group:
    name: str
    total: np.ndarray
    #: (name, residents of the group who chose it, everyone who chose it)
    members: tuple[tuple[str, np.ndarray, np.ndarray], ...]


def groups_of(space: Space) -> list[Group]:
    """Everyone who answered a question, and each breakdown group (or its skippers) of them."""
    found: list[Group] = []
    for question in tallied_questions(space.survey):
        q = question.id
        atoms = [(c, space.chose(q, c)) for c in choice_ids(question)]
        answered = space.answered(q)
        found.append(Group(f"answered {q}", answered, tuple((c, a, a) for c, a in atoms)))
        for by in space.survey.breakdown_questions:
            if by.id == q:
                continue
            parts = [(g, space.chose(by.id, g)) for g in choice_ids(by)]
            parts.append(("-", space.skipped(by.id)))
            for g, where in parts:
                members = tuple((c, a & where, a) for c, a in atoms)
                found.append(Group(f"{q} among {by.id}={g}", answered & where, members))
    return found


class HistoryAttacker:
    """What a reader of publications 1..P, in order, can compute exactly."""

    def __init__(
        self,
        space: Space,
        published: Sequence[Sequence[Shown]],
        states: Sequence[np.ndarray],
        candidates: np.ndarray | None,
        *,
        newcomers_only: bool = False,
    ) -> None:
        self.space, self.k = space, space.survey.min_group_size
        self.published = published
        self.n = len(space.profiles)
        self.p = len(published)
        steps = [states[0], *(b - a for a, b in itertools.pairwise(states))]
        assert all(np.all(s >= 0) for s in steps), "counts went down"
        self.truth = np.concatenate(steps).astype(float)
        rows: list[np.ndarray] = []
        for t, shown in enumerate(published):
            rows += [self.at(t, s.where) for s in shown if isinstance(s.count, int)]
        self.rows = np.array(rows, dtype=float).reshape(len(rows), self.p * self.n)
        self.active = np.ones(self.p * self.n, dtype=bool)
        if candidates is None or newcomers_only:  # zeros among newcomers only
            counted = list({s.name: s.where for s in published[0]}.values()) if published else []
            if candidates is not None:
                counted += list(candidates.astype(bool))
            pairs = [(i, j) for j in range(self.p) for i in range(j)]
            vectors = [self.period(i, j, w) for i, j in pairs for w in counted]
        else:
            periods = [(i, j) for j in range(self.p) for i in range(-1, j)]
            vectors = [self.period(i, j, c) for i, j in periods for c in candidates]
        zero_candidates = np.array(vectors, dtype=float).reshape(len(vectors), self.p * self.n)
        while True:
            self._solve()
            known = self.pinned(zero_candidates)
            zero = known & (np.abs(zero_candidates @ self.truth) < _EPS)
            emptied = np.any(zero_candidates[zero] > 0, axis=0) & self.active
            if not np.any(emptied):
                return
            self.active &= ~emptied

    def at(self, t: int, where: np.ndarray) -> np.ndarray:
        """The function "count of `where` at publication t" over y_1..y_P."""
        return self.period(-1, t, where)

    def period(self, i: int, j: int, where: np.ndarray) -> np.ndarray:
        """Residents counted by `where` who completed after publication i, up to publication j
        (i = -1: from the start)."""
        vector = np.zeros(self.p * self.n)
        for block in range(i + 1, j + 1):
            vector[block * self.n : (block + 1) * self.n] = where
        return vector

    def _solve(self) -> None:
        rows = self.rows[:, self.active]
        if rows.size == 0 or not np.any(rows):
            self.basis = np.zeros((0, rows.shape[1]))
            return
        _, singular, vt = np.linalg.svd(rows, full_matrices=False)
        rank = int(np.sum(singular > 1e-9 * max(1.0, float(singular[0]))))
        self.basis = vt[:rank]

    def pinned(self, vectors: np.ndarray) -> np.ndarray:
        w = vectors[:, self.active]
        residual = w - (w @ self.basis.T) @ self.basis
        scale = np.maximum(1.0, np.linalg.norm(w, axis=1))
        return np.asarray(np.linalg.norm(residual, axis=1) < _EPS * scale)

    def known(self, vector: np.ndarray) -> int | None:
        if not self.pinned(vector[None, :])[0]:
            return None
        return round(float(vector @ self.truth))

    def findings(self) -> list[str]:
        """Every guarantee the publications break (empty: none)."""
        found: list[str] = []
        seen: dict[str, int] = {}  # the last value shown of each count
        for t, shown in enumerate(self.published):
            for s in shown:
                if isinstance(s.count, Suppressed):
                    value = self.known(self.at(t, s.where))
                    # A zero is judged by the group it is about (below); a value shown before
                    # says only that no newcomer is counted in it (also judged below).
                    if value and value != seen.get(s.name):
                        found.append(f"publication {t + 1}: hidden {s.name} is {value}")
                elif isinstance(s.count, int):
                    seen[s.name] = s.count
        # Floors and ceilings: a hidden count pinned between earlier and later values.
        found += bounded(self.published, lambda t, where: self.known(self.at(t, where)))
        groups = groups_of(self.space)
        for j in range(self.p):
            for i in range(-1, j):
                when = f"publications {i + 1}..{j + 1}" if i >= 0 else f"publication {j + 1}"
                for group in groups:
                    found += self._group(i, j, when, group)
        return found

    def _group(self, i: int, j: int, when: str, group: Group) -> list[str]:
        size = self.known(self.period(i, j, group.total))
        if not size:
            return []
        found = []
        for name, where, everyone in group.members:
            count = self.known(self.period(i, j, where))
            if count is None:
                continue
            if size < self.k:
                if count == 0 and self.known(self.period(i, j, everyone)) == 0:
                    continue  # nobody at all chose it in the period: about no one
                found.append(f"{when}: {group.name}: {name} is {count} of {size} (<k)")
            elif count >= size - 1 and count > 0:
                found.append(f"{when}: {group.name}: {name} is {count} of {size} (alike)")
        return found
