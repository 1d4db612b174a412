"""What each resident's survey message shows, as far as this process knows.

A button press carries a snapshot of its message from the moment it was pressed: after a double
press, the second press's snapshot still shows the old question although the first press's edit
has since replaced it. So what a message shows now cannot be read from a press; the adapter
remembers which message it last showed a step on, and which step, after each edit or send that
Telegram confirmed.

What must hold:
- no user or chat id is kept: entries are keyed by an HMAC of the chat id under a key made at
  start and never stored, so the memory cannot be joined to anyone, and it is lost with the
  process (after a restart nothing is known, and a stale press re-draws);
- bounded: at most `limit` residents are remembered, the least recently seen forgotten first.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict


class ShownScreens:
    """For each resident (by keyed hash): the message id and step their survey message shows."""

    def __init__(self, limit: int = 100_000) -> None:
        self._key = secrets.token_bytes(32)
        self._shown: OrderedDict[bytes, tuple[int, int]] = OrderedDict()
        self._limit = limit

    def _slot(self, chat_id: int) -> bytes:
        return hmac.new(self._key, str(chat_id).encode(), hashlib.sha256).digest()[:16]

    def remember(self, chat_id: int, message_id: int, step: int) -> None:
        """Message `message_id` now shows `step` (Telegram confirmed the edit or send)."""
        slot = self._slot(chat_id)
        self._shown[slot] = (message_id, step)
        self._shown.move_to_end(slot)
        if len(self._shown) > self._limit:
            self._shown.popitem(last=False)

    def forget(self, chat_id: int) -> None:
        """The resident's survey message shows no step any more (e.g. the survey ended)."""
        self._shown.pop(self._slot(chat_id), None)

    def shows(self, chat_id: int, message_id: int, step: int) -> bool:
        """Whether message `message_id` is known to show `step` now."""
        return self._shown.get(self._slot(chat_id)) == (message_id, step)

    def __len__(self) -> int:
        return len(self._shown)
