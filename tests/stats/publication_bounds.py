"""Bounds a reader of every publication gets from counts only growing, for the attacker of
`tests.stats.publication_attacker`: a count hidden in publication t is at least what it was
known to be in an earlier publication (its floor) and at most what it is known to be in a later
one (its ceiling). Where the hidden parts of a line (a table's row, column or total, whose
parts add up to it exactly) have floors, or ceilings, that add up to what the line leaves for
them, each part is pinned at its bound: "north" and "south" hidden in publication 1 with 5 in
all, "north" 2 in publication 2 and "south" 3 in publication 3 gives both.

Independent of `bot.stats`: lines come from the published tables' names and are kept only
where the parts' profile vectors add up to the total's exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from bot.stats.tables import Suppressed
from tests.stats.test_disclosure import Shown

#: A total and its parts (names of published numbers).
Line = tuple[str, tuple[str, ...]]


def lines_of(shown: Sequence[Shown]) -> list[Line]:
    """Lines of one publication's tables whose parts add up to their total exactly."""
    where = {s.name: s.where for s in shown}
    parts: dict[str, list[str]] = {}
    for name in where:
        kind, _, rest = name.partition(" ")
        words = rest.split(" ")
        if kind == "O":  # O q=c: part of T q
            parts.setdefault(f"T {words[0].split('=')[0]}", []).append(name)
        elif kind == "N":  # N q b=g: part of T q
            parts.setdefault(f"T {words[0]}", []).append(name)
        elif kind == "S":  # S q=c b=g: part of N q b=g and of O q=c
            q = words[0].split("=")[0]
            parts.setdefault(f"N {q} {words[1]}", []).append(name)
            parts.setdefault(f"O {words[0]}", []).append(name)
    found = []
    for total, members in parts.items():
        if total not in where:
            continue
        added = np.sum([where[m].astype(int) for m in members], axis=0)
        if np.array_equal(added, where[total].astype(int)):
            found.append((total, tuple(members)))
    return found


def bounded(
    published: Sequence[Sequence[Shown]], known: Callable[[int, np.ndarray], int | None]
) -> list[str]:
    """Hidden counts pinned at their floors or ceilings (`known(t, where)`: the value a reader
    computes of `where` at publication t, or None), other than 0 and the value last shown."""
    found: list[str] = []
    seen: dict[str, int] = {}
    names = [{s.name: s for s in shown} for shown in published]

    def value(t: int, name: str) -> int | None:
        return known(t, names[t][name].where) if name in names[t] else None

    for t, shown in enumerate(published):
        for total, members in lines_of(shown):
            whole = value(t, total)
            unknown = [m for m in members if value(t, m) is None]
            if whole is None or not unknown:
                continue
            rest = whole - sum(v for m in members if (v := value(t, m)) is not None)
            floors = [max((v for e in range(t) if (v := value(e, m)) is not None), default=0)
                      for m in unknown]  # fmt: skip
            later = [[v for e in range(t + 1, len(published)) if (v := value(e, m)) is not None]
                     for m in unknown]  # fmt: skip
            pinned: list[tuple[str, int]] = []
            if sum(floors) == rest:
                pinned = list(zip(unknown, floors, strict=True))
            elif all(later) and sum(min(v) for v in later) == rest:
                pinned = [(m, min(v)) for m, v in zip(unknown, later, strict=True)]
            for m, v in pinned:
                if isinstance(names[t][m].count, Suppressed) and v and v != seen.get(m):
                    found.append(f"publication {t + 1}: hidden {m} is {v} (bounds)")
        seen.update((s.name, s.count) for s in shown if isinstance(s.count, int))
    return found
