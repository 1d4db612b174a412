"""Suppression: which published counts to hide so that no count of 1..k-1, no count of a group
smaller than k, no group where all (or all but one) answered alike, and nothing that comparing
with earlier publications would give away, can be read or worked out. Pure; `bot.stats.tables`
builds every table on the pattern computed here.

What must hold (k = the survey's `min_group_size`):
- primary suppression: counts of 1..k-1; every count of a group of 1..k-1 residents; a count
  that all, or all but one, of a group of k or more chose (the observer may be the one); and
  what `bot.stats.history.History.sensitive_since` names: counts whose difference from an
  earlier publication would be about 1..k-1 newcomers, or pin a count hidden earlier;
- each count is at least its last known value: parts whose floors add up to their total are
  pinned (the audit treats them so);
- every earlier publication is solved with this one (`bot.stats.newcomers`): nothing protected
  in the growth between any two publications, or hidden in an earlier one, may be computable;
- complementary suppression, audited exactly: a hidden count is recoverable iff its unit vector
  lies in the row space of the relations (`bot.stats.model.TallyModel`) restricted to hidden
  counts; complements (that the reader's proof uses: `bot.stats.complements`) until none;
- one pattern per snapshot and history (cached for the last few), so combining views of one
  publication reveals no more than one view; the next is audited against `Disclosure.known`;
- if complements cannot protect a protected count, or have not after `MAX_ROUNDS` rounds (a
  bound on the audit's time: a batch far smaller than the publication before it can otherwise
  add two complements a round for minutes), all is hidden but what is known anyway.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from bot.stats.complements import Relaxation
from bot.stats.history import History
from bot.stats.model import RESPONSES, Quantity, TallyModel, tally_model
from bot.stats.newcomers import Newcomers, sensitive_counts, zeros_within
from bot.stats.span import kernel_vector
from bot.survey.model import Survey
from storage.base import Snapshot


@dataclass(frozen=True)
class Suppressed:
    """A count hidden by disclosure control; shown as "<k"."""

    below: int

    def __str__(self) -> str:
        return f"<{self.below}"


PublishedCount = int | Suppressed


@dataclass(frozen=True)
class Disclosure:
    """The suppression pattern of one snapshot: what every shown quantity publishes as."""

    model: TallyModel
    k: int
    suppressed: frozenset[Quantity]
    #: Every quantity a reader can compute exactly from this publication and earlier ones.
    known: frozenset[Quantity] = frozenset()

    def get(self, quantity: Quantity) -> PublishedCount:
        if quantity not in self.model.shown:
            raise KeyError(quantity)
        if quantity in self.suppressed:
            return Suppressed(self.k)
        return self.model.values[quantity]


_CACHE: OrderedDict[tuple[object, ...], Disclosure] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4


def disclosure(survey: Survey, snapshot: Snapshot) -> Disclosure:
    """The suppression pattern of a snapshot (remembered for the last few snapshots: the
    audit is linear algebra over every count of the survey)."""
    key = (  # the breakdowns too: declaring sources keeps the version but adds one
        (survey.version, survey.min_group_size, tuple(q.id for q in survey.breakdown_questions)),
        snapshot.survey_id,
        snapshot.responses,
        tuple(sorted(snapshot.cells.items())),
        snapshot.disclosure_history,
    )
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    model = tally_model(survey, snapshot)
    history = History.from_json(snapshot.disclosure_history)
    suppressed, known = audit(model, survey.min_group_size, history)
    result = Disclosure(model, survey.min_group_size, suppressed, known)
    with _CACHE_LOCK:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def history_after(survey: Survey, snapshot: Snapshot) -> str:
    """What this publication and every one before it tell staff, for the store to keep
    (`Store.record_disclosure`) and the next publication to be audited against."""
    shown = disclosure(survey, snapshot)
    before = History.from_json(snapshot.disclosure_history)
    return before.after(shown.model, shown.known).to_json()


#: Rounds of complements before the audit gives up and hides everything but what is public.
#: The shipped release schedule needs at most 7 (1,500 responses), daily publications 23.
MAX_ROUNDS = 40


def audit(
    model: TallyModel, k: int, history: History | None = None, max_rounds: int = MAX_ROUNDS
) -> tuple[frozenset[Quantity], frozenset[Quantity]]:
    """The shown quantities to hide, and every quantity a reader can then compute."""
    checked = _Audit(model, k, history or History())
    if checked.newcomers.overloaded:  # too many publications to model: hide all
        suppressed = checked.everything()
        return suppressed, checked.known(suppressed)
    suppressed = checked.run(max_rounds)
    known = checked.known(suppressed)
    leaks = checked.newcomers.exposed(checked.public)
    if leaks or any(checked.exposed(q) for q in known):  # showing its zeros again pinned one
        suppressed = checked.everything()
        known = checked.known(suppressed)
    return suppressed, known


class _Audit:
    """Complementary suppression of one model: hide more until no protected count is pinned."""

    def __init__(self, model: TallyModel, k: int, history: History) -> None:
        self.model = model
        self.values = model.values
        self.history = history
        self.sensitive = sensitive_counts(model.values, model.non_answers, model.groups, k)
        self.sensitive |= history.sensitive_since(model, k)
        #: Hidden quantities pinned at their floor (see `floors`).
        self.floored: set[Quantity] = set()
        self.suppressed = {q for q in model.shown if q in self.sensitive}
        #: Derived quantities a reader does not know: all but the zeros the survey's rules
        #: make (a question everyone must answer has nobody who skipped it).
        certain = model.structural_zeros
        self.hidden = {
            q
            for q, v in self.values.items()
            if q not in model.shown and (v or q in self.sensitive or q not in certain)
        }
        #: Zeros a reader knows without being shown them (see `known_zeros`), and those
        #: computed from shown counts (see `reason`).
        self.zero: set[Quantity] = set()
        self.derived_zeros: set[Quantity] = set()
        self.rows: list[dict[Quantity, int]] = []
        self.rows_of: dict[Quantity, list[int]] = {}
        for relation in model.relations:
            row: dict[Quantity, int] = {}
            for q in relation.plus:
                row[q] = row.get(q, 0) + 1
            for q in relation.minus:
                row[q] = row.get(q, 0) - 1
            row = {q: c for q, c in row.items() if c}
            if row:
                for q in row:
                    self.rows_of.setdefault(q, []).append(len(self.rows))
                self.rows.append(row)
        #: (parts, total) with parts that cannot be negative: a zero total makes each part zero.
        sums = [(r.plus, r.minus[0]) for r in model.relations if len(r.minus) == 1]
        exact = {(frozenset(parts), total) for parts, total in sums}
        self.exact_sums = sums
        self.sums = sums + [(g.members, g.total) for g in model.groups]
        #: Groups whose counts do not add up to their total (multi questions): each resident
        #: chose at least one, so the total is known to equal the one count not known zero.
        self.overlapping = [
            (g.members, g.total)
            for g in model.groups
            if g.members and (frozenset(g.members), g.total) not in exact
        ]
        #: Quantities that appear together in a relation or a group.
        self.links = [set(row) for row in self.rows] + [{*p, t} for p, t in self.sums]
        self.links_of: dict[Quantity, list[int]] = {}
        for index, link in enumerate(self.links):
            for q in link:
                self.links_of.setdefault(q, []).append(index)
        #: The residents who completed since the last publication (`bot.stats.newcomers`).
        self.newcomers = Newcomers(model, history, k, self.rows, self.sums, self.overlapping)
        #: Counts every reader knows whatever is hidden (e.g. "answered q" is the number of
        #: responses when q must be answered): neither protectable nor a useful complement.
        self.public = self.always_known()

    def unknown(self, quantity: Quantity) -> bool:
        hidden = quantity in self.suppressed or quantity in self.hidden
        return hidden and quantity not in self.zero and quantity not in self.floored

    def protected(self, quantity: Quantity) -> bool:
        needed = quantity in self.suppressed or quantity in self.sensitive
        return needed and quantity not in self.zero and quantity not in self.public

    def run(self, max_rounds: int) -> frozenset[Quantity]:
        for _ in range(max_rounds):
            self.derived_zeros = set()
            self.zero = self.known_zeros()
            self.propagate()
            determined = self.reason()
            exposed = sorted(q for q in determined | self.floored if self.exposed(q))
            exposed += self.newcomers.exposed(self.public)
            added = self.complements(exposed)
            if not added:
                if exposed:  # nothing left to hide near them: hide everything
                    return self.everything()
                # A count that a reader knows is zero anyway is shown as 0: that tells
                # nobody anything new.
                return frozenset(self.suppressed - self.zero)
            self.suppressed.update(added)
        return self.everything()

    def exposed(self, quantity: Quantity) -> bool:
        """A protected quantity a reader computes, unless pinned at its last known value as a
        complement or zero: that says only that no newcomer is in it (their groups are
        protected in their own right)."""
        floored = quantity in self.floored
        if floored and (quantity not in self.sensitive or not self.values[quantity]):
            return False
        return self.protected(quantity)

    def everything(self) -> frozenset[Quantity]:
        """Every shown count but what a reader knows anyway (see `always_known`)."""
        hide = {q for q in self.model.shown if q != RESPONSES and q not in self.public}
        return frozenset(hide | ({RESPONSES} & self.sensitive))

    def known(self, suppressed: frozenset[Quantity]) -> frozenset[Quantity]:
        """Every quantity a reader computes exactly when `suppressed` is hidden."""
        self.suppressed = set(suppressed)
        self.derived_zeros, self.floored = set(), set()
        determined = self.reason()
        return frozenset(q for q in self.values if not self.unknown(q)) | determined

    def reason(self) -> set[Quantity]:
        """What a reader can compute exactly, alternating sums with non-negativity: a count
        computed to be zero empties every count it contains, which may pin more."""
        self.newcomers.reset()
        while True:
            self.zero = self.known_zeros()
            determined = self.determined()
            new = {q for q in determined if self.values[q] == 0} | self.newcomers.now_zeros
            new -= self.derived_zeros
            floored = self.floors(determined)
            if not new and not floored and not self.newcomers.grew:
                if not self.newcomers.force(len(self.floored)):  # the LP, at a fixpoint
                    return determined
                new = self.newcomers.now_zeros - self.derived_zeros
            self.derived_zeros |= new
            self.floored |= floored

    def floors(self, determined: set[Quantity]) -> set[Quantity]:
        """Hidden parts of a known total pinned at their floors by earlier publications."""
        known = lambda q: not self.unknown(q) or q in determined  # noqa: E731
        return self.history.floored(self.exact_sums, self.values, known) - self.floored

    def known_zeros(self) -> set[Quantity]:
        """Counts a reader knows are zero without being shown them: the parts of a known zero
        total (nobody chose c, so nobody in any group did), and a total whose parts are all
        known zeros (a multi answer has at least one choice). Public, so not protectable."""

        def known(q: Quantity) -> bool:
            hidden = q in self.suppressed or q in self.hidden
            return self.values[q] == 0 and (not hidden or q in self.derived_zeros)

        return zeros_within(self.sums, self.values, known)

    def propagate(self) -> None:
        """Cheap first pass: a relation with one unknown left gives it away, so hide another
        count of it (or, for a count nobody needs to protect, treat it as known)."""
        derived: set[Quantity] = set()
        while True:
            progress = grew = False
            for row in self.rows:
                left = [q for q in row if self.unknown(q) and q not in derived]
                if len(left) != 1:
                    continue
                (only,) = left
                choice = self.best(row) if self.protected(only) else None
                if choice is None:
                    derived.add(only)
                    progress = True
                else:
                    self.suppressed.add(choice)
                    grew = True
            if grew:
                derived = set()  # what was derivable may not be any more
            elif not progress:
                return

    def best(self, quantities: Mapping[Quantity, int] | set[Quantity]) -> Quantity | None:
        """The shown count whose hiding costs least: cells before totals, non-zero before
        zero (a zero known from other zeros last: hiding it helps only once they are hidden
        too), one that closes a loop with another hidden count (a 2x2 block instead of a
        chain), then the smallest."""
        line = set(quantities)
        candidates = [
            q
            for q in line
            if q in self.model.shown
            and q not in self.suppressed
            and q not in self.public
            and q != RESPONSES
        ]
        if not candidates:
            return None

        def closes(q: Quantity) -> bool:
            for index in self.rows_of.get(q, ()):
                row = self.rows[index]
                if row.keys() != line and any(self.unknown(o) for o in row if o != q):
                    return True
            return False

        def cost(q: Quantity) -> tuple[int, bool, int, Quantity]:
            value = self.values[q]
            tier = 4 * (q in self.zero) + 2 * (value == 0) + (q[0] != "S")
            return (tier, not closes(q), value, q)

        return min(candidates, key=cost)

    @cached_property
    def relaxation(self) -> Relaxation:
        """The reader's linear program (the same for every pattern of this audit)."""
        return Relaxation(self.newcomers, self.rows, self.overlapping)

    def complements(self, exposed: list[Quantity]) -> list[Quantity]:
        """A count to hide per exposed one: the nearest that the reader's proof of their values
        uses (`bot.stats.complements`), else the nearest."""
        given = lambda q: q not in self.suppressed and q not in self.hidden  # noqa: E731
        proof = self.relaxation.support({q: self.newcomers.pin(q) for q in exposed}, given)
        added: list[Quantity] = []
        for q in exposed:
            choice = self.complement_near(q, proof - set(added)) or self.complement_near(q)
            if choice is not None:
                added.append(choice)
        return added

    def complement_near(
        self, quantity: Quantity, among: set[Quantity] | None = None
    ) -> Quantity | None:
        """A count to hide next to an exposed one (of `among`, if given), looking further out
        (through hidden counts and known zeros) when none is near."""
        frontier, seen_links, seen = {quantity}, set[int](), {quantity}
        while frontier and among != set():
            near: set[Quantity] = set()
            for q in frontier:
                for index in self.links_of.get(q, ()):
                    if index not in seen_links:
                        seen_links.add(index)
                        near.update(self.links[index])
            choice = self.best(near if among is None else near & among)
            if choice is not None:
                return choice
            frontier = {q for q in near - seen if self.unknown(q) or q in self.zero}
            seen |= near
        return None

    def always_known(self) -> set[Quantity]:
        """What a reader knows with every shown count hidden but the number of responses."""
        everything = set(self.suppressed)
        self.suppressed.update(q for q in self.model.shown if q != RESPONSES)
        self.zero = self.known_zeros()
        known = self.determined() | self.zero
        self.suppressed, self.zero = everything, set()
        return known

    def determined(self) -> set[Quantity]:
        """Unknown quantities a reader can compute exactly from the shown ones."""
        unknown = [q for q in self.values if self.unknown(q)]
        index = {q: i for i, q in enumerate(unknown)}
        rows = list(self.rows)
        for members, total in self.overlapping:
            left = [m for m in members if m in self.zero or self.values[m] or self.unknown(m)]
            left = [m for m in left if m not in self.zero]
            if len(left) == 1:
                rows.append({total: 1, left[0]: -1})
        restricted = [{index[q]: c for q, c in row.items() if q in index} for row in rows]
        restricted = [row for row in restricted if row]
        columns = self.newcomers.extend(index, restricted)
        kernel = kernel_vector(restricted, columns)
        self.newcomers.read(kernel)
        return {q for i, q in enumerate(unknown) if not kernel[i]}


__all__ = [
    "Disclosure",
    "PublishedCount",
    "Suppressed",
    "audit",
    "disclosure",
    "history_after",
]
