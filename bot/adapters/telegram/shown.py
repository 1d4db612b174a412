"""What each resident's survey message shows, as far as this process knows.

A button press carries a snapshot of its message from the moment it was pressed: after a double
press, the second press's snapshot still shows the old question although the first press's edit
has since replaced it. So what a message shows now cannot be read from a press; the adapter
remembers which message it last showed a step on, and which step, after each edit or send that
Telegram confirmed. It also counts the stale presses on each older message at the resident's
current step (`stale_press`): a backlog delivered again after a crash replays each press once,
while a resident whose survey message is gone presses the older message again after the
"earlier question" toast; only then is the survey message checked (a call to Telegram).

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
        #: per resident: (current step, stale presses per older message at that step)
        self._stale: OrderedDict[bytes, tuple[int, dict[int, int]]] = OrderedDict()

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

    def stale_press(self, chat_id: int, pressed: int, step: int) -> int:
        """Count a stale press on older message `pressed` while the resident is at `step`;
        returns how many there were on it at this step, this one included."""
        slot = self._slot(chat_id)
        at, counts = self._stale.get(slot, (step, {}))
        if at != step:
            counts = {}
        counts[pressed] = counts.get(pressed, 0) + 1
        self._stale[slot] = (step, counts)
        self._stale.move_to_end(slot)
        if len(self._stale) > self._limit:
            self._stale.popitem(last=False)
        return counts[pressed]

    def __len__(self) -> int:
        return len(self._shown)
