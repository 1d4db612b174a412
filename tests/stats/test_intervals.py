"""`bot.stats.intervals` against statsmodels on known and random values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from bot.stats.intervals import newcombe, wilson


@pytest.mark.parametrize(
    ("count", "n", "low", "high"),
    # Known values: 26 of 100 (NTU's 26%), 0 of 10 and 10 of 10 (the edges), 1,200 of 1,695.
    [(26, 100, 0.18404698, 0.35370989), (0, 10, 0.0, 0.27753), (10, 10, 0.72247, 1.0)],
)
def test_wilson_known_values(count: int, n: int, low: float, high: float) -> None:
    interval = wilson(count, n)
    assert interval is not None
    assert interval.low == pytest.approx(low, abs=1e-5)
    assert interval.high == pytest.approx(high, abs=1e-5)


@given(st.integers(1, 3000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_equals_statsmodels(case: tuple[int, int]) -> None:
    count, n = case
    interval = wilson(count, n)
    low, high = proportion_confint(count, n, method="wilson")
    assert interval is not None
    assert interval.low == pytest.approx(low, abs=1e-12)
    assert interval.high == pytest.approx(high, abs=1e-12)


def test_newcombe_known_value() -> None:
    interval = newcombe(30, 100, 20, 120)
    assert interval is not None
    assert interval.low == pytest.approx(0.0216848, abs=1e-6)
    assert interval.high == pytest.approx(0.2443960, abs=1e-6)


@given(
    st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
)
def test_newcombe_equals_statsmodels(one: tuple[int, int], two: tuple[int, int]) -> None:
    interval = newcombe(*one, *two)
    low, high = confint_proportions_2indep(*one, *two, method="newcomb", compare="diff")
    assert interval is not None
    assert interval.low == pytest.approx(float(low), abs=1e-9)
    assert interval.high == pytest.approx(float(high), abs=1e-9)


def test_no_interval_without_answers() -> None:
    assert wilson(0, 0) is None
    assert newcombe(1, 2, 0, 0) is None
    with pytest.raises(ValueError, match="outside"):
        wilson(3, 2)
