"""Callback queries: opened when a resident presses a button, answered once by the bot in time.

Owns: ``CallbackQueries`` - the open queries by id (which chat each came from, when), the
``answerCallbackQuery`` method, and the answers the bot gave (``answers``).
Must hold: a query is answered at most once and only within ``ttl`` seconds of the press, else
Telegram's "query is too old" 400; an answer's text is at most 200 characters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.fakes.bot_api.errors import QUERY_TOO_OLD, ApiError, bad_request
from tests.fakes.bot_api.records import JSON, CallbackAnswer, Upload
from tests.fakes.bot_api.waiting import chat_key

MAX_CALLBACK_ANSWER = 200


@dataclass
class _Query:
    chat_id: int
    created: float
    answered: bool = False


class CallbackQueries:
    """Open callback queries and the bot's answers to them."""

    def __init__(self, ttl: float, notify: Callable[[object], None]) -> None:
        self.ttl = ttl
        self.answers: dict[str, CallbackAnswer] = {}
        self._open: dict[str, _Query] = {}
        self._seq = 0
        self._notify = notify

    def open(self, user_id: int, chat_id: int, now: float) -> str:
        """A press by ``user_id`` in ``chat_id``; returns the new query's id."""
        self._seq += 1
        qid = f"{user_id}-{self._seq}"
        self._open[qid] = _Query(chat_id, now)
        return qid

    def chat_of(self, query_id: str) -> int | None:
        query = self._open.get(query_id)
        return query.chat_id if query else None

    def answer(self, params: JSON, uploads: dict[str, Upload], now: float) -> bool:
        """The ``answerCallbackQuery`` method."""
        qid = str(params.get("callback_query_id", ""))
        query = self._open.get(qid)
        if query is None or query.answered or now - query.created > self.ttl:
            raise ApiError(400, QUERY_TOO_OLD)
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        alert = params.get("show_alert") in (True, "true", "True")
        self.answers[qid] = CallbackAnswer(qid, None if text is None else str(text), alert, now)
        self._notify(chat_key(query.chat_id))
        return True
