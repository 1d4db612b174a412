"""Reading a getUpdates batch: an unreadable update never stops polling and never moves the
offset back (issue 10 item 6). PTB confirms a batch with the last update's id + 1, so the last
id of what `readable_batch` returns must be the highest usable id of the batch."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.adapters.telegram.updates import readable_batch

GOOD = {"update_id": 41, "message": {"message_id": 1, "date": 0, "text": "hej",
                                     "chat": {"id": 5, "type": "private"}}}  # fmt: skip
#: PTB cannot read this one: a message without its required date (KeyError).
BROKEN: dict[str, Any] = {"message": {"message_id": 2, "text": "x",
                                      "chat": {"id": 5, "type": "private"}}}  # fmt: skip


def test_a_readable_batch_is_kept_as_it_is() -> None:
    assert readable_batch([GOOD]) == [GOOD]


def test_an_unreadable_update_with_an_id_becomes_an_empty_update_with_that_id() -> None:
    assert readable_batch([GOOD, {"update_id": 42, **BROKEN}]) == [GOOD, {"update_id": 42}]


def test_an_unreadable_last_update_without_a_usable_id_keeps_the_offset() -> None:
    for bad_id in (None, "43", True, 4.5):
        broken = {**BROKEN} if bad_id is None else {"update_id": bad_id, **BROKEN}
        batch = readable_batch([GOOD, broken])
        assert batch[-1]["update_id"] == 41, (bad_id, batch)


def test_a_batch_of_only_unusable_updates_is_empty() -> None:
    assert readable_batch([BROKEN, "not an update", None]) == []


def test_updates_the_confirming_poller_knows_are_dropped_before_they_are_parsed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every getUpdates of the confirming poller returns the running updates again: they are
    not parsed again (a broken one would otherwise be logged at every poll)."""
    broken = {"update_id": 42, **BROKEN}
    running = {41, 42}
    with caplog.at_level(logging.WARNING):
        assert readable_batch([GOOD, broken], known=running.__contains__) == []
        assert readable_batch([GOOD, broken], known=lambda _: False) == [GOOD, {"update_id": 42}]
    assert len(caplog.records) == 1, "only the poll that saw the broken update first logs it"
