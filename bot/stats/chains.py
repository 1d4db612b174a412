"""Chains of zeros through a third question: the zeros a reader derives about two groups from
how each of them answered another question. Pure; part of the disclosure audit
(`bot.stats.newcomers` uses them for the residents who completed between two publications).

"No newcomer of the north chose park", "no young newcomer chose station", "no newcomer chose
street" (and everyone chose a place) give "no newcomer is young and in the north", although no
table shows that count's growth. A `Chain` says: its `target` is zero when, for every category
of a third question, the category's count in one of the two groups is zero. The categories cover
everyone: each choice and "did not answer" (a multi answer has at least one choice), or
"answered" and "did not answer". Two kinds, both between counts the model has:
- two breakdown groups (area = north, age = young), through any other question;
- an answer, or "answered", and a breakdown group (visits answered, area = north), through
  another breakdown question's groups and those who skipped it.

What must hold: every chain is a true implication for counts of residents (each category count
counts residents of the group, and the categories cover the group), so zeros it derives from
true zeros are true zeros; a chain whose counts the model lacks is left out.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from bot.stats.model import NO_ANSWER, Quantity, TallyModel


@dataclass(frozen=True)
class Chain:
    """`target` is zero when every pair of `through` has a zero count."""

    target: Quantity
    through: tuple[tuple[Quantity, Quantity], ...]


def chains(model: TallyModel) -> list[Chain]:
    """Every chain of the two kinds above between counts of `model`."""
    values, order = model.values, model.breakdown_order
    questions = [q[1] for q in values if q[0] == "T"]
    choices = {q: [c[2] for c in values if c[0] == "O" and c[1] == q] for q in questions}
    split = model.split

    def skipped(q: str, b: str, g: str) -> Quantity:
        return split(b, g, q, NO_ANSWER) if q in order else ("M", q, b, g)

    def covers(q: str, b: str, g: str) -> list[list[Quantity]]:
        """Ways to cover the residents of group g of b by their answer to q."""
        found = [[("N", q, b, g), skipped(q, b, g)]]
        if choices[q]:
            found.append([split(q, c, b, g) for c in choices[q]] + [skipped(q, b, g)])
        return found

    rules: list[Chain] = []
    for b1, b2 in itertools.combinations(order, 2):
        for g1, g2 in itertools.product(choices.get(b1, ()), choices.get(b2, ())):
            target = split(b1, g1, b2, g2)
            for q in questions:
                if q in (b1, b2):
                    continue
                for one, two in zip(covers(q, b1, g1), covers(q, b2, g2), strict=True):
                    rules.append(Chain(target, tuple(zip(one, two, strict=True))))
    for q in questions:
        for b, third in itertools.permutations(order, 2):
            if q in (b, third):
                continue
            groups = (*choices.get(third, ()), NO_ANSWER)
            for g in choices.get(b, ()):
                near = [split(b, g, third, h) for h in groups]
                answered = [("N", q, third, h) for h in groups]
                rules.append(Chain(("N", q, b, g), tuple(zip(answered, near, strict=True))))
                for c in choices[q]:
                    answer = [split(q, c, third, h) for h in groups]
                    rules.append(Chain(split(q, c, b, g), tuple(zip(answer, near, strict=True))))
    return [r for r in rules if r.target in values and _known(r, values)]


def _known(rule: Chain, values: Mapping[Quantity, int]) -> bool:
    return all(a in values and b in values for a, b in rule.through)


def possible(rules: Iterable[Chain], values: Mapping[Quantity, int]) -> list[Chain]:
    """The rules that can derive a zero of these values: its target and, in every pair, a
    count are zero."""
    return [
        r
        for r in rules
        if values[r.target] == 0 and all(values[a] == 0 or values[b] == 0 for a, b in r.through)
    ]


def chained(rules: Iterable[Chain], zero: Collection[Quantity]) -> set[Quantity]:
    """Targets, not in `zero` yet, of rules whose every pair has a count in `zero`."""
    return {
        r.target
        for r in rules
        if r.target not in zero and all(a in zero or b in zero for a, b in r.through)
    }


__all__ = ["Chain", "chained", "chains", "possible"]
