"""Intervals for shares and for the change of a share between rounds.

Wilson's score interval for one share, and Newcombe's hybrid score interval (his method 10) for
the difference of two independent shares. Both are a few lines of arithmetic; the tests check
them against statsmodels (`proportion_confint(method="wilson")` and
`confint_proportions_2indep(method="newcomb")`), which the bot does not need at run time.

What must hold: bounds lie in [0, 1] (a share) or [-1, 1] (a difference); n = 0 gives no
interval. These intervals describe sampling variation only; for a self-selected sample they are
not a "margin of error" (AAPOR), and every text that shows them says so (see `bot.stats.report`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: The normal quantile for 95% intervals.
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson(count: int, n: int, z: float = Z95) -> Interval | None:
    """Wilson's score interval for the share count/n (None when n is 0)."""
    if n <= 0:
        return None
    if not 0 <= count <= n:
        raise ValueError(f"count {count} outside 0..{n}")
    p = count / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def newcombe(count1: int, n1: int, count2: int, n2: int, z: float = Z95) -> Interval | None:
    """Newcombe's hybrid score interval for count1/n1 - count2/n2 (None if either n is 0)."""
    one, two = wilson(count1, n1, z), wilson(count2, n2, z)
    if one is None or two is None:
        return None
    p1, p2 = count1 / n1, count2 / n2
    difference = p1 - p2
    below = math.sqrt((p1 - one.low) ** 2 + (two.high - p2) ** 2)
    above = math.sqrt((one.high - p1) ** 2 + (p2 - two.low) ** 2)
    return Interval(max(-1.0, difference - below), min(1.0, difference + above))
