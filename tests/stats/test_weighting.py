"""`bot.stats.weighting`: raking reproduces the margins, and weighted shares equal hand-computed
values on constructed data."""

from __future__ import annotations

import itertools
import random

import pytest

from bot.stats.weighting import Margin, rake


def _weighted_share(
    records: list[dict[str, str]], weights: tuple[float, ...], key: str, value: str
) -> float:
    total = sum(weights)
    return sum(w for r, w in zip(records, weights, strict=True) if r[key] == value) / total


def test_one_margin_is_post_stratification_by_hand() -> None:
    # 3 women (1 unsafe), 1 man (unsafe); population half women, half men.
    records = [
        {"gender": "woman", "feel": "unsafe"},
        {"gender": "woman", "feel": "safe"},
        {"gender": "woman", "feel": "safe"},
        {"gender": "man", "feel": "unsafe"},
    ]
    margin = Margin(("gender",), {("woman",): 500.0, ("man",): 500.0})
    result = rake(records, [margin], min_class=1)
    # Women: 4 * 0.5 / 3 = 2/3 each; the man: 4 * 0.5 / 1 = 2.
    assert result.weights == pytest.approx((2 / 3, 2 / 3, 2 / 3, 2.0))
    # Weighted share unsafe = (2/3 + 2) / 4 = 2/3, against 1/2 unweighted.
    assert _weighted_share(records, result.weights, "feel", "unsafe") == pytest.approx(2 / 3)
    # Kish: (sum w)^2 / sum w^2 = 16 / (3 * 4/9 + 4) = 3.
    assert result.effective_n == pytest.approx(3.0)


def test_two_margins_are_reproduced_to_1e_6() -> None:
    rng = random.Random(7)
    ages, genders, areas = ["young", "middle", "old"], ["woman", "man"], ["a", "b", "c", "d"]
    records = [
        {
            "age": rng.choices(ages, weights=[1, 3, 6])[0],
            "gender": rng.choices(genders, weights=[2, 1])[0],
            "area": rng.choice(areas),
        }
        for _ in range(1500)
    ]
    joint: dict[tuple[str, ...], float] = {
        cls: float(rng.randint(2000, 9000)) for cls in itertools.product(ages, genders)
    }
    area: dict[tuple[str, ...], float] = {(a,): float(rng.randint(5000, 20000)) for a in areas}
    result = rake(records, [Margin(("age", "gender"), joint), Margin(("area",), area)])
    assert result.converged and result.collapsed == () and result.unweighted == 0
    total = sum(result.weights)
    for margin in (Margin(("age", "gender"), joint), Margin(("area",), area)):
        population = sum(margin.population.values())
        for cls, count in margin.population.items():
            got = sum(
                w
                for r, w in zip(records, result.weights, strict=True)
                if tuple(r[q] for q in margin.questions) == cls
            )
            assert got / total == pytest.approx(count / population, abs=1e-6)
    assert 0 < result.effective_n < 1500


def test_a_small_class_is_collapsed_into_its_neighbour_and_named() -> None:
    records = [{"age": "young"}] * 3 + [{"age": "middle"}] * 40 + [{"age": "old"}] * 40
    margin = Margin(("age",), {("young",): 100.0, ("middle",): 100.0, ("old",): 100.0})
    result = rake(records, [margin], min_class=10)
    assert result.collapsed == ("age: young + middle",)
    # young+middle together get 2/3 of the weight, old 1/3.
    assert sum(result.weights[:43]) / sum(result.weights) == pytest.approx(2 / 3)


def test_a_response_outside_every_class_keeps_weight_one() -> None:
    records = [{"gender": "woman"}] * 20 + [{"gender": "man"}] * 10 + [{"gender": "no_answer"}]
    margin = Margin(("gender",), {("woman",): 1.0, ("man",): 1.0})
    result = rake(records, [margin])
    assert result.unweighted == 1 and result.weights[-1] == 1.0
    assert sum(result.weights[:20]) == pytest.approx(sum(result.weights[20:30]))
