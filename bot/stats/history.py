"""What staff already know from earlier publications, and which counts of a new publication
would give something away when compared with them. Pure.

Staff see every publication ever made, in order, and know that counts only grow. A publication
is audited against all earlier ones through a small state (`History`), updated after each
publication (`History.after`) and kept by the store between publications:

- `known`: the last exact value a reader had of each quantity (shown, or computed from shown
  ones). Counts never go down, so it is also a floor for the quantity in every later publication;
- `hidden`: for each quantity a reader could not compute, its true value at the last publication
  that hid it;
- `pairs`: for each group total and member, their values at the last publication where a
  reader knew both;
- `last_known`: the quantities a reader knew exactly at the last publication;
- `releases`: every publication so far, in order: the true value of every quantity then and
  which ones a reader knew exactly (version 3). `bot.stats.newcomers` audits with them the
  residents who completed between any two publications. A version-2 history recorded only the
  last publication (`last_known`, with `known` and `hidden`): it is read as one release; a
  version-1 history as none.

What must hold: a quantity `sensitive_since` returns is one the new publication must not let a
reader compute (the audit in `bot.stats.disclosure` then hides it and its complements):
- a count (not a count of non-answers) that grew by 1..k-1 since a reader last knew it: that is
  a count of 1..k-1 residents, the newcomers (finding: "park 6 -> 7");
- every member count and the total of a group that grew by 1..k-1 since a reader last knew
  them: the newcomers of a small group, hidden whole as a small group is;
- a member count that all, or all but one, of the group's k or more newcomers added;
- a zero unchanged since a publication that hid it: a zero now was zero in every earlier
  publication, so showing (or letting a reader compute) it pins it in all of them, and with it
  whatever it protected there. For other counts (and before `last_known` existed, version 1:
  for every count unchanged since a publication that hid it) `bot.stats.newcomers` checks
  exactly whether a value hidden at the last publication can be computed, so an unchanged
  count can be shown when it cannot.
Known values of one quantity thus differ by 0 or at least k, so the last one is enough.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.stats.model import Quantity, TallyModel

_VERSION = 3


def _name(quantity: Quantity) -> str:
    return "|".join(quantity)


def _quantity(name: str) -> Quantity:
    return tuple(name.split("|"))


@dataclass(frozen=True)
class Release:
    """One publication as the audit remembers it: every quantity's true value, and the
    quantities a reader knew exactly (shown, or computed from what was shown)."""

    values: Mapping[Quantity, int]
    known: frozenset[Quantity]


@dataclass(frozen=True)
class History:
    """What every earlier publication told a reader (see the module docstring)."""

    known: Mapping[Quantity, int] = field(default_factory=dict)
    hidden: Mapping[Quantity, int] = field(default_factory=dict)
    pairs: Mapping[tuple[Quantity, Quantity], tuple[int, int]] = field(default_factory=dict)
    #: None: a version-1 history, which did not record it.
    last_known: frozenset[Quantity] | None = None
    #: Every publication, oldest first (version 3; see the module docstring).
    releases: tuple[Release, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.known or self.hidden)

    def at_last(self, quantity: Quantity) -> int | None:
        """The true value of a quantity at the last publication (None: not recorded)."""
        if self.last_known is None:
            return None
        if quantity in self.last_known:
            return self.known.get(quantity)
        return self.hidden.get(quantity)

    def floor(self, quantity: Quantity) -> int:
        """The least value a reader knows the quantity has (counts only grow)."""
        return self.known.get(quantity, 0)

    def floored(
        self,
        sums: Iterable[tuple[Sequence[Quantity], Quantity]],
        values: Mapping[Quantity, int],
        known: Callable[[Quantity], bool],
    ) -> set[Quantity]:
        """Unknown parts of known totals that a reader pins (`known`: a reader knows its
        value): each part is at least its floor, so parts whose floors add up to what is left
        of the total equal them."""
        found: set[Quantity] = set()
        if self.empty:
            return found
        for parts, total in sums:
            if not known(total):
                continue
            left = [p for p in parts if not known(p)]
            floors = [self.floor(p) for p in left]
            if not left or not any(floors):
                continue
            rest = values[total] - sum(values[p] for p in parts if known(p))
            if rest == sum(floors):
                found.update(left)
        return found

    def sensitive_since(self, model: TallyModel, k: int) -> set[Quantity]:
        """Quantities of a new publication a reader must not compute (module docstring)."""
        values = model.values
        found: set[Quantity] = set()
        for quantity, value in values.items():
            if self.hidden.get(quantity) == value and (self.last_known is None or not value):
                found.add(quantity)
            last = self.known.get(quantity)
            if last is not None and quantity not in model.non_answers and 0 < value - last < k:
                found.add(quantity)
        for group in model.groups:
            size = values[group.total]
            for member in group.members:
                pair = self.pairs.get((group.total, member))
                if pair is None:
                    continue
                grew, added = size - pair[0], values[member] - pair[1]
                if 0 < grew < k:
                    found.update((group.total, member))
                elif grew >= k and added > 0 and added >= grew - 1:
                    found.add(member)
        return found

    def after(self, model: TallyModel, known: Iterable[Quantity]) -> History:
        """The history once a publication of `model` has been made, where a reader knows
        exactly the quantities `known`."""
        values, pinned = model.values, set(known)
        new_known, new_hidden = dict(self.known), dict(self.hidden)
        for quantity, value in values.items():
            if quantity in pinned:
                new_known[quantity] = value
            else:
                new_hidden[quantity] = value
        pairs = dict(self.pairs)
        for group in model.groups:
            if group.total not in pinned:
                continue
            for member in group.members:
                if member in pinned:
                    pairs[group.total, member] = (values[group.total], values[member])
        last = frozenset(pinned & values.keys())
        releases = (*self.releases, Release(dict(values), last))
        return History(new_known, new_hidden, pairs, last, releases)

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": _VERSION,
                "known": {_name(q): v for q, v in sorted(self.known.items())},
                "hidden": {_name(q): v for q, v in sorted(self.hidden.items())},
                "pairs": [
                    [_name(t), _name(m), a, b] for (t, m), (a, b) in sorted(self.pairs.items())
                ],
                "last_known": (
                    None if self.last_known is None else sorted(map(_name, self.last_known))
                ),
                "releases": _releases_json(self.releases),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> History:
        """The history a store kept (None or empty: no publication yet)."""
        if not text:
            return cls()
        data = json.loads(text)
        if data.get("version") not in (1, 2, _VERSION):
            raise ValueError(f"unknown publication history version {data.get('version')!r}")
        last = data.get("last_known")
        history = cls(
            known={_quantity(n): int(v) for n, v in data["known"].items()},
            hidden={_quantity(n): int(v) for n, v in data["hidden"].items()},
            pairs={(_quantity(t), _quantity(m)): (int(a), int(b)) for t, m, a, b in data["pairs"]},
            last_known=None if last is None else frozenset(_quantity(n) for n in last),
        )
        if "releases" in data:
            releases = _releases_from(data["releases"])
        elif history.last_known is None or history.empty:
            releases = ()
        else:  # version 2: the last publication only
            quantities = history.known.keys() | history.hidden.keys()
            at_last = {q: history.at_last(q) for q in quantities}
            values = {q: v for q, v in at_last.items() if v is not None}
            releases = (Release(values, history.last_known),)
        return replace(history, releases=releases)


def _releases_json(releases: tuple[Release, ...]) -> dict[str, object]:
    """Releases in a compact form: every name once, then per release a value per name (null:
    no such quantity then) and the indices of the names a reader knew."""
    names = sorted({q for r in releases for q in r.values})
    return {
        "names": [_name(q) for q in names],
        "values": [[r.values.get(q) for q in names] for r in releases],
        "known": [[i for i, q in enumerate(names) if q in r.known] for r in releases],
    }


def _releases_from(data: Mapping[str, list[Any]]) -> tuple[Release, ...]:
    names = [_quantity(n) for n in data["names"]]
    return tuple(
        Release(
            {q: int(v) for q, v in zip(names, values, strict=True) if v is not None},
            frozenset(names[i] for i in known),
        )
        for values, known in zip(data["values"], data["known"], strict=True)
    )


__all__ = ["History", "Release"]
