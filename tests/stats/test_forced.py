"""Equations from multi-answer inequalities tight in every solution (`bot.stats.forced`): a
reader who sees that the answers of a multi question add up to those who answered it knows
that each of them chose exactly one, and so that the answers add up in every breakdown group.

The reader here is an explicit linear program over the audit's quantities (independent of the
audit's reasoning): the survey's sums, the shown counts, every count >= 0, and per multi
answer's group "answered <= sum of the answers" and "each answer <= answered". A protected
count it pins (its minimum equals its maximum) is a leak.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from bot.stats.disclosure import disclosure
from bot.stats.model import Quantity
from bot.stats.newcomers import sensitive_counts
from tests.stats import answers, make_survey, snapshot_of


def pinned(residents: list[dict[str, object]], k: int) -> dict[Quantity, int]:
    """The protected counts of one publication of `residents` that the program pins."""
    survey = make_survey(k=k, areas=("north", "south"))
    shown = disclosure(survey, snapshot_of(survey, residents))
    model = shown.model
    index = {q: i for i, q in enumerate(model.values)}
    equal: list[np.ndarray] = []
    value: list[int] = []
    upper: list[np.ndarray] = []

    def row(terms: dict[Quantity, int]) -> np.ndarray:
        found = np.zeros(len(index))
        for q, c in terms.items():
            found[index[q]] += c
        return found

    for relation in model.relations:
        equal.append(row(dict.fromkeys(relation.plus, 1)) - row(dict.fromkeys(relation.minus, 1)))
        value.append(0)
    for q in model.shown - shown.suppressed:
        equal.append(row({q: 1}))
        value.append(model.values[q])
    for q in model.structural_zeros:
        equal.append(row({q: 1}))
        value.append(0)
    for group in model.groups:
        if group.members:
            upper.append(row({group.total: 1}) - row(dict.fromkeys(group.members, 1)))
            upper += [row({m: 1, group.total: -1}) for m in group.members]
    found: dict[Quantity, int] = {}
    protected = sensitive_counts(model.values, model.non_answers, model.groups, k)
    for q in sorted(protected - shown.known):
        cost = row({q: 1})
        low, high = (
            linprog(sign * cost, A_ub=np.array(upper), b_ub=np.zeros(len(upper)),
                    A_eq=np.array(equal), b_eq=np.array(value), method="highs")
            for sign in (1, -1)
        )  # fmt: skip
        assert low.status == 0 and high.status == 0
        if abs(low.fun + high.fun) < 1e-6:
            found[q] = round(low.fun)
    return found


def test_answers_that_add_up_do_not_pin_a_count_in_a_breakdown() -> None:
    """12 residents, k = 3, each chose one place: "park" 3 + "station" 3 + "street" 6 = 12
    who answered, so each chose exactly one. Then 7 young who answered = park + 3 station + 3
    street gives "park, young" = 1, and 5 old = park + 0 + 3 gives "park, old" = 2 (both shown
    as "<3" before the audit had these equations). Found by a random search of one-publication
    streams with the program above."""
    rows = [
        ("south", "young", "safe", "street"),
        ("north", "young", "safe", "park"),
        ("north", "old", "unsafe", "street"),
        ("south", "old", "unsafe", "park"),
        ("north", "young", "unsafe", "street"),
        ("north", "young", "safe", "station"),
        ("south", "old", "unsafe", "street"),
        ("south", "young", "unsafe", "street"),
        ("south", "old", "unsure", "street"),
        ("south", "old", "unsafe", "park"),
        ("north", "young", "unsure", "station"),
        ("north", "young", "unsafe", "station"),
    ]
    residents = [answers(area=a, age=g, feel=f, places=(p,)) for a, g, f, p in rows]
    assert pinned(residents, 3) == {}
