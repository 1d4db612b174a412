"""Attacks on publications by staff who see every publication, in order, choose when to look,
may have answered themselves, and know counts only grow (DESIGN.md, "Anonymity and disclosure").

Each test replays a response stream through the disclosure layer as `Store.publish_if_due`
would publish it, and lets `tests.stats.publication_attacker.HistoryAttacker` (independent of
the production audit) try every inference it knows.
"""

from __future__ import annotations

import itertools
from typing import Any

from bot.stats import tables as stats
from bot.stats.text import headline_json
from tests.stats import answers, make_survey, snapshot_of, varied
from tests.stats.publishing import attack
from tests.stats.test_disclosure import world

#: k = 5, three areas, two ages, nothing optional, no follow-up.
CONFIG = (5, 3, False, False, False, False)

_PLACES = [("park",), ("street",), ("station",), ("park", "street"), ("street", "station")]
_FEEL = ["safe", "unsure", "unsafe"]


def crowd(area: str, n: int, start: int = 0) -> list[dict[str, Any]]:
    """n residents of an area with varied answers."""
    return [
        answers(
            area=area,
            age=("young", "old")[(start + i) % 2],
            feel=_FEEL[(start + i) % 3],
            places=_PLACES[(start + i) % len(_PLACES)],
        )
        for i in range(n)
    ]


def test_a_newcomer_alone_in_a_group_is_not_revealed_by_comparing_publications() -> None:
    """Finding 1: the total grows by a batch, but one area grows by one resident; the cells
    shown in both publications would give that newcomer's whole answer."""
    _, space, candidates = world(CONFIG)
    first = crowd("north", 12) + crowd("east", 12, 1) + crowd("south", 14, 2)
    newcomers = [answers(area="south", age="old", feel="unsafe", places=("park",))]
    newcomers += crowd("north", 2, 5) + crowd("east", 2, 7)
    stream = first + newcomers
    found = attack(space, candidates, stream, [len(first), len(stream)])
    assert found == []


def test_a_group_that_answered_alike_is_not_published_as_such() -> None:
    """Finding 2: six residents of one area all feel unsafe; "unsafe 6 of 6" discloses each."""
    _, space, candidates = world(CONFIG)
    alike = [
        answers(area="south", age=("young", "old")[i % 2], feel="unsafe", places=_PLACES[i % 5])
        for i in range(6)
    ]
    stream = crowd("north", 15) + crowd("east", 15, 1) + alike
    assert attack(space, candidates, stream, [len(stream)]) == []


def test_all_but_the_observer_alike_is_not_published_as_such() -> None:
    """A respondent in a group of 7 where the six others all feel unsafe learns their answers
    from "unsafe 6 of 7"."""
    _, space, candidates = world(CONFIG)
    group = [
        answers(area="south", age="old", feel="unsafe", places=_PLACES[i % 5]) for i in range(6)
    ]
    group.append(answers(area="south", age="young", feel="safe", places=("park",)))
    stream = crowd("north", 15) + crowd("east", 15, 1) + group
    assert attack(space, candidates, stream, [len(stream)]) == []


def test_a_hidden_cell_is_not_recovered_from_monotone_counts() -> None:
    """Finding 1, second part: a count hidden in a later publication must not be pinned by the
    counts shown earlier and the knowledge that counts never go down."""
    _, space, candidates = world(CONFIG)
    stream = crowd("north", 12) + crowd("east", 12, 1) + crowd("south", 6, 2)
    more = crowd("south", 3, 4) + crowd("north", 3, 9)
    stream2 = stream + more
    found = attack(space, candidates, stream2, [len(stream), len(stream2)])
    assert found == []


def test_looking_often_gives_nothing_away() -> None:
    """Staff decide when a publication happens: looking after every batch of the minimum size
    must give the attacker nothing more than looking rarely."""
    _, space, candidates = world(CONFIG)
    stream = list(
        itertools.chain.from_iterable(
            zip(crowd("north", 10), crowd("east", 10, 1), crowd("south", 10, 2), strict=True)
        )
    )
    looks = list(range(5, len(stream) + 1, 5))
    assert attack(space, candidates, stream, looks) == []


def test_the_headline_does_not_tell_when_someone_answered() -> None:
    """Finding 1, last part: right after a publication the headline said "0 waiting", and the
    next look "<5 waiting": someone had just answered. The same holds for "in progress"."""
    survey = make_survey(k=5)
    residents = varied(10)
    heads = [
        headline_json(stats.headline(survey, snapshot_of(survey, residents, waiting=w), p, "en"))
        for w, p in [(0, 0), (1, 0), (4, 1), (0, 4)]
    ]
    assert all(head == heads[0] for head in heads)
    assert heads[0]["waiting"] == "<5" and heads[0]["in_progress"] == "<5"
