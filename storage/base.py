"""The store interface: what the bot needs from a database, as a `typing.Protocol`.

What must hold for every implementation (checked by `tests/storage/test_contract.py`):
- nothing that identifies a resident is accepted: sessions and completion markers are keyed by
  opaque pseudonyms (bytes), responses carry only a coarse date;
- `complete()` is one transaction: the response, its free texts (apart, unlinked), the tally
  increments, the completion marker and the deletion of the session, or none of them;
- a completed response is kept only sealed to the analysis public key (`storage.sealing`): the
  store cannot read it back; without an analysis key only the counters are kept;
- responses and free texts wait in a `storage.pool.Pool` and reach the permanent tables (and
  `free_texts()`) only in shuffled batches of at least `batch`, so neither the bytes of the
  store nor two successive exports order them finer than a batch;
- a marker blocks a second response for the same pseudonym; nothing links a marker to a response;
- reading tallies never scans responses.

Errors a store raises for bad configuration (not for a resident's input) derive from `StoreError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

#: A stored answer as JSON-able data: choice id, choice ids, number, or None (skipped).
StoredAnswer = str | int | list[str] | None

#: In a `Cell`, the by-question of the overall (not split) tally.
OVERALL = ""
#: In a `Cell`, the choice of a question without choices (number, text): "was answered".
ANSWERED = "*"


@dataclass(frozen=True, order=True)
class Cell:
    """One tally counter: answers `choice` to `question`, among those who answered
    `by_question` with `by_choice` (both `OVERALL` for the whole population)."""

    question: str
    choice: str
    by_question: str = OVERALL
    by_choice: str = OVERALL


@dataclass(frozen=True)
class Response:
    """One completed survey, as stored: no id of the resident, no time finer than a day."""

    survey_id: str
    survey_version: str
    day: date
    language: str
    #: Answers to every question except free-text ones, by question id.
    answers: Mapping[str, StoredAnswer]
    #: Scrubbed free-text answers by question id; stored apart from the response, unlinked.
    free_texts: Mapping[str, str] = field(default_factory=dict)


#: When the publication after one of `n` responses is due: the number of completed responses
#: (more than `n`) at which `publish_if_due` cuts the next one. The survey's release schedule
#: decides it (`bot.survey.releases`), never the moment someone looks.
Due = Callable[[int], int]

#: More responses than any survey gets: with `never`, `publish_if_due` only reads.
NEVER = 2**62


def never(published: int) -> int:
    """A `Due` that never advances the publication: `publish_if_due` just reads it."""
    return NEVER


def every(batch: int) -> Due:
    """A `Due` that advances whenever `batch` responses wait (tests and benchmarks: the old
    on-demand rule, which gives far too many publications for live use)."""
    if batch < 1:
        raise ValueError(f"batch must be at least 1, not {batch}")
    return lambda published: published + batch


def due_checked(due: Due, published: int) -> int:
    """`due(published)`, which must be more than `published` (ValueError otherwise)."""
    at = due(published)
    if at <= published:
        raise ValueError(f"the next publication must come after {published} responses, not {at}")
    return at


@dataclass(frozen=True)
class Snapshot:
    """Tallies as last published (they advance only in batches, see `publish_if_due`)."""

    survey_id: str
    #: Completed responses included in these tallies.
    responses: int
    #: Completed responses since, waiting for the next batch.
    waiting: int
    cells: Mapping[Cell, int]
    #: First and last coarse date among the published responses (None when there are none).
    first_day: date | None = None
    last_day: date | None = None
    #: What the publications before this one told staff, as the stats layer recorded it with
    #: `record_disclosure` (`bot.stats.history`); None before the second publication.
    disclosure_history: str | None = None
    #: Whether the stats layer has recorded what this publication tells staff.
    disclosure_recorded: bool = False


@dataclass(frozen=True)
class AuditEntry:
    """A staff or admin action. Staff are employees, not respondents: their ids may be kept."""

    minute: str  # "YYYY-MM-DD HH:MM", Europe/Stockholm
    role: str  # "staff" or "admin"
    actor_id: int
    action: str  # e.g. "/stats", "/export", "/reload ok", "/reload refused"


class StoreError(Exception):
    """The store cannot be used as configured; the message says what to do."""


class StoreLocked(StoreError):
    """Another process (another bot) has the database open."""


class SchemaTooNew(StoreError):
    """The database was written by a newer version of the bot; refusing to touch it."""


class Store(Protocol):
    """Everything the bot persists. One method call is one transaction."""

    async def load_session(self, key: bytes) -> str | None:
        """The session JSON stored under this pseudonym, or None."""
        ...

    async def save_session(self, key: bytes, survey_id: str, state: str, day: date) -> None:
        """Insert or replace a session; `day` is when it was last active (for the TTL purge)."""
        ...

    async def delete_session(self, key: bytes) -> None:
        """Forget a session (after /cancel). Deleting a missing session is not an error."""
        ...

    async def is_completed(self, marker: bytes) -> bool:
        """Whether a completion marker exists."""
        ...

    async def complete(
        self, *, session_key: bytes, marker: bytes, response: Response, cells: Sequence[Cell]
    ) -> bool:
        """Store a completed response atomically (see module docstring).

        Returns False, and writes nothing but the session deletion, if the marker already exists.
        Each cell adds one to its counter (a cell listed twice adds two). Raises ValueError,
        writing nothing, if a cell has an empty question or choice.
        """
        ...

    async def purge_sessions(self, idle_before: date) -> int:
        """Delete sessions last active before this day; returns how many."""
        ...

    async def count_sessions(self, survey_id: str) -> int:
        """Sessions in progress for this survey."""
        ...

    async def count_responses(self, survey_id: str) -> int:
        """Completed responses for this survey."""
        ...

    async def tallies(self, survey_id: str) -> dict[Cell, int]:
        """The live (unpublished) tally counters; never scans responses."""
        ...

    async def publish_if_due(self, survey_id: str, due: Due) -> Snapshot:
        """The published snapshot, first advanced to the live tallies if the completed
        responses have reached `due(published responses)` (a release schedule's next
        milestone). The check and the cut are one step: across processes a batch is cut
        once, and only once the current publication's history is recorded (so a publisher
        that crashed, or another one still computing it, never lets a cut skip an audit).
        Raises ValueError, changing nothing, if `due` asks for no new response. Its
        `disclosure_history` is the one recorded for the latest earlier publication."""
        ...

    async def record_disclosure(self, survey_id: str, responses: int, history: str) -> None:
        """Keep what the publication of `responses` responses told staff (an opaque text of the
        stats layer), for auditing the next publication. Recording one twice keeps the first;
        only this one and the one before it are kept."""
        ...

    async def responses(self, survey_id: str, analysis_private_key: str) -> list[Response]:
        """Every stored response, pending or released, opened with the analysis private key
        (which never lives on the server: this is for the analyst's copy and for tests), in no
        meaningful order. Raises `storage.sealing.SealError` for the wrong key.

        `free_texts` are empty here: free texts are not linked to responses."""
        ...

    async def free_texts(self, survey_id: str) -> list[tuple[str, str]]:
        """(question id, scrubbed text) pairs released so far (whole batches only), in no
        meaningful order."""
        ...

    async def record_audit(self, entry: AuditEntry) -> None:
        """Append to the audit log of staff and admin actions."""
        ...

    async def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        """The newest audit entries, newest first."""
        ...

    async def close(self) -> None:
        """Flush and close; the store is unusable afterwards."""
        ...


class ResidentTurns(Protocol):
    """One resident's updates handled one at a time by every process sharing a database
    (replicas on one PostgreSQL: `storage.pg_turns`). Keyed by the resident's pseudonym, never a
    Telegram id. A single process needs none: it orders its residents itself."""

    def hold(self, key: bytes) -> AbstractAsyncContextManager[None]:
        """Wait for the turn of the resident whose pseudonym is `key`; hold it for the block."""
        ...

    async def close(self) -> None:
        """Release the connections; held turns end."""
        ...


def check_cells(cells: Sequence[Cell]) -> None:
    """Raise ValueError if a cell cannot be counted (empty question or choice)."""
    for cell in cells:
        if not cell.question or not cell.choice:
            raise ValueError(f"a tally cell needs a question and a choice: {cell!r}")
