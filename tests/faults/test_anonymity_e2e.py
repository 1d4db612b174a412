"""Anonymity end to end (issue "Anonymous storage"): 200 residents with known Telegram ids and
names finish the shipped survey through the real bot (in-process, real PTB over HTTP, a SQLite
file), some typing their phone number and personnummer into the free-text question.

What this proves:
- the raw bytes of the database and of its write-ahead log, read while the bot still runs (the
  WAL then still holds old page images) and again after it stopped, contain no resident's id
  (decimal or hexadecimal text, 4/8-byte little and big endian), name, username, phone number
  or personnummer, and no time of day (the storage-level checks of
  `tests/storage/test_anonymity.py`, reused);
- no text column holds a time finer than a day;
- nothing joins a completion marker to a response: no shared column, no rowid, and the
  physical orders of markers and responses say nothing about who finished when;
- the bot's log, captured at DEBUG with PTB and httpx at DEBUG too and redaction installed as
  the CLI installs it, holds no resident id.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import random
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.storage.test_anonymity as storage_anonymity
from bot.logfilter import FORMAT, RedactingFilter, install_redaction
from bot.privacy import Pseudonyms
from bot.survey import Survey
from tests.e2e.harness import SECRET, running_bot
from tests.faults.conftest import (
    PatientTaker,
    response_form,
    stored_form,
)
from tests.fakes.bot_api import FakeBotApi, User
from tests.fakes.residents import Resident as Chat
from tests.storage.test_anonymity import (
    FIRST,
    LAST,
    check_raw_bytes,
    read_files,
    residents,
    spearman,
)

RESIDENTS = 200
SEED = 2026
VERBOSE_LOGGERS = ("telegram", "httpx", "httpcore", "aiosqlite", "bot")


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """The root logger at DEBUG (libraries too) into a buffer, redacted as the CLI does."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in VERBOSE_LOGGERS}
    root_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in VERBOSE_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    install_redaction([FakeBotApi().token, SECRET.decode()])
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(root_level)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        for other in root.handlers:
            for flt in [f for f in other.filters if isinstance(f, RedactingFilter)]:
                other.removeFilter(flt)


def usernames(people: list[storage_anonymity.Resident]) -> list[str]:
    return [f"{p.name.split()[0].lower()}_{p.user_id % 9973}" for p in people]


async def test_the_database_wal_and_log_do_not_know_the_residents(
    server: FakeBotApi,
    survey: Survey,
    tmp_path: Path,
    debug_log: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(SEED)
    people = residents(rng, RESIDENTS)
    handles = usernames(people)
    takers = []
    for person, handle in zip(people, handles, strict=True):
        first, last = person.name.split()[:2]
        language = rng.choice(["sv", "en"])
        user = User(person.user_id, first, username=handle, language_code=language, last_name=last)
        text = f"Otryggt vid stationen. Ring {person.phone} eller pnr {person.personnummer}"
        taker = PatientTaker(
            server,
            Chat(server, user),
            survey,
            language,
            random.Random(rng.getrandbits(64)),
            patience=20.0,
            free_text=text if person.index % 2 else None,
        )
        takers.append(taker)

    path = tmp_path / "survey.db"
    gate = asyncio.Semaphore(50)

    async def one(taker: PatientTaker) -> None:
        async with gate:
            await taker.answer_all(55)

    async with running_bot(server, survey, path, concurrency=32, overall_rate=0) as bot:
        await asyncio.wait_for(asyncio.gather(*(one(x) for x in takers)), 60)
        await server.wait_idle(timeout=10)
        stored = await bot.service.store.responses(survey.id)
        # Read while the bot runs: the WAL still holds old page images (sessions, markers).
        database, wal = read_files(path)
    assert len(wal) > 0
    assert len(stored) == RESIDENTS
    pseudonyms = Pseudonyms(SECRET)
    # The storage-level checks key their noise filter on the survey id: use ours.
    monkeypatch.setattr(storage_anonymity, "SURVEY", survey.id)
    check_raw_bytes(database + wal, people, pseudonyms, path)
    for handle in handles:
        assert handle.encode() not in database + wal, handle

    database, wal = read_files(path)  # after the bot stopped: checkpointed
    assert wal == b""
    check_raw_bytes(database, people, pseudonyms, path)
    for handle in handles:
        assert handle.encode() not in database, handle

    # What the residents answered is what is stored (each response once).
    expected = sorted(stored_form(survey, x.language, x.answers) for x in takers)
    assert sorted(response_form(r) for r in stored) == expected

    check_no_time_of_day_and_no_join(path, survey, takers, pseudonyms)

    log = debug_log.getvalue()
    assert "Processing update" in log, "PTB's debug lines were not captured"
    assert "HTTP Request" in log or "send_request" in log, "httpx/httpcore lines not captured"
    for person in people:
        assert str(person.user_id) not in log, person.index


def check_no_time_of_day_and_no_join(
    path: Path, survey: Survey, takers: list[PatientTaker], pseudonyms: Pseudonyms
) -> None:
    """Text columns hold no time of day; markers and responses share nothing to join on, and
    their physical orders are unrelated to the order in which residents finished."""
    with sqlite3.connect(path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_schema WHERE type='table'")]
        columns = {t: [row[1] for row in db.execute(f"PRAGMA table_info({t})")] for t in tables}
        for table, names in columns.items():
            if table == "audit":
                continue
            for name in names:
                for (value,) in db.execute(f"SELECT {name} FROM {table}"):
                    if isinstance(value, str):
                        assert not re.search(r"\d{1,2}[:.]\d{2}(?!\d)", value), (table, value)
        assert columns["markers"] == ["marker"]
        assert not set(columns["markers"]) & set(columns["responses"])
        for table in ("markers", "responses"):
            with pytest.raises(sqlite3.OperationalError):
                db.execute(f"SELECT rowid FROM {table}")
        markers = [row[0] for row in db.execute("SELECT marker FROM markers")]
        responses = [
            json.dumps({"language": lang, "answers": json.loads(a)}, sort_keys=True)
            for lang, a in db.execute("SELECT language, answers FROM responses")
        ]
    db.close()
    assert markers == sorted(markers)
    assert len(markers) == len(responses) == len(takers)

    # Who is where: a resident's response by its (almost always unique) answers.
    forms = [stored_form(survey, x.language, x.answers) for x in takers]
    unique = {f for f in forms if forms.count(f) == 1}
    marker_at = {m: i for i, m in enumerate(markers)}
    response_at = {f: i for i, f in enumerate(responses) if f in unique}
    known = [
        (x.finished_at, marker_at[pseudonyms.completion_marker(survey.id, x.chat_id)], response_at[f])
        for x, f in zip(takers, forms, strict=True)
        if f in unique
    ]
    assert len(known) >= 0.9 * len(takers)
    known.sort()  # in the order the residents finished
    for column in (1, 2):
        assert abs(spearman(_ranks([k[column] for k in known]))) < 0.3
    by_marker = sorted(known, key=lambda k: k[1])
    assert abs(spearman(_ranks([k[2] for k in by_marker]))) < 0.3


def _ranks(values: list[int]) -> list[int]:
    """The rank of each value (a permutation of range(len(values)))."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0] * len(values)
    for rank, i in enumerate(order):
        ranks[i] = rank
    return ranks


def test_names_are_checked_too() -> None:
    """The names the residents get come from the lists the raw-byte check searches for."""
    person = residents(random.Random(SEED), 1)[0]
    first, last = person.name.split()[:2]
    assert first in FIRST and last.split("-")[0] in LAST
