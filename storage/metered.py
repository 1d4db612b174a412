"""`MeteredStore`: any `Store`, with Prometheus metrics of what residents do and how long the
database takes.

What must hold: the wrapper changes no behaviour (every call is passed through as it is, errors
included); metrics carry no key, marker, survey answer or id, only the operation's name:
- `surveybot_steps_total`: resident steps stored (`save_session`, one per step);
- `surveybot_completions_total`: responses stored (`complete()` that returned True), and
  `surveybot_completions_refused_total` (the marker existed: answered before);
- `surveybot_store_seconds{operation}`: the time of each store call.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import TypeVar

import prometheus_client

from storage.base import AuditEntry, Cell, Due, Response, Snapshot, Store

T = TypeVar("T")

STEPS = prometheus_client.Counter("surveybot_steps_total", "Resident steps stored.")
COMPLETIONS = prometheus_client.Counter("surveybot_completions_total", "Responses stored.")
REFUSED = prometheus_client.Counter(
    "surveybot_completions_refused_total", "Completions refused: this resident answered before."
)
STORE_SECONDS = prometheus_client.Histogram(
    "surveybot_store_seconds",
    "Time of one store call, by operation.",
    ["operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class MeteredStore:
    """A `Store` that measures the `Store` it wraps."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner

    async def _timed(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        started = time.perf_counter()
        try:
            return await call()
        finally:
            STORE_SECONDS.labels(operation).observe(time.perf_counter() - started)

    async def load_session(self, key: bytes) -> str | None:
        return await self._timed("load_session", lambda: self.inner.load_session(key))

    async def save_session(self, key: bytes, survey_id: str, state: str, day: date) -> None:
        await self._timed(
            "save_session", lambda: self.inner.save_session(key, survey_id, state, day)
        )
        STEPS.inc()

    async def delete_session(self, key: bytes) -> None:
        await self._timed("delete_session", lambda: self.inner.delete_session(key))

    async def is_completed(self, marker: bytes) -> bool:
        return await self._timed("is_completed", lambda: self.inner.is_completed(marker))

    async def complete(
        self, *, session_key: bytes, marker: bytes, response: Response, cells: Sequence[Cell]
    ) -> bool:
        stored = await self._timed(
            "complete",
            lambda: self.inner.complete(
                session_key=session_key, marker=marker, response=response, cells=cells
            ),
        )
        (COMPLETIONS if stored else REFUSED).inc()
        return stored

    async def purge_sessions(self, idle_before: date) -> int:
        return await self._timed("purge_sessions", lambda: self.inner.purge_sessions(idle_before))

    async def count_sessions(self, survey_id: str) -> int:
        return await self._timed("count_sessions", lambda: self.inner.count_sessions(survey_id))

    async def count_responses(self, survey_id: str) -> int:
        return await self._timed("count_responses", lambda: self.inner.count_responses(survey_id))

    async def tallies(self, survey_id: str) -> dict[Cell, int]:
        return await self._timed("tallies", lambda: self.inner.tallies(survey_id))

    async def publish_if_due(self, survey_id: str, due: Due) -> Snapshot:
        return await self._timed(
            "publish_if_due", lambda: self.inner.publish_if_due(survey_id, due)
        )

    async def record_disclosure(self, survey_id: str, responses: int, history: str) -> None:
        await self._timed(
            "record_disclosure", lambda: self.inner.record_disclosure(survey_id, responses, history)
        )

    async def responses(self, survey_id: str, analysis_private_key: str) -> list[Response]:
        return await self._timed(
            "responses", lambda: self.inner.responses(survey_id, analysis_private_key)
        )

    async def free_texts(self, survey_id: str) -> list[tuple[str, str]]:
        return await self._timed("free_texts", lambda: self.inner.free_texts(survey_id))

    async def record_audit(self, entry: AuditEntry) -> None:
        await self._timed("record_audit", lambda: self.inner.record_audit(entry))

    async def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        return await self._timed("audit_log", lambda: self.inner.audit_log(limit))

    async def close(self) -> None:
        await self.inner.close()
