"""The newcomers: residents who completed between any two publications, as a reader of every
publication sees them. Pure; part of the disclosure audit (`bot.stats.disclosure`).

Publications are numbered 1..P (P: the one being audited; 0: before the first, every count 0).
A reader who saw them all knows that each count at publication t is some x_t >= 0 obeying the
survey's sums, that counts only grow (x_i <= x_t <= x_j for i <= t <= j), and every value that
was shown or computable at each publication (`History.releases`). The audit solves the values of
every publication as ONE linear system (`extend`, `read`): the counts now are the audit's own
unknowns, each earlier publication adds its values unknown then. A reader may compare any two
publications, and combine several:
- the relations of `bot.stats.model` hold at every publication (at an earlier one, those its
  stored values satisfy: a survey changed since keeps the sums that held then);
- a growth x_j - x_i a reader computes to be zero empties its parts (zeros within sums, as for
  counts: a multi answer has at least one choice) for the newcomers of (i, j], and then
  x_t = x_i for every i <= t <= j (counts only grow), whatever was shown at t;
- a multi answer has at least one choice among the newcomers of any period;
- between two publications, zeros chain through a third question (`bot.stats.chains`: "no
  newcomer of the north chose park" and "every young newcomer did" give "no newcomer is young
  and in the north"). Counts up to one publication do not (the audit's stated limit).

What must hold (k = the survey's `min_group_size`), checked by `exposed` for every period
(i, j), 0 <= i < j <= P, but (0, P), which is the audit's own (the counts now):
- no growth a reader computes is a count of 1..k-1 residents (not a count of non-answers), a
  count of a group of 1..k-1 of the period's residents, or a count that all, or all but one, of
  a group's k or more residents of the period added; a growth of zero is about nobody (the audit
  treats computed zeros the same way);
- no count hidden at an earlier publication (with a value other than 0 and other than the one a
  reader knew before it) can be computed now.
The work grows with the number of publications: with more than `MAX_RELEASES` earlier ones the
audit stops modelling them (`overloaded`) and hides everything a reader does not know anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from bot.stats.chains import chained, chains, possible
from bot.stats.forced import Inequality, forced_zeros, multi_growths, step_inequality
from bot.stats.history import History
from bot.stats.model import Group, Quantity, TallyModel

#: (parts, total): parts that cannot be negative, whose total is zero when each of them is.
Sum = tuple[Sequence[Quantity], Quantity]

#: Earlier publications the audit models; beyond, it hides all but what is public. A release
#: schedule doubling from 100 (100, 200, 400, ...) reaches 12 publications at 204,800 responses.
MAX_RELEASES = 12

#: Two publications (i, j), i < j: the residents who completed after i, up to j.
Period = tuple[int, int]

#: A multi-answer inequality of step t, sum(c * growth of q) >= 0, tight in every solution.
Tight = tuple[int, frozenset[tuple[Quantity, int]]]


def sensitive_counts(
    values: Mapping[Quantity, int],
    non_answers: Collection[Quantity],
    groups: Iterable[Group],
    k: int,
) -> set[Quantity]:
    """Counts that must never be shown or derived: 1..k-1 answers, all of a small group, and
    an answer that all or all but one of a group of k or more chose."""
    found = {q for q, v in values.items() if 0 < v < k and q not in non_answers}
    for group in groups:
        size = values.get(group.total)
        if size is None:
            continue
        if 0 < size < k:
            found.add(group.total)
            found.update(group.members)
        elif size:
            found.update(m for m in group.members if values.get(m, 0) >= max(size - 1, 1))
    return found


def zeros_within(
    sums: Iterable[Sum], values: Mapping[Quantity, int], known: Callable[[Quantity], bool]
) -> set[Quantity]:
    """Counts a reader knows are zero from others (`known`: a reader knows its value): the
    parts of a zero total, and a total whose parts are all zero."""
    zero: set[Quantity] = set()
    sums = [(parts, total) for parts, total in sums if values.get(total) == 0]
    grew = True
    while grew:
        grew = False
        for parts, total in sums:
            if total in zero or known(total):
                new = [p for p in parts if p not in zero]
            elif parts and all(p in zero or known(p) for p in parts):
                new = [total]
            else:
                continue
            if new:
                zero.update(new)
                grew = True
    return zero


def runs(periods: Iterable[Period]) -> list[Period]:
    """Periods joined where they share a publication: a count unchanged over (0, 2) and (2, 4)
    is unchanged over (0, 4)."""
    joined: list[Period] = []
    for first, last in sorted(periods):
        if joined and first <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], last))
        else:
            joined.append((first, last))
    return joined


class Newcomers:
    """Every earlier publication of a history, solved with the counts now (module docstring);
    inactive without a release history."""

    def __init__(
        self,
        model: TallyModel,
        history: History,
        k: int,
        rows: Sequence[Mapping[Quantity, int]],
        sums: Sequence[Sum],
        overlapping: Sequence[Sum],
    ) -> None:
        self.values = values = model.values
        releases = history.releases
        self.overloaded = len(releases) > MAX_RELEASES
        self.active = bool(releases) and not self.overloaded
        self.sums, self.overlapping = sums, overlapping
        #: Publication P, the one being audited.
        self.now = now = len(releases) + 1 if self.active else 0
        if not self.active:
            releases = ()
        #: The values at each publication 0..P.
        self.states: list[Mapping[Quantity, int]] = [dict.fromkeys(values, 0)]
        self.states += [{q: r.values.get(q, 0) for q in values} for r in releases]
        self.states.append(values)
        #: The last publication: the one being audited (1 without a history).
        self.last = len(self.states) - 1
        #: Columns of the values an earlier publication did not let a reader know, numbered
        #: after the audit's own (see `extend`).
        self.local: dict[tuple[int, Quantity], int] = {}
        for t, release in enumerate(releases, start=1):
            for q in values:
                if q not in release.known:
                    self.local[t, q] = len(self.local)
        #: The relations at each earlier publication, over its own columns.
        self.fixed: list[dict[int, int]] = []
        for t in range(1, now):
            state = self.states[t]
            for row in rows:
                if sum(c * state[q] for q, c in row.items()):
                    continue  # not a fact then (the survey changed since)
                own = {self.local[t, q]: c for q, c in row.items() if (t, q) in self.local}
                if own:
                    self.fixed.append(own)
        self.periods = [(i, j) for j in range(1, now + 1) for i in range(j)]
        growth = {(i, j): self.growth(i, j) for i, j in self.periods}
        self.growths = growth
        #: Growths that are zero (the candidates for a reader's zeros) and that must not be
        #: computed, per period (the counts now are the audit's own).
        self.zeros = {p: {q for q, d in g.items() if d == 0} for p, g in growth.items()}
        self.sensitive = {
            p: {q for q in sensitive_counts(g, model.non_answers, model.groups, k) if g[q] > 0}
            for p, g in growth.items()
            if p != (0, now)
        }
        #: Chains of zeros through a third question (`bot.stats.chains`) that can derive a
        #: zero among the residents of a period between two publications.
        rules = chains(model) if self.active else []
        self.chains = {p: possible(rules, g) for p, g in growth.items() if p[0] > 0}
        #: Shown counts hidden at an earlier publication whose value then is a secret.
        self.hidden_then: dict[int, set[Quantity]] = {}
        before: dict[Quantity, int] = {}
        for t, release in enumerate(releases, start=1):
            state = self.states[t]
            self.hidden_then[t] = {
                q
                for q in model.shown
                if (t, q) in self.local and state[q] and state[q] != before.get(q)
            }
            before.update((q, state[q]) for q in release.known if q in values)
        #: Growths a reader computes to be zero, per period (found by solving).
        self.found: dict[Period, set[Quantity]] = {}
        #: The zero growths the last system was built with, per period.
        self.known_zero: dict[Period, set[Quantity]] = {}
        #: Whether the last `read` found a new zero growth (the audit then solves again).
        self.grew = False
        self.exposures: set[Quantity] = set()
        #: What a reader pins of each exposure: a growth or an earlier value, as a linear
        #: function of the values at each publication (`bot.stats.complements`).
        self.pins: dict[Quantity, dict[tuple[int, Quantity], int]] = {}
        #: Hidden counts now that every solution has zero (`bot.stats.forced`).
        self.now_zeros: set[Quantity] = set()
        self._offset = 0
        self._index: Mapping[Quantity, int] = {}
        self._system: list[dict[int, int]] = []
        self._truth: list[int] = []
        self._kernel: Sequence[int] = ()
        #: Zero growths chained through a third question (not linear: `force`), and those
        #: and the floors there were when the program last ran (None: not since `reset`).
        self.chained: set[tuple[Period, Quantity]] = set()
        self.tight: set[Tight] = set()  # multi-answer ones tight in every solution: `extend`
        self._relaxed: tuple[set[tuple[Period, Quantity]], int] | None = None

    def growth(self, i: int, j: int) -> dict[Quantity, int]:
        then, later = self.states[i], self.states[j]
        return {q: later[q] - then[q] for q in self.values}

    def reset(self) -> None:
        self.found, self.grew, self.exposures, self.now_zeros = {}, False, set(), set()
        self.pins, self.chained, self._relaxed, self.tight = {}, set(), None, set()

    def column(self, t: int, q: Quantity) -> int | None:
        """The column of a value in the last system (None: a reader knows it)."""
        if t == self.last:
            return self._index.get(q)
        found = self.local.get((t, q))
        return None if found is None else self._offset + found

    def extend(
        self,
        index: Mapping[Quantity, int],
        system: list[dict[int, int]],
    ) -> int:
        """Add the earlier publications to a system whose columns `index` are the counts
        unknown now; return the number of columns."""
        self._offset, self._index, self._system = len(index), index, system
        self._truth = [self.values[q] for q in index]
        self._truth += [self.states[t][q] for t, q in self.local]
        for t, growth in self.tight:  # an equation now
            self.add(
                system, {**{(t, q): c for q, c in growth}, **{(t - 1, q): -c for q, c in growth}}
            )
        if not self.active:
            return len(index)
        columns = len(index) + len(self.local)
        system.extend({self._offset + c: v for c, v in row.items()} for row in self.fixed)
        unchanged: dict[Quantity, list[Period]] = {}  # periods a count is known not to grow in
        for period in self.periods:
            zero = self.zero_growths(period)
            self.known_zero[period] = zero
            i, j = period
            for q in zero:
                unchanged.setdefault(q, []).append(period)
            for members, total in self.overlapping:
                left = [m for m in members if m not in zero]
                if len(left) == 1:  # every newcomer of the period who answered chose it
                    m = left[0]
                    self.add(system, {(j, total): 1, (i, total): -1, (j, m): -1, (i, m): 1})
        for q, periods in unchanged.items():
            for first, last in runs(periods):
                for t in range(first + 1, last + 1):  # counts only grow: the same in between
                    self.add(system, {(t, q): 1, (first, q): -1})
        return columns

    def zero_growths(self, period: Period) -> set[Quantity]:
        """The zero growths of a period a reader knows: both values known, or computed, and
        what zeros within sums add."""
        i, j = period
        seed = {
            q for q in self.zeros[period] if self.column(i, q) is None and self.column(j, q) is None
        }
        seed |= self.found.get(period, set())
        zero = seed | zeros_within(self.sums, self.growths[period], seed.__contains__)
        rules = self.chains.get(period, [])
        while new := chained(rules, zero):
            self.chained.update((period, q) for q in new)
            zero |= new
            zero |= zeros_within(self.sums, self.growths[period], zero.__contains__)
        return zero

    def add(self, system: list[dict[int, int]], terms: Mapping[tuple[int, Quantity], int]) -> None:
        row: dict[int, int] = {}
        for (t, q), c in terms.items():
            column = self.column(t, q)
            if column is not None:
                row[column] = row.get(column, 0) + c
        row = {c: v for c, v in row.items() if v}
        if row:
            system.append(row)

    def read(self, kernel: Sequence[int], relax: bool = False) -> None:
        """After solving (`kernel`: `span.kernel_vector` of the system): note the zero growths
        and what a reader must not compute and does; with `relax`, also what non-negativity
        forces (`steady`, an LP: the audit asks for it once the equalities say no more)."""
        self._kernel = kernel

        def value(t: int, q: Quantity) -> int:
            column = self.column(t, q)
            return 0 if column is None else kernel[column]

        steady = self.steady(value, relax)
        self.now_zeros |= {  # what a reader knows only grows until `reset`
            q for q in self._index if all((t, q) in steady for t in range(1, self.last + 1))
        }
        if not self.active:
            return
        self.grew = False
        for period in self.periods:
            i, j = period
            if period == (0, self.now):
                continue  # the audit's own zeros
            found = self.found.setdefault(period, set())
            for q in self.zeros[period] - self.known_zero.get(period, set()) - found:
                if value(i, q) == value(j, q) or all((t, q) in steady for t in range(i + 1, j + 1)):
                    found.add(q)
                    self.grew = True
        pins: dict[Quantity, dict[tuple[int, Quantity], int]] = {}
        for (i, j), sensitive in self.sensitive.items():
            for q in sensitive:
                if value(i, q) == value(j, q):
                    pins.setdefault(q, {(j, q): 1, (i, q): -1})
        for t, hidden in self.hidden_then.items():
            for q in hidden:
                if value(t, q) == 0:
                    pins.setdefault(q, {(t, q): 1})
        self.exposures = set(pins)
        self.pins = pins

    def force(self, floored: int) -> bool:
        """`read` the last solution again with what non-negativity forces: whether that found
        a zero growth or a zero count now that the equalities alone did not. Everything the
        audit derives holds in every solution of the program (`steady`) but zeros chained
        through a third question and floors (`floored`: how many counts the audit has pinned
        at their floors; a version-2 history has floors from publications it does not
        model), so the program says nothing new unless one of those has joined the system
        since it last ran."""
        if self._relaxed is not None:
            chained, before = self._relaxed
            if self.chained <= chained and floored == before:
                return False
        self._relaxed = (set(self.chained), floored)
        zeros, tight = set(self.now_zeros), len(self.tight)
        self.read(self._kernel, relax=True)
        return self.grew or not self.now_zeros <= zeros or len(self.tight) > tight

    def steady(
        self, value: Callable[[int, Quantity], int], relax: bool
    ) -> set[tuple[int, Quantity]]:
        """(t, q): the count q is the same at publications t - 1 and t in every solution a
        reader has (no newcomer of that step is in it): what the equalities pin (`value`: the
        kernel's), and with `relax` what non-negativity and monotonicity force besides
        (`bot.stats.forced`)."""
        steady: set[tuple[int, Quantity]] = set()
        candidates: list[tuple[int, Quantity]] = []
        inequalities: list[Inequality] = []
        others: list[Inequality] = []
        for t in range(1, self.last + 1):
            before, after = self.states[t - 1], self.states[t]
            for q in self.values:
                new, old = self.column(t, q), self.column(t - 1, q)
                grown = after[q] - before[q]
                if not grown and value(t, q) == value(t - 1, q):
                    steady.add((t, q))  # known, or pinned by the equalities
                    continue
                if not relax:
                    continue
                terms = {c: v for c, v in ((new, 1), (old, -1)) if c is not None}
                if not terms:
                    continue  # both known: it grew
                constant = (after[q] if new is None else 0) - (before[q] if old is None else 0)
                if grown:
                    others.append((terms, constant))
                else:
                    candidates.append((t, q))
                    inequalities.append((terms, constant))
        if not relax:
            return steady
        multi: list[Tight] = []  # tight in the truth: candidates too
        for t in range(1, self.last + 1):  # every newcomer who answered chose one or more
            change = self.growth(t - 1, t)
            for growth in multi_growths(self.overlapping):
                found = step_inequality(t, growth, self.column, self.states)
                pinned = not sum(c * (value(t, q) - value(t - 1, q)) for q, c in growth.items())
                if found and not sum(c * change[q] for q, c in growth.items()):
                    tight = (t, frozenset(growth.items()))  # pinned: an equation already
                    if tight not in self.tight and not pinned:
                        multi.append(tight)
                        inequalities.append(found)
                elif found:
                    others.append(found)
        if candidates or multi:
            every = len(candidates) + len(multi)
            forced = forced_zeros(self._system, self._truth, inequalities + others, every)
            steady.update(candidates[k] for k in forced if k < len(candidates))
            self.tight.update(multi[k - len(candidates)] for k in forced if k >= len(candidates))
        return steady

    def pin(self, quantity: Quantity) -> dict[tuple[int, Quantity], int]:
        """What a reader pins of an exposure: its growth over a period or its value then
        (`pins`), else its value now."""
        return self.pins.get(quantity, {(self.last, quantity): 1})

    def exposed(self, public: Collection[Quantity]) -> list[Quantity]:
        """Counts whose growth over a period or earlier value a reader computes and must not."""
        return sorted(self.exposures - set(public))


__all__ = ["MAX_RELEASES", "Newcomers", "Sum", "sensitive_counts", "zeros_within"]
