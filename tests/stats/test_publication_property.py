"""The property: over random response streams and random moments staff choose to look, an
attacker given every publication, in order, and the knowledge that counts only grow, never
determines a hidden count or an individual's answer (`tests.stats.publication_attacker`, with
sums, differences, monotonicity and chains of zeros among the newcomers of any period; chains of
zeros inside one publication are the audit's known limit, see docs/disclosure.md).

The examples are the same on every run (`derandomize`, no example database), so CI is
reproducible. `PUBLICATION_EXAMPLES=n` runs n random examples instead (a deeper search to run
by hand: a failure prints the stream, to be added to `tests.stats.test_newcomers`).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.stats.publishing import attack
from tests.stats.test_disclosure import world

_DEEP = int(os.environ.get("PUBLICATION_EXAMPLES", "0"))
#: The suite's examples: fixed, about 20 s of one core.
EXAMPLES = settings(
    max_examples=_DEEP or 40,
    derandomize=not _DEEP,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def streams(
    draw: st.DrawFn,
) -> tuple[tuple[int, int, bool, bool, bool, bool], list[int], list[int]]:
    """A survey, residents in arrival order (indices into its profiles: a few popular profiles
    and some rare ones, shuffled), and the moments staff look (after the n-th response)."""
    config = (
        draw(st.integers(3, 5)),
        draw(st.integers(2, 3)),
        draw(st.booleans()),
        False,
        draw(st.booleans()),
        False,
    )
    size = len(world(config)[1].profiles)
    common = draw(st.lists(st.integers(0, size - 1), min_size=2, max_size=6))
    weights = draw(st.lists(st.integers(1, 10), min_size=len(common), max_size=len(common)))
    rare = draw(st.lists(st.integers(0, size - 1), max_size=8))
    chosen = [i for i, w in zip(common, weights, strict=True) for _ in range(w)] + rare
    order = draw(st.permutations(chosen))
    looks = draw(st.lists(st.integers(1, len(order)), min_size=1, max_size=6, unique=True))
    return config, list(order), sorted(looks)


@EXAMPLES
@given(streams())
def test_no_publication_history_gives_anything_away(
    stream: tuple[tuple[int, int, bool, bool, bool, bool], list[int], list[int]],
) -> None:
    config, chosen, looks = stream
    _, space, candidates = world(config)
    residents = [space.profiles[i] for i in chosen]
    found = attack(space, candidates, residents, looks, newcomers_only=True)
    assert found == [], found[:5]
