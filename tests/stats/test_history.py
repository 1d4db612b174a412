"""The disclosure history the store keeps between publications (`bot.stats.history`): every
publication's values and what a reader knew (version 3), read back from older versions, and the
bound on how many publications the audit models (`bot.stats.newcomers.MAX_RELEASES`).
"""

from __future__ import annotations

import json

from bot.stats.disclosure import audit
from bot.stats.history import History, Release
from bot.stats.model import RESPONSES, tally_model
from bot.stats.newcomers import MAX_RELEASES, runs
from tests.stats import make_survey, snapshot_of, varied

SURVEY = make_survey(k=3)


def published(*sizes: int) -> History:
    """The history after publishing the first `sizes[0]`, `sizes[1]`, ... of a stream."""
    stream = varied(max(sizes))
    history = History()
    for size in sizes:
        model = tally_model(SURVEY, snapshot_of(SURVEY, stream[:size]))
        _, known = audit(model, SURVEY.min_group_size, history)
        history = History.from_json(history.after(model, known).to_json())
    return history


def test_every_publication_is_kept_with_what_a_reader_knew() -> None:
    history = published(6, 12, 20)
    assert len(history.releases) == 3
    stream = varied(20)
    for release, size in zip(history.releases, (6, 12, 20), strict=True):
        values = tally_model(SURVEY, snapshot_of(SURVEY, stream[:size])).values
        assert release.values == values
        assert RESPONSES in release.known and release.known <= values.keys()
    assert history.releases[-1].known == history.last_known
    assert History.from_json(history.to_json()) == history
    assert json.loads(history.to_json())["version"] == 3


def test_a_version_2_history_is_read_as_its_last_publication() -> None:
    """Stores written before version 3 hold only the last publication: what a reader knew
    then (`last_known`, with `known`) and the true value of the rest (`hidden`)."""
    history = published(6, 12)
    data = json.loads(history.to_json())
    del data["releases"]
    data["version"] = 2
    older = History.from_json(json.dumps(data))
    assert older.releases == (Release(history.releases[-1].values, history.releases[-1].known),)
    data["version"], data["last_known"] = 1, None
    assert History.from_json(json.dumps(data)).releases == ()


def test_publications_beyond_the_bound_hide_all_but_what_is_public() -> None:
    """With more earlier publications than the audit models, it hides everything but the
    number of responses and what that gives (here: how many answered each question everyone
    must answer)."""
    stream = varied(30)
    model = tally_model(SURVEY, snapshot_of(SURVEY, stream))
    finished, _ = audit(model, 3, published(6))
    earlier = published(6).releases[0]
    crowded = History(
        known=dict(published(6).known),
        hidden=dict(published(6).hidden),
        last_known=earlier.known,
        releases=(earlier,) * (MAX_RELEASES + 1),
    )
    hidden, known = audit(model, 3, crowded)
    assert hidden > finished and RESPONSES not in hidden and RESPONSES in known
    shown_anyway = {q for q in model.shown if q not in hidden}
    assert shown_anyway and all(model.values[q] == 30 for q in shown_anyway)


def test_periods_that_share_a_publication_join() -> None:
    assert runs([(2, 4), (0, 2), (5, 6), (0, 1)]) == [(0, 4), (5, 6)]
