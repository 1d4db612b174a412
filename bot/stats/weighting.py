"""Raking (iterative proportional fitting) of responses to population margins.

`rake(records, margins)` gives each response a weight so that the weighted sample matches every
margin (e.g. age band x gender, and area, from Statistics Sweden's tables). Classes of a margin
with fewer than `min_class` responses are collapsed into their neighbour (the next class in the
margin's order, the previous one for the last) before raking, and the result says which. The
effective sample size (Kish: (sum w)^2 / sum w^2) says what the weighting costs.

What must hold: weighted totals equal the margins (scaled to the sample size) to `tolerance`
when raking converges; a response whose answer to a weighting question is missing or falls in
no class of the margin keeps weight 1 and is reported as unweighted; weights are pure numbers,
never stored with a response.

Written here rather than taken from a library: weightipy needs pandas, balance pins numpy < 2
on Python 3.11, ipfn is unmaintained and samplics is retired (see the issue note); the routine
is 40 lines of numpy and is tested against hand-computed values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

#: A class of a margin: one choice id per question of the margin, e.g. ("age_16_24", "woman").
Class = tuple[str, ...]


@dataclass(frozen=True)
class Margin:
    """Population counts for the classes of one or more questions."""

    questions: tuple[str, ...]
    population: Mapping[Class, float]


@dataclass(frozen=True)
class Raking:
    weights: tuple[float, ...]
    converged: bool
    iterations: int
    #: Collapsed classes, as "margin: a + b".
    collapsed: tuple[str, ...]
    #: Responses outside every class of some margin (weight 1).
    unweighted: int

    @property
    def effective_n(self) -> float:
        w = np.asarray(self.weights)
        return float(w.sum() ** 2 / (w * w).sum()) if len(w) else 0.0


def rake(
    records: Sequence[Mapping[str, object]],
    margins: Sequence[Margin],
    *,
    min_class: int = 10,
    tolerance: float = 1e-9,
    max_iterations: int = 1000,
) -> Raking:
    """Weights for `records` (answers by question id) that reproduce `margins`."""
    n = len(records)
    collapsed: list[str] = []
    columns: list[tuple[np.ndarray, np.ndarray]] = []  # (class index per record, target share)
    placed = np.ones(n, dtype=bool)
    for margin in margins:
        mapping, notes = _collapse(records, margin, min_class)
        collapsed.extend(notes)
        classes = sorted(set(mapping.values()))
        index = {c: i for i, c in enumerate(classes)}
        member = np.array(
            [index.get(mapping.get(_class_of(r, margin), ("",)), -1) for r in records], dtype=int
        )
        population = np.zeros(len(classes))
        for cls, count in margin.population.items():
            population[index[mapping[cls]]] += count
        placed &= member >= 0
        columns.append((member, population / population.sum()))
    weights = np.ones(n)
    inside = placed.sum()
    iterations, converged = 0, not columns or inside == 0
    while not converged and iterations < max_iterations:
        iterations += 1
        worst = 0.0
        for member, share in columns:
            totals = np.bincount(member[placed], weights=weights[placed], minlength=len(share))
            target = share * inside
            factor = np.divide(target, totals, out=np.ones_like(target), where=totals > 0)
            weights[placed] *= factor[member[placed]]
            worst = max(worst, float(np.abs(totals - target).max()))
        converged = worst <= tolerance * inside
    return Raking(
        tuple(float(w) for w in weights), converged, iterations, tuple(collapsed), int(n - inside)
    )


def _class_of(record: Mapping[str, object], margin: Margin) -> Class:
    return tuple(str(record.get(q, "")) for q in margin.questions)


def _collapse(
    records: Sequence[Mapping[str, object]], margin: Margin, min_class: int
) -> tuple[dict[Class, Class], list[str]]:
    """Each class -> the class it is counted in, merging classes with < min_class responses."""
    order = list(margin.population)
    counts = {c: 0 for c in order}
    for record in records:
        cls = _class_of(record, margin)
        if cls in counts:
            counts[cls] += 1
    groups: list[list[Class]] = [[c] for c in order]
    notes: list[str] = []
    while len(groups) > 1:
        sizes = [sum(counts[c] for c in g) for g in groups]
        small = next((i for i, size in enumerate(sizes) if size < min_class), None)
        if small is None:
            break
        other = small + 1 if small + 1 < len(groups) else small - 1
        first, second = sorted((small, other))
        groups[first] = groups[first] + groups[second]
        del groups[second]
    name = " x ".join(margin.questions)
    mapping: dict[Class, Class] = {}
    for group in groups:
        for cls in group:
            mapping[cls] = group[0]
        if len(group) > 1:
            notes.append(f"{name}: " + " + ".join("/".join(c) for c in group))
    return mapping, notes
