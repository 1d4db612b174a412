"""The newcomers: residents who completed since the last publication, as a reader of both
publications sees them. Pure; part of the disclosure audit (`bot.stats.disclosure`).

Every count's growth since the last publication (`delta`) is a count of newcomers, and the
growths obey the same sums as the counts (all relations of `bot.stats.model` are sums). A reader
knows a growth when they knew the count at the last publication and know it now, and, from
growths that are zero, that no newcomer is counted in any part (as with zeros of counts: a multi
answer has at least one choice). The audit solves the counts now, the growths and the values
hidden at the last publication as one linear system (`extend`, `read`): a growth is the count now
minus its value then, one unknown when the value then was known.

What must hold (k = the survey's `min_group_size`), each checked by `exposed`:
- no growth a reader computes is a count of 1..k-1 newcomers (not a count of non-answers), a
  count of a newcomer group of 1..k-1, or a count that all, or all but one, of a group's k or
  more newcomers added (a growth known to be zero by the sums above is about nobody);
- no count hidden at the last publication (with a value other than 0 and other than the one
  shown before) can be computed now: before this check existed, a count unchanged since a
  publication that hid it had to stay hidden for good (`History.sensitive_since`, version 1).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from bot.stats.history import History
from bot.stats.model import Group, Quantity, TallyModel

#: (parts, total): parts that cannot be negative, whose total is zero when each of them is.
Sum = tuple[Sequence[Quantity], Quantity]


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


class Newcomers:
    """The newcomers since the last publication of a history (inactive without one)."""

    def __init__(
        self,
        model: TallyModel,
        history: History,
        k: int,
        sums: Sequence[Sum],
        overlapping: Sequence[Sum],
    ) -> None:
        self.values = values = model.values
        self.active = history.last_known is not None and not history.empty
        before = {q: history.at_last(q) for q in values} if self.active else {}
        #: Each count's growth since the last publication.
        self.delta = {q: values[q] - b for q, b in before.items() if b is not None}
        #: The last value a reader knew of each count (a floor for it ever since).
        self.last_known_value = history.known
        #: Counts a reader knew exactly at the last publication.
        self.seen = frozenset(history.last_known or ()) & self.delta.keys()
        self.sensitive = sensitive_counts(self.delta, model.non_answers, model.groups, k)
        #: Shown counts hidden at the last publication whose value there is a secret.
        self.hidden_before = {
            q
            for q in model.shown & self.delta.keys()
            if q not in self.seen and before[q] and before[q] != history.known.get(q)
        }
        self.sums, self.overlapping = sums, overlapping
        self.zero: set[Quantity] = set()
        self.derived_zeros: set[Quantity] = set()
        #: Growths the last `read` found to be zero.
        self.new_zeros: set[Quantity] = set()
        self.determined: set[Quantity] = set()
        self.pinned_before: set[Quantity] = set()
        self._columns: dict[Quantity, int] = {}
        self._before_columns: dict[Quantity, int] = {}
        self._index: Mapping[Quantity, int] = {}
        self._unknown_now: Callable[[Quantity], bool] = lambda q: True

    def reset(self) -> None:
        self.derived_zeros, self.new_zeros = set(), set()

    def find_zeros(self, unknown_now: Callable[[Quantity], bool]) -> None:
        """Growths a reader knows are zero from other zero growths (see `zeros_within`)."""
        if not self.active:
            return

        def known(q: Quantity) -> bool:
            return self.constant(q, unknown_now) or q in self.derived_zeros

        self.zero = zeros_within(self.sums, self.delta, known)

    def constant(self, q: Quantity, unknown_now: Callable[[Quantity], bool]) -> bool:
        """Whether a reader knows the growth without solving anything: the count now and
        then, or a count known now to be what it was when last known (zero, or an earlier
        value: counts only grow, so it was that at the last publication too)."""
        if unknown_now(q):
            return False
        return q in self.seen or self.values[q] == self.last_known_value.get(q, 0)

    def extend(
        self,
        index: Mapping[Quantity, int],
        unknown_now: Callable[[Quantity], bool],
        rows: Sequence[Mapping[Quantity, int]],
        system: list[dict[int, int]],
    ) -> int:
        """Add the growths (and the values hidden at the last publication) to a system whose
        columns `index` are the counts unknown now; return the number of columns."""
        columns = len(index)
        self._unknown_now = unknown_now
        if not self.active:
            return columns
        own: dict[Quantity, int] = {}
        for q in self.delta:
            if q in self.zero or q in self.derived_zeros or self.constant(q, unknown_now):
                continue
            if q in self.seen:  # growth = count now - its known value then
                own[q] = index[q]
            else:
                own[q], columns = columns, columns + 1
        for row in rows:
            system.append({own[q]: c for q, c in row.items() if q in own})
        for members, total in self.overlapping:
            left = [m for m in members if m not in self.zero and not self.known_zero(m)]
            if len(left) == 1 and total in self.delta:
                pair = ((total, 1), (left[0], -1))
                system.append({own[q]: c for q, c in pair if q in own})
        before: dict[Quantity, int] = {}
        for q in self.hidden_before:
            if q in index:  # value then = count now - growth
                before[q], columns = columns, columns + 1
                then = {before[q]: 1, index[q]: -1}
                if q in own:
                    then[own[q]] = 1
                system.append(then)
        self._columns, self._before_columns, self._index = own, before, index
        return columns

    def known_zero(self, q: Quantity) -> bool:
        return q in self.derived_zeros or (
            self.delta.get(q) == 0 and self.constant(q, self._unknown_now)
        )

    def read(self, free: Collection[int]) -> set[Quantity]:
        """After solving: note which growths and earlier values a reader computes, and return
        the growths newly found to be zero."""
        if not self.active:
            return set()
        own = self._columns
        self.determined = {q for q in self.delta if q not in own or own[q] not in free}
        self.pinned_before = {
            q
            for q in self.hidden_before
            if (q in self._before_columns and self._before_columns[q] not in free)
            or (q not in self._before_columns and q in self.determined)
        }
        new = {q for q in self.determined if self.delta[q] == 0}
        # A count computed now to be what it was when last known was that in between.
        new.update(
            q
            for q, column in self._index.items()
            if column not in free and self.values[q] == self.last_known_value.get(q, 0)
        )
        new -= self.derived_zeros
        self.derived_zeros |= new
        self.new_zeros = new
        return new

    def exposed(self, public: Collection[Quantity]) -> list[Quantity]:
        """Counts whose growth or earlier value a reader computes and must not."""
        found = {q for q in self.determined if q in self.sensitive and q not in self.zero}
        found |= self.pinned_before
        return sorted(found - set(public))


__all__ = ["Newcomers", "Sum", "sensitive_counts", "zeros_within"]
