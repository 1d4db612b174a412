"""Reading updates: one update the bot cannot parse must not stop polling for everyone, and a
revoked token must stop the bot instead of leaving it idle.

python-telegram-bot parses a whole getUpdates batch at once; one malformed update makes the
parse fail, the offset never advances and the same batch is fetched again, forever, each time
with a critical log line that carries the raw update (names, typed text). `TolerantBot` reads
each update on its own and replaces one it cannot read by an empty update, which no handler
matches, with one log line carrying the update id only.

What must hold:
- the offset PTB confirms (the last update's id + 1) never goes back: an unreadable update with
  no usable id gets the id of the update before it in the batch, and is dropped if it has none;
- with `Lifecycle.known` set (by `bot.adapters.telegram.polling.ConfirmingPoller`), updates it
  already handles or handled are dropped from a batch before anything parses them: a confirming
  poller gets every running update again with each getUpdates, and parsing them again each time
  (a few ms each) starved the handlers under load;
- a 401/404 on getUpdates (the token was revoked while running) is reported once to
  `on_token_rejected` and not raised into PTB's polling loop (which would log a traceback and
  leave the process running without polling); the call then waits until polling stops.

PTB parses the batch inside `Bot.get_updates` with no public hook before parsing, so this
overrides `ExtBot._post` for the getUpdates endpoint only; python-telegram-bot is pinned to
22.x in pyproject.toml and `tests/adapters/telegram/test_updates.py` checks the behaviour.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import ExtBot
from telegram.request import BaseRequest

log = logging.getLogger(__name__)


@dataclass
class Lifecycle:
    """What the running bot tells `TolerantBot` (PTB freezes a bot's own attributes)."""

    #: Called once when Telegram rejects the token while polling.
    on_token_rejected: Callable[[], None] | None = None
    #: Set when the bot is shutting down: PTB's last getUpdates (to confirm the offset) may
    #: fail then, and is one log line, not a traceback.
    stopping: bool = False
    #: The HTTP request objects, to close them if starting failed.
    requests: tuple[BaseRequest, ...] = ()
    #: Update ids already being handled or handled, not to be parsed again (see module doc).
    known: Callable[[int], bool] | None = None


class TolerantBot(ExtBot[None]):
    """An ExtBot whose getUpdates survives malformed updates and a revoked token."""

    lifecycle: Lifecycle

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        requests = (kwargs.get("get_updates_request"), kwargs.get("request"))
        lifecycle = Lifecycle(requests=tuple(r for r in requests if r is not None))
        object.__setattr__(self, "lifecycle", lifecycle)  # PTB froze the bot in __init__

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        try:
            return await super().get_updates(*args, **kwargs)
        except TelegramError as err:
            if self.lifecycle.stopping:
                if isinstance(err, InvalidToken):  # the reason the bot stops: said once
                    return ()
                log.warning(
                    "could not confirm the last updates at shutdown (%s); Telegram may deliver "
                    "them again, and each is handled once",
                    type(err).__name__,
                )
                return ()
            if not isinstance(err, InvalidToken):
                raise
            callback, self.lifecycle.on_token_rejected = self.lifecycle.on_token_rejected, None
            if callback is None:
                raise
            callback()
            await asyncio.Event().wait()  # cancelled when polling stops
            raise

    async def _post(self, endpoint: str, data: Any = None, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            return readable_batch(result, self, self.lifecycle.known)
        return result


def readable_batch(
    batch: list[Any],
    bot: ExtBot[None] | None = None,
    known: Callable[[int], bool] | None = None,
) -> list[Any]:
    """`batch` with each update PTB cannot read replaced by an empty update, and without the
    updates `known` says are handled already, which are not even parsed (see module doc)."""
    out: list[Any] = []
    last_id: int | None = None
    for raw in batch:
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        usable = (
            update_id if isinstance(update_id, int) and not isinstance(update_id, bool) else None
        )
        if usable is not None and known is not None and known(usable):
            continue
        try:
            Update.de_json(raw, bot)
        except Exception as err:  # anything PTB cannot turn into an Update
            log.warning(
                "skipped an update that could not be read (update %s): %s",
                usable,
                type(err).__name__,
            )
            replacement = usable if usable is not None else last_id
            if replacement is not None:
                out.append({"update_id": replacement})
                last_id = max(replacement, last_id or replacement)
            continue
        if usable is None:
            continue
        out.append(raw)
        last_id = max(usable, last_id or usable)
    return out
