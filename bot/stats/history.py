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
- `last_known`: the quantities a reader knew exactly at the last publication, so that the value
  of every quantity there is known to the audit (`at_last`): `known` for these, `hidden` for the
  rest. `bot.stats.newcomers` audits the residents who completed since then with it.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.stats.model import Quantity, TallyModel

_VERSION = 2


def _name(quantity: Quantity) -> str:
    return "|".join(quantity)


def _quantity(name: str) -> Quantity:
    return tuple(name.split("|"))


@dataclass(frozen=True)
class History:
    """What every earlier publication told a reader (see the module docstring)."""

    known: Mapping[Quantity, int] = field(default_factory=dict)
    hidden: Mapping[Quantity, int] = field(default_factory=dict)
    pairs: Mapping[tuple[Quantity, Quantity], tuple[int, int]] = field(default_factory=dict)
    #: None: a version-1 history, which did not record it.
    last_known: frozenset[Quantity] | None = None

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
        return History(new_known, new_hidden, pairs, frozenset(pinned & values.keys()))

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
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> History:
        """The history a store kept (None or empty: no publication yet)."""
        if not text:
            return cls()
        data = json.loads(text)
        if data.get("version") not in (1, _VERSION):
            raise ValueError(f"unknown publication history version {data.get('version')!r}")
        last = data.get("last_known")
        return cls(
            known={_quantity(n): int(v) for n, v in data["known"].items()},
            hidden={_quantity(n): int(v) for n, v in data["hidden"].items()},
            pairs={(_quantity(t), _quantity(m)): (int(a), int(b)) for t, m, a, b in data["pairs"]},
            last_known=None if last is None else frozenset(_quantity(n) for n in last),
        )


__all__ = ["History"]
