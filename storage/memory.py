"""`MemoryStore`: the `Store` in plain dicts, for tests of the service and for trying the bot.

What must hold: the same observable semantics as `SQLiteStore` (the contract suite runs against
both): `complete()` validates first and then applies every change, so it writes all or nothing;
responses are sealed to the analysis key and, with free texts, wait in a `Pool` released in
shuffled batches, kept under random ids and returned in id order, so order says nothing about
arrival; answers go through JSON as in SQLite (same errors, tuples come back as lists).
Nothing survives the process.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from storage.base import AuditEntry, Cell, Due, Response, Snapshot, check_cells, due_checked
from storage.pool import Pool
from storage.sealing import from_text, private_key, public_key, seal, to_text, unseal

#: The release batch when none is given: the surveys' default `min_group_size`.
DEFAULT_BATCH = 5


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


class MemoryStore:
    """The `Store` in memory. Not shared between processes; lost on exit."""

    def __init__(self, *, analysis_key: str | None = None, batch: int = DEFAULT_BATCH) -> None:
        if batch < 1:
            raise ValueError(f"batch must be at least 1, not {batch}")
        self._analysis = None if analysis_key is None else public_key(analysis_key)
        self._batch = batch
        self._sessions: dict[bytes, _Session] = {}
        self._markers: set[bytes] = set()
        self._sealed: dict[bytes, tuple[str, bytes]] = {}
        self._pools: dict[str, Pool] = {}
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
        box = None if self._analysis is None else to_text(seal(stored, self._analysis))
        increments = Counter(cells)
        self._sessions.pop(session_key, None)
        if marker in self._markers:
            return False
        self._markers.add(bytes(marker))
        survey_id = response.survey_id
        pool = self._pools.setdefault(survey_id, Pool())
        if box is not None:
            pool.add_response(box)
        for question, text in response.free_texts.items():
            pool.add_text(question, text)
        for released in pool.release_responses(self._batch):
            self._sealed[secrets.token_bytes(16)] = (survey_id, from_text(released))
        for question, text in pool.release_texts(self._batch):
            self._free_texts[secrets.token_bytes(16)] = (survey_id, question, text)
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

    async def publish_if_due(self, survey_id: str, due: Due) -> Snapshot:
        self._check_open()
        live = self._live.get(survey_id, _Counts())
        shown, cells = self._published.get(survey_id, (_Counts(), {}))
        recorded = not shown.responses or shown.responses in self._disclosure.get(survey_id, {})
        if recorded and live.responses >= due_checked(due, shown.responses):
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

    async def responses(self, survey_id: str, analysis_private_key: str) -> list[Response]:
        self._check_open()
        key = private_key(analysis_private_key)
        boxes = [box for _, (s, box) in sorted(self._sealed.items()) if s == survey_id]
        boxes += [from_text(b) for b in self._pools.get(survey_id, Pool()).responses]
        return [unseal(survey_id, box, key) for box in boxes]

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
