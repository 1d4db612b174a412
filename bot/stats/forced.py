"""Forced zeros: which non-negative quantities of a linear system are zero in EVERY solution,
for the disclosure audit (`bot.stats.newcomers`). Pure; one linear program (scipy's HiGHS).

A reader knows the survey's sums, the shown counts and that counts never go down. A growth
x_j - x_i >= 0 (or a count x >= 0) may be forced to zero although no single sum names it:
"3 = a + 3 + b" with a, b >= 0 gives a = b = 0. The exact linear algebra of `bot.stats.span`
only finds what the equalities pin; this module finds the inequalities that are tight in every
solution (the implicit equalities of the polyhedron, "facial reduction"), so that the audit can
add them as equalities and solve again. With them, a linear function is pinned by the
polyhedron iff the equalities pin it (a linear function constant on a convex set is constant on
its affine hull).

The program, homogenised so that any solution can be scaled: maximise sum(y) subject to
A x = b s, g_k(x, s) >= y_k for the candidates, g(x, s) >= 0 for the other inequalities,
x >= 0, s >= 1, 0 <= y <= 1. Scaling a solution in which g_k > 0 makes y_k = 1, and the optimum
has y_k = 1 for every inequality that is not forced (an average of solutions is one), y_k = 0
for the forced ones.

What must hold: a forced inequality is never reported free (that would hide a leak): if the
solver does not report an optimum, every candidate is reported forced (the audit then hides
more). Limit: the real relaxation; a reader using that counts are whole numbers may know more
(see docs/disclosure.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

#: An inequality sum(c * x[column]) + constant >= 0.
Inequality = tuple[Mapping[int, int], int]

Q = TypeVar("Q")


def forced_zeros(
    rows: Sequence[Mapping[int, int]],
    truth: Sequence[int],
    inequalities: Sequence[Inequality],
    candidates: int,
) -> set[int]:
    """The indices among the first `candidates` inequalities that are zero in every solution
    x >= 0 of rows @ x == rows @ truth satisfying all `inequalities` (`truth`: one solution,
    the true values)."""
    if not candidates:
        return set()
    columns = len(truth)
    s, y = columns, columns + 1  # the scale, then the candidates' slacks
    eq_r: list[int] = []
    eq_c: list[int] = []
    eq_v: list[float] = []
    for r, row in enumerate(rows):
        for c, v in row.items():
            eq_r.append(r)
            eq_c.append(c)
            eq_v.append(v)
        eq_r.append(r)
        eq_c.append(s)
        eq_v.append(-sum(v * truth[c] for c, v in row.items()))
    ub_r: list[int] = []
    ub_c: list[int] = []
    ub_v: list[float] = []
    for k, (terms, constant) in enumerate(inequalities):
        for c, v in terms.items():  # -g(x, s) + y_k <= 0
            ub_r.append(k)
            ub_c.append(c)
            ub_v.append(-v)
        ub_r.append(k)
        ub_c.append(s)
        ub_v.append(-constant)
        if k < candidates:
            ub_r.append(k)
            ub_c.append(y + k)
            ub_v.append(1)
    width = y + candidates
    cost = np.zeros(width)
    cost[y:] = -1
    bounds = [(0, None)] * columns + [(1, None)] + [(0, 1)] * candidates
    equal = coo_matrix((eq_v, (eq_r, eq_c)), shape=(len(rows), width)) if rows else None
    upper = coo_matrix((ub_v, (ub_r, ub_c)), shape=(len(inequalities), width))
    result = linprog(
        cost,
        A_ub=upper.tocsr(),
        b_ub=np.zeros(len(inequalities)),
        A_eq=None if equal is None else equal.tocsr(),
        b_eq=None if equal is None else np.zeros(len(rows)),
        bounds=bounds,
        method="highs",
    )
    if result.status != 0 or result.x is None:
        return set(range(candidates))
    return {k for k in range(candidates) if result.x[y + k] < 0.5}


def step_inequality(
    t: int,
    growth: Mapping[Q, int],
    column: Callable[[int, Q], int | None],
    states: Sequence[Mapping[Q, int]],
) -> Inequality | None:
    """sum(c * (x_t[q] - x_{t-1}[q])) >= 0 over `growth` in a system's columns (`column`: None
    for a value a reader knows, `states[t][q]`); None if every value is known."""
    terms: dict[int, int] = {}
    constant = 0
    for q, c in growth.items():
        for when, sign in ((t, c), (t - 1, -c)):
            found = column(when, q)
            if found is None:
                constant += sign * states[when][q]
            else:
                terms[found] = terms.get(found, 0) + sign
    terms = {c: v for c, v in terms.items() if v}
    return (terms, constant) if terms else None


def multi_growths(overlapping: Sequence[tuple[Sequence[Q], Q]]) -> list[dict[Q, int]]:
    """Per multi answer (members, total) of a step: each newcomer who answered chose one or
    more (sum of the members' growths - the total's >= 0), and each member's growth is at
    most the total's (total - member >= 0)."""
    found: list[dict[Q, int]] = []
    for members, total in overlapping:
        found.append({total: -1, **dict.fromkeys(members, 1)})
        found += [{total: 1, m: -1} for m in members]
    return found


__all__ = ["Inequality", "forced_zeros", "multi_growths", "step_inequality"]
