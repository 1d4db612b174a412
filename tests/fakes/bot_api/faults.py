"""Runtime fault injection: latency, 5xx answers, 429s, dropped connections, duplicated updates.

Owns: ``Faults`` (what a test arms: ``server.faults.fail_next(...)`` and friends, plus the flood
limits the server enforces when ``enforce_flood`` is on) and the armed rules' bookkeeping.
Must hold: each armed fault fires exactly as many times as armed, on the first matching calls;
``method=None`` matches any method except ``getUpdates``; ``pending`` counts what has not fired;
with ``fail_at_random(rate, rng)`` every call (getUpdates included) fails with probability
``rate`` on its own, whatever else the bot calls meanwhile (a fault armed per call for "a coming
call" is not that: when long polls outnumber the other calls, those coming calls nearly all fail).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Rule:
    """One armed fault: ``kind`` is "fail", "rate" or "drop"; fires ``remaining`` more times."""

    kind: str
    method: str | None
    remaining: int
    status: int = 500
    retry_after: int = 1
    after_processing: bool = False

    def matches(self, method: str) -> bool:
        if self.method is None:
            return method != "getUpdates"
        return self.method == method


@dataclass
class Faults:
    """Runtime fault injection. ``method=None`` means any method except getUpdates."""

    latency: float = 0.0
    enforce_flood: bool = False
    flood_global_limit: int = 30
    flood_chat_limit: int = 5
    flood_window: float = 1.0
    _rules: list[Rule] = field(default_factory=list)
    _duplicates: int = 0
    _random_rate: float = 0.0
    _rng: random.Random = field(default_factory=random.Random)

    def fail_next(self, method: str | None, n: int = 1, status: int = 500) -> None:
        """The next ``n`` calls of ``method`` answer HTTP ``status`` (5xx) without processing."""
        self._rules.append(Rule("fail", method, n, status=status))

    def rate_limit_next(self, n: int = 1, retry_after: int = 1, method: str | None = None) -> None:
        """The next ``n`` calls answer 429 with ``parameters.retry_after`` (not processed)."""
        self._rules.append(Rule("rate", method, n, status=429, retry_after=retry_after))

    def drop_next(
        self, n: int = 1, method: str | None = None, *, after_processing: bool = False
    ) -> None:
        """Close the connection without answering; ``after_processing`` = effect happened."""
        self._rules.append(Rule("drop", method, n, after_processing=after_processing))

    def fail_at_random(self, rate: float, rng: random.Random) -> None:
        """From now on (until ``clear``) each call fails with probability ``rate``, decided when
        it arrives: half of them answer a 500, 502 or 503, half drop the connection, before or
        after processing (even odds). Armed faults fire first."""
        self._random_rate, self._rng = rate, rng

    def roll(self, method: str) -> None:
        """Decide whether the call of ``method`` arriving now fails at random; if so, arm the
        fault for it (``take`` then fires it on this very call)."""
        rng = self._rng
        if self._random_rate <= 0 or any(r.matches(method) for r in self._rules):
            return
        if rng.random() >= self._random_rate:
            return
        if rng.random() < 0.5:
            self._rules.insert(0, Rule("fail", method, 1, status=rng.choice((500, 502, 503))))
        else:
            self._rules.insert(0, Rule("drop", method, 1, after_processing=rng.random() < 0.5))

    def duplicate_next_updates(self, n: int = 1) -> None:
        """The next ``n`` delivered updates are delivered once more after being confirmed."""
        self._duplicates += n

    def clear(self) -> None:
        self._rules.clear()
        self._duplicates = 0
        self.latency = 0.0
        self.enforce_flood = False
        self._random_rate = 0.0

    @property
    def pending(self) -> int:
        """How many injected faults have not fired yet."""
        return sum(r.remaining for r in self._rules) + self._duplicates

    def take(self, kind: str, method: str) -> Rule | None:
        """Fire the first armed rule of ``kind`` that matches ``method``, if any."""
        for rule in self._rules:
            if rule.kind == kind and rule.remaining > 0 and rule.matches(method):
                rule.remaining -= 1
                if rule.remaining == 0:
                    self._rules.remove(rule)
                return rule
        return None

    def take_duplicate(self) -> bool:
        """Whether the update being delivered now must be delivered once more (uses one up)."""
        if self._duplicates <= 0:
            return False
        self._duplicates -= 1
        return True
