"""`MemoryStore`: the `Store` in plain dicts, for tests of the service and for trying the bot.

What must hold: the same observable semantics as `SQLiteStore` (the contract suite runs against
both): `complete()` validates first and then applies every change, so it writes all or nothing;
responses and free texts are kept under random ids and returned in id order, so order says
nothing about arrival; answers go through JSON as in SQLite (same errors, tuples come back as
lists) and are copied on the way out, so a caller cannot change what is stored.
Nothing survives the process.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from storage.base import AuditEntry, Cell, Response, Snapshot, StoredAnswer, check_cells


@dataclass
class _Counts:
    responses: int = 0
    first_day: date | None = None
    last_day: date | None = None


@dataclass(frozen=True)
class _Session:
    survey_id: str
    state: str
    day: date


def _copy_answer(answer: StoredAnswer) -> StoredAnswer:
    return list(answer) if isinstance(answer, list) else answer


class MemoryStore:
    """The `Store` in memory. Not shared between processes; lost on exit."""

    def __init__(self) -> None:
        self._sessions: dict[bytes, _Session] = {}
        self._markers: set[bytes] = set()
        self._responses: dict[bytes, Response] = {}
        self._free_texts: dict[bytes, tuple[str, str, str]] = {}
        self._tallies: dict[str, Counter[Cell]] = {}
        self._live: dict[str, _Counts] = {}
        self._published: dict[str, tuple[_Counts, dict[Cell, int]]] = {}
        self._disclosure: dict[str, dict[int, str]] = {}
        self._audit: list[AuditEntry] = []
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the store is closed")

    async def load_session(self, key: bytes) -> str | None:
        self._check_open()
        session = self._sessions.get(key)
        return None if session is None else session.state

    async def save_session(self, key: bytes, survey_id: str, state: str, day: date) -> None:
        self._check_open()
        self._sessions[bytes(key)] = _Session(survey_id, state, day)

    async def delete_session(self, key: bytes) -> None:
        self._check_open()
        self._sessions.pop(key, None)

    async def purge_sessions(self, idle_before: date) -> int:
        self._check_open()
        idle = [key for key, session in self._sessions.items() if session.day < idle_before]
        for key in idle:
            del self._sessions[key]
        return len(idle)

    async def count_sessions(self, survey_id: str) -> int:
        self._check_open()
        return sum(1 for s in self._sessions.values() if s.survey_id == survey_id)

    async def is_completed(self, marker: bytes) -> bool:
        self._check_open()
        return marker in self._markers

    async def complete(
        self, *, session_key: bytes, marker: bytes, response: Response, cells: Sequence[Cell]
    ) -> bool:
        self._check_open()
        check_cells(cells)
        # Everything that can fail happens before the first change.
        # Through JSON, as SQLite stores it: the same errors, and tuples come back as lists.
        stored = replace(response, answers=json.loads(json.dumps(dict(response.answers))))
        stored = replace(stored, free_texts={})
        texts = [(response.survey_id, q, t) for q, t in response.free_texts.items()]
        increments = Counter(cells)
        self._sessions.pop(session_key, None)
        if marker in self._markers:
            return False
        self._markers.add(bytes(marker))
        self._responses[secrets.token_bytes(16)] = stored
        for text in texts:
            self._free_texts[secrets.token_bytes(16)] = text
        self._tallies.setdefault(response.survey_id, Counter()).update(increments)
        counts = self._live.setdefault(response.survey_id, _Counts())
        counts.responses += 1
        counts.first_day = min(counts.first_day or response.day, response.day)
        counts.last_day = max(counts.last_day or response.day, response.day)
        return True

    async def count_responses(self, survey_id: str) -> int:
        self._check_open()
        return self._live.get(survey_id, _Counts()).responses

    async def tallies(self, survey_id: str) -> dict[Cell, int]:
        self._check_open()
        return dict(self._tallies.get(survey_id, {}))

    async def publish_if_due(self, survey_id: str, batch: int) -> Snapshot:
        self._check_open()
        if batch < 1:
            raise ValueError(f"batch must be at least 1, not {batch}")
        live = self._live.get(survey_id, _Counts())
        shown, cells = self._published.get(survey_id, (_Counts(), {}))
        if live.responses - shown.responses >= batch:
            shown, cells = replace(live), dict(self._tallies.get(survey_id, {}))
            self._published[survey_id] = (shown, cells)
        kept = sorted(self._disclosure.get(survey_id, {}).items(), reverse=True)
        earlier = [h for n, h in kept if n < shown.responses]
        return Snapshot(
            survey_id=survey_id,
            responses=shown.responses,
            waiting=live.responses - shown.responses,
            cells=dict(cells),
            first_day=shown.first_day,
            last_day=shown.last_day,
            disclosure_history=earlier[0] if earlier else None,
            disclosure_recorded=shown.responses in self._disclosure.get(survey_id, {}),
        )

    async def record_disclosure(self, survey_id: str, responses: int, history: str) -> None:
        self._check_open()
        kept = self._disclosure.setdefault(survey_id, {})
        kept.setdefault(responses, history)
        earlier = [n for n in kept if n < responses]
        for n in kept.keys() - {responses, *sorted(earlier)[-1:]}:
            del kept[n]

    async def responses(self, survey_id: str) -> list[Response]:
        self._check_open()
        return [
            replace(r, answers={q: _copy_answer(a) for q, a in r.answers.items()})
            for _, r in sorted(self._responses.items())
            if r.survey_id == survey_id
        ]

    async def free_texts(self, survey_id: str) -> list[tuple[str, str]]:
        self._check_open()
        return [(q, t) for _, (s, q, t) in sorted(self._free_texts.items()) if s == survey_id]

    async def record_audit(self, entry: AuditEntry) -> None:
        self._check_open()
        self._audit.append(entry)

    async def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        self._check_open()
        return self._audit[::-1][:limit]

    async def close(self) -> None:
        self._closed = True
