"""Reading updates: one update the bot cannot parse must not stop polling for everyone.

python-telegram-bot parses a whole getUpdates batch at once; one malformed update makes the
parse fail, the offset never advances and the same batch is fetched again, forever, each time
with a critical log line that carries the raw update (names, typed text). `TolerantBot` reads
each update on its own and replaces one it cannot read by an empty update with the same id,
which no handler matches: the offset moves past it, and the log gets one line with the id only.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import ExtBot

log = logging.getLogger(__name__)


class TolerantBot(ExtBot[None]):
    """An ExtBot whose getUpdates survives malformed updates."""

    async def _post(self, endpoint: str, data: Any = None, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            return [self._readable(raw) for raw in result]
        return result

    def _readable(self, raw: Any) -> Any:
        try:
            Update.de_json(raw, self)
        except Exception as err:  # anything PTB cannot turn into an Update
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            log.warning(
                "skipped an update that could not be read (update %s): %s",
                update_id,
                type(err).__name__,
            )
            return {"update_id": update_id} if isinstance(update_id, int) else {"update_id": 0}
        return raw
