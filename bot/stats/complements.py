"""Complements that unpin: which shown counts to hide so that a count (or a growth, or an
earlier value) a reader pins is no longer pinned, read from the reader's linear program. Pure;
part of the disclosure audit (`bot.stats.disclosure`), which decides what is pinned and checks
every complement chosen here again; a poor choice costs detail, never safety.

The program is what a reader of every publication knows, over the real numbers: the survey's
sums now and at each earlier publication (`bot.stats.newcomers`), every count >= 0, counts
never go down between publications, and among the newcomers of each step a multi answer's
residents chose at least one of its answers (and no answer more often than they answered).
Counts shown now are variables fixed at their value by bounds, so the program's dual says which
of them its proof uses: a shown count whose bound has a non-zero dual value (reduced cost) is
one whose hiding moves the optimum, at least for that proof. `Relaxation.support` maximises
the sum of the exposed functions (counts now, growths, earlier values): when each is at its
true value v at the optimum, the reader's bounds f <= v are tight, and hiding a count of the
support breaks that proof (a function whose optimum is above v is not pinned by the program:
it is left out and the others are solved again).

What must hold: `support` returns only counts shown now, and nothing when the program pins
none of the functions (what pins them then is reasoning the program does not model, e.g.
chains of zeros through a third question; the audit then hides counts near them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, csr_matrix

from bot.stats.model import Quantity
from bot.stats.newcomers import Newcomers, Sum

#: A value at a publication: (t, quantity), t = `Newcomers.last` for the counts now.
Value = tuple[int, Quantity]

#: A linear function of values: coefficient per value.
Functional = Mapping[Value, int]

#: Optima within this of the true value count as the true value (HiGHS works to about 1e-7).
_TOLERANCE = 1e-6


class Relaxation:
    """The reader's linear program for one audit (module docstring); the suppression pattern
    is given to each `support`."""

    def __init__(
        self,
        newcomers: Newcomers,
        rows: Sequence[Mapping[Quantity, int]],
        overlapping: Sequence[Sum],
    ) -> None:
        values = newcomers.values
        self.newcomers = newcomers
        self.last = last = newcomers.last
        self.quantities = list(values)
        self.now = {q: i for i, q in enumerate(self.quantities)}
        self.earlier = {key: len(self.now) + i for key, i in newcomers.local.items()}
        self.width = len(self.now) + len(self.earlier)
        equal = _Rows()
        for row in rows:
            equal.add({self.now[q]: c for q, c in row.items()}, 0)
        offset = len(self.now)
        then = [newcomers.states[t][q] for t, q in newcomers.local]  # numbered in this order
        for earlier in newcomers.fixed:  # the sums at earlier publications
            terms = {offset + c: v for c, v in earlier.items()}
            equal.add(terms, sum(v * then[c] for c, v in earlier.items()))
        upper = _Rows()  # each row: terms @ x <= constant
        for t in range(1, last + 1):
            for q in self.quantities:  # x_{t-1} - x_t <= 0
                self._step(upper, t, {q: -1})
            for members, total in overlapping:  # growths of one step
                self._step(upper, t, {total: 1, **{m: -1 for m in members}})
                for m in members:
                    self._step(upper, t, {m: 1, total: -1})
        self.equal, self.upper = equal.matrix(self.width), upper.matrix(self.width)
        self.equal_b, self.upper_b = np.array(equal.constants), np.array(upper.constants)

    def column(self, t: int, q: Quantity) -> int | None:
        """The program's column of a value (None: a constant a reader knows)."""
        if t == self.last:
            return self.now[q]
        return self.earlier.get((t, q))

    def constant(self, t: int, q: Quantity) -> int:
        return self.newcomers.states[t][q]

    def _step(self, upper: _Rows, t: int, growth: Mapping[Quantity, int]) -> None:
        """Add sum(c * (x_t[q] - x_{t-1}[q])) <= 0 over `growth`; nothing if all constant."""
        terms: dict[int, int] = {}
        constant = 0
        for q, c in growth.items():
            for when, sign in ((t, c), (t - 1, -c)):
                column = self.column(when, q)
                if column is None:
                    constant -= sign * self.constant(when, q)
                else:
                    terms[column] = terms.get(column, 0) + sign
        terms = {c: v for c, v in terms.items() if v}
        if terms:
            upper.add(terms, constant)

    def support(
        self, pins: Mapping[Quantity, Functional], shown: Callable[[Quantity], bool]
    ) -> set[Quantity]:
        """The counts shown now whose hiding breaks the reader's proof that the pinned
        functions are at most their true values: one program for all (the proof of their sum
        is the sum of their proofs). Pins the program does not bound are left out. `shown`:
        whether a reader is given a count now (shown and not hidden)."""
        values = self.newcomers.values
        fixed = {q for q in self.quantities if shown(q)}
        bounds = [(values[q], values[q]) if q in fixed else (0, None) for q in self.quantities]
        bounds += [(0, None)] * len(self.earlier)
        left = dict(pins)
        while left:
            cost = np.zeros(self.width)
            truths: dict[Quantity, tuple[dict[int, int], int]] = {}
            for name, functional in left.items():
                terms: dict[int, int] = {}
                truth = 0  # of the part that is not constant
                for (t, q), c in functional.items():
                    column = self.column(t, q)
                    if column is not None:
                        terms[column] = terms.get(column, 0) + c
                        truth += c * self.constant(t, q)
                truths[name] = terms, truth
                for column, c in terms.items():
                    cost[column] -= c
            result = linprog(
                cost,
                A_ub=self.upper,
                b_ub=self.upper_b,
                A_eq=self.equal,
                b_eq=self.equal_b,
                bounds=bounds,
                method="highs",
            )
            if result.status != 0 or result.x is None:
                return set()
            loose = {
                name
                for name, (terms, truth) in truths.items()
                if sum(c * result.x[column] for column, c in terms.items()) > truth + _TOLERANCE
            }
            if not loose:
                reduced = np.abs(result.lower.marginals) + np.abs(result.upper.marginals)
                return {q for q in fixed if reduced[self.now[q]] > _TOLERANCE}
            for name in loose:
                del left[name]
        return set()


class _Rows:
    """Sparse rows with their constants, for `scipy.optimize.linprog`."""

    def __init__(self) -> None:
        self.r: list[int] = []
        self.c: list[int] = []
        self.v: list[float] = []
        self.constants: list[float] = []

    def add(self, terms: Mapping[int, int], constant: float) -> None:
        row = len(self.constants)
        for c, v in terms.items():
            self.r.append(row)
            self.c.append(c)
            self.v.append(v)
        self.constants.append(constant)

    def matrix(self, width: int) -> csr_matrix:
        shape = (len(self.constants), width)
        return coo_matrix((self.v, (self.r, self.c)), shape=shape).tocsr()


__all__ = ["Functional", "Relaxation", "Value"]
