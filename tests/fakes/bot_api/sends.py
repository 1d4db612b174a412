"""What counts as a send, when each accepted send happened, and Telegram's flood limits.

Owns: ``SEND_METHODS``, ``max_in_window`` and ``SendLog`` (the times of accepted sends, overall
and per chat, and the check that refuses a send over the flood limits).
Must hold: sends are sendMessage, editMessageText, editMessageReplyMarkup, sendPhoto and
sendDocument, and only accepted ones are recorded; deleteMessage, answerCallbackQuery and
sendChatAction are not sends. The flood check looks only at the windows' live tails (deques),
never at the whole history, so 2,000 residents stay cheap.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

from tests.fakes.bot_api.faults import Faults

SEND_METHODS = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument"}
)


def max_in_window(times: Iterable[float], window: float) -> int:
    """Most events within any half-open window [t, t + window) of ``times`` (in any order)."""
    ts = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(ts):
        while t - ts[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


class SendLog:
    """Wall-clock times of accepted sends (as Telegram, outside the machine, sees them), and
    the sliding windows the flood limits read."""

    def __init__(self) -> None:
        self._send_times: list[float] = []
        self._chat_send_times: dict[int, list[float]] = {}
        self._flood_global: deque[float] = deque()
        self._flood_chat: dict[int, deque[float]] = {}

    def record(self, chat_id: int | None, now: float) -> None:
        """An accepted send to ``chat_id`` (None: not tied to a chat) at ``now``."""
        self._send_times.append(now)
        self._flood_global.append(now)
        if chat_id is not None:
            self._chat_send_times.setdefault(chat_id, []).append(now)
            self._flood_chat.setdefault(chat_id, deque()).append(now)

    def flood_check(self, f: Faults, chat_id: int | None, now: float) -> tuple[str, int] | None:
        """None if a send now is within the limits, else (scope, retry_after seconds)."""
        horizon = now - f.flood_window
        windows: list[tuple[str, deque[float], int]] = [
            ("global", self._flood_global, f.flood_global_limit)
        ]
        if chat_id is not None:
            windows.append(
                ("chat", self._flood_chat.setdefault(chat_id, deque()), f.flood_chat_limit)
            )
        for scope, window, limit in windows:
            while window and window[0] <= horizon:
                window.popleft()
            if len(window) >= limit:
                return scope, max(1, math.ceil(window[0] - horizon))
        return None

    def times(self, chat_id: int | None = None) -> list[float]:
        """Times of accepted sends, overall or in one chat."""
        if chat_id is None:
            return list(self._send_times)
        return list(self._chat_send_times.get(chat_id, []))

    def max_in_window(self, window: float = 1.0, chat_id: int | None = None) -> int:
        """Most accepted sends in any ``window`` seconds, overall or in one chat."""
        times = self._send_times if chat_id is None else self._chat_send_times.get(chat_id, [])
        return max_in_window(times, window)

    def max_per_chat(self, window: float = 1.0) -> int:
        """The worst single chat's most sends in any ``window`` seconds."""
        return max((max_in_window(t, window) for t in self._chat_send_times.values()), default=0)
