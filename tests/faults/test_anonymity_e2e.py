"""Anonymity end to end (issue "Anonymous storage"): residents with known Telegram ids and
names answer the shipped survey through the real bot, some typing their phone number and
personnummer into the free-text question.

What this proves:
- 200 residents finish a compact survey (every question kind, a breakdown, a condition, free
  text: `COMPACT_SURVEY`; the shipped survey's 22 questions would take minutes here) through
  `survey-bot run` (a subprocess logging at DEBUG exactly as the CLI sets it up; only the
  overall flood limit is off, as the in-process harness allows); the
  raw bytes of the database and of its write-ahead log, read while the bot still runs (the WAL
  then holds old page images of sessions and markers) and again after it stopped, contain no
  resident's id (decimal or hexadecimal text, 4/8-byte little and big endian), name, username,
  phone number or personnummer, and no time of day (the storage-level checks of
  `tests/storage/test_anonymity.py`, reused); no text column holds a time finer than a day;
- nothing joins a completion marker to a response: no shared column, no rowid, no commit in
  the WAL copied while the bot runs holds a marker together with a response, and every stored
  response is sealed (it opens with the tests' analysis private key only); the order of rows in
  the bytes is attacked at the storage level (`tests/storage/test_file_attacks.py`);
- the bot's log at SURVEYBOT_LOG_LEVEL=DEBUG holds no resident id, name, username or typed
  answer; and in-process, with every library (PTB, the HTTP clients, aiosqlite) forced to DEBUG
  and redaction installed as the CLI installs it, no line holds a resident id.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import random
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.storage.test_anonymity as storage_anonymity
from bot.privacy.key import load_secret
from bot.privacy.pseudonyms import Pseudonyms
from bot.privacy.redaction import FORMAT, RedactingFilter, install_redaction
from bot.survey.loader import load_survey
from bot.survey.model import Survey
from tests.e2e.harness import SECRET, running_bot
from tests.fakes.bot_api import FakeBotApi, User
from tests.fakes.residents import Resident as Chat
from tests.faults.bot_process import TEST_SECRET, BotProcess
from tests.faults.conftest import PatientTaker, read_store, response_form, stored_form
from tests.storage.test_anonymity import (
    FIRST,
    LAST,
    check_raw_bytes,
    read_files,
    residents,
)
from tests.storage.test_file_attacks import wal_commits

RESIDENTS = 200
SEED = 2026
COMPACT_SURVEY = """\
# A compact survey for the end-to-end anonymity test: every question kind, a breakdown
# question (so tallies have split cells), a conditional multi question and free text.
id: anonymity_e2e
title: {sv: "Trygghet i kvarteret", en: "Safety in the neighbourhood"}
languages: [sv, en]
opens: 2020-01-01
closes: 2099-12-31
intro: {sv: "Hej! Några frågor om trygghet.", en: "Hello! A few questions about safety."}
privacy:
  sv: "Inga id sparas. Nödläge 112, icke akut 114 14."
  en: "No ids are stored. Emergency 112, non-urgent 114 14."
thanks: {sv: "Tack för dina svar!", en: "Thank you for your answers!"}
questions:
  - id: area
    kind: single
    breakdown: true
    text: {sv: "Var bor du?", en: "Where do you live?"}
    choices:
      - {id: north, label: {sv: "Norr", en: "North"}}
      - {id: south, label: {sv: "Söder", en: "South"}}
      - {id: east, label: {sv: "Öster", en: "East"}}
      - {id: west, label: {sv: "Väster", en: "West"}}
  - id: safe
    kind: scale
    text: {sv: "Hur trygg känner du dig på kvällen?", en: "How safe do you feel in the evening?"}
    choices:
      - {id: very_safe, label: {sv: "Mycket trygg", en: "Very safe"}}
      - {id: fairly_safe, label: {sv: "Ganska trygg", en: "Fairly safe"}}
      - {id: fairly_unsafe, label: {sv: "Ganska otrygg", en: "Fairly unsafe"}}
      - {id: very_unsafe, label: {sv: "Mycket otrygg", en: "Very unsafe"}}
  - id: places
    kind: multi
    max: 2
    show_if: {safe: [fairly_unsafe, very_unsafe]}
    text: {sv: "Var känner du dig otrygg?", en: "Where do you feel unsafe?"}
    choices:
      - {id: streets, label: {sv: "Gator", en: "Streets"}}
      - {id: parks, label: {sv: "Parker", en: "Parks"}}
      - {id: station, label: {sv: "Stationen", en: "The station"}}
      - {id: dont_know, label: {sv: "Vet inte", en: "Don't know"}, exclusive: true}
  - id: years
    kind: number
    min: 0
    max: 99
    text: {sv: "Hur många år har du bott här?", en: "How many years have you lived here?"}
  - id: minutes
    kind: number
    min: 0
    max: 999
    text:
      sv: "Hur många minuter går du till bussen?"
      en: "How many minutes do you walk to the bus?"
  - id: comments
    kind: text
    optional: true
    max_length: 300
    text: {sv: "Något mer du vill berätta?", en: "Anything else you want to tell us?"}
"""
#: Loggers the in-process test turns to DEBUG (the CLI keeps the first three at WARNING).
VERBOSE_LOGGERS = ("httpx", "httpcore", "aiosqlite", "aiohttp", "telegram", "bot")
LIBRARY_LINE = re.compile(r"(?m)^(DEBUG|INFO) (httpx|httpcore|aiohttp|aiosqlite)[\w.]*: ")


def make_people(
    server: FakeBotApi, survey: Survey, count: int, seed: int
) -> tuple[list[storage_anonymity.Resident], list[str], list[PatientTaker]]:
    """Residents with random 9-10 digit ids, names and usernames; every second one types their
    phone number and personnummer into the free-text question."""
    rng = random.Random(seed)
    people = residents(rng, count)
    handles = [f"{p.name.split()[0].lower()}_{p.user_id % 9973}" for p in people]
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
            patience=30.0,
            free_text=text if person.index % 2 else None,
        )
        takers.append(taker)
    return people, handles, takers


@pytest.fixture
def compact_path(tmp_path: Path) -> Path:
    path = tmp_path / "compact.yaml"
    path.write_text(COMPACT_SURVEY, encoding="utf-8")
    return path


@pytest.fixture
def compact(compact_path: Path) -> Survey:
    return load_survey(compact_path)


async def answer_all(takers: list[PatientTaker], timeout: float) -> None:
    gate = asyncio.Semaphore(50)

    async def one(taker: PatientTaker) -> None:
        async with gate:
            await taker.answer_all(timeout)

    await asyncio.wait_for(asyncio.gather(*(one(x) for x in takers)), timeout + 5)


async def test_the_database_wal_and_log_do_not_know_the_residents(
    server: FakeBotApi,
    compact: Survey,
    compact_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    survey, survey_path = compact, compact_path
    people, handles, takers = make_people(server, survey, RESIDENTS, SEED)
    began = time.monotonic()
    # NORMAL writes the same bytes as FULL, with fewer fsyncs.
    fast = {"SURVEYBOT_SQLITE_SYNCHRONOUS": "NORMAL"}
    async with BotProcess(
        server, tmp_path, survey_path, log_level="DEBUG", flood_limits=False, extra_env=fast
    ) as bot:
        await answer_all(takers, 55)
        await server.wait_idle(timeout=10)
        # Read while the bot runs: the WAL may still hold old page images (sessions).
        database, wal = read_files(bot.database)
        wal_path = bot.database.with_name(bot.database.name + "-wal")
        raw_wal = wal_path.read_bytes() if wal_path.exists() else b""
        assert await bot.stop() == 0
    seconds = time.monotonic() - began
    pseudonyms = Pseudonyms(load_secret(TEST_SECRET, None, None))
    # The storage-level checks key their noise filter on the survey id: use ours.
    monkeypatch.setattr(storage_anonymity, "SURVEY", survey.id)
    check_raw_bytes(database + wal, people, pseudonyms, bot.database)
    for handle in handles:
        assert handle.encode() not in database + wal, handle

    database, wal = read_files(bot.database)  # after the bot stopped: checkpointed
    assert wal == b""
    check_raw_bytes(database, people, pseudonyms, bot.database)
    for handle in handles:
        assert handle.encode() not in database, handle

    # What the residents answered is what is stored, each response once.
    report = await read_store(bot.database, survey)
    expected = sorted(stored_form(survey, x.language, x.answers) for x in takers)
    got = sorted(response_form(r) for r in report.responses)
    assert got == expected
    assert report.sessions == 0
    check_no_time_of_day_and_no_join(bot.database, survey, takers, pseudonyms, raw_wal)

    # The CLI's log at SURVEYBOT_LOG_LEVEL=DEBUG: no id, name, username or typed answer (PTB,
    # which logs whole updates at DEBUG, is kept at INFO by the CLI).
    log = bot.log_text()
    assert re.search(r"(?m)^DEBUG ", log), "the bot did not log at DEBUG"
    assert "DEBUG telegram" not in log
    for person, handle in zip(people, handles, strict=True):
        assert str(person.user_id) not in log, person.index
        assert handle not in log, handle
    for word in FIRST + LAST:
        assert word not in log, word
    assert "Otryggt vid stationen" not in log
    assert "Traceback" not in log
    steps = sum(x.actions for x in takers)
    print(f"\nanonymity: {RESIDENTS} residents, {steps} steps in {seconds:.1f} s")


def check_no_time_of_day_and_no_join(
    path: Path, survey: Survey, takers: list[PatientTaker], pseudonyms: Pseudonyms, wal: bytes
) -> None:
    """Text columns hold no time of day; markers and responses share nothing to join on, every
    response is sealed, and no WAL commit (`wal`: copied while the bot ran) holds a marker
    together with a response."""
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type='table'")]
        columns = {t: [row[1] for row in db.execute(f"PRAGMA table_info({t})")] for t in tables}
        for table, names in columns.items():
            if table == "audit":
                continue
            for name in names:
                for (value,) in db.execute(f"SELECT {name} FROM {table}"):
                    if isinstance(value, str):
                        assert not re.search(r"\d{1,2}[:.]\d{2}(?!\d)", value), (table, value)
        assert columns["markers"] == ["marker"]
        assert not set(columns["markers"]) & set(columns["sealed_responses"])
        for table in ("markers", "sealed_responses"):
            with pytest.raises(sqlite3.OperationalError):
                db.execute(f"SELECT rowid FROM {table}")
        markers = {row[0] for row in db.execute("SELECT marker FROM markers")}
        boxes = [bytes(row[0]) for row in db.execute("SELECT box FROM sealed_responses")]
        pending = [json.loads(b)["responses"] for (b,) in db.execute("SELECT body FROM pending")]
        plain = db.execute("SELECT count(*) FROM responses").fetchone()[0]
    db.close()
    assert plain == 0
    assert len(markers) == len(takers)
    assert len(boxes) + sum(map(len, pending)) == len(takers)
    assert {pseudonyms.completion_marker(survey.id, x.chat_id) for x in takers} == markers
    texts = [t.encode() for entries in pending for t in entries]
    for commit in wal_commits(wal):
        linked = any(m in commit for m in markers) and any(b in commit for b in boxes + texts)
        assert not linked, "a WAL commit holds a marker together with a response"


# ------------------------------------------------------------------ the DEBUG log, in-process
@pytest.fixture
def debug_log(server: FakeBotApi) -> Iterator[io.StringIO]:
    """The root logger at DEBUG, libraries too, into a buffer, redacted as the CLI does
    (`install_redaction` with the token and the secret)."""
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
    install_redaction([server.token, SECRET.decode()])
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(root_level)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        for other in root.handlers:
            for old in [f for f in other.filters if isinstance(f, RedactingFilter)]:
                other.removeFilter(old)


async def _debug_run(
    server: FakeBotApi, survey: Survey, tmp_path: Path, count: int
) -> tuple[list[storage_anonymity.Resident], list[str], list[PatientTaker]]:
    people, handles, takers = make_people(server, survey, count, SEED + 1)
    async with running_bot(server, survey, tmp_path / "debug.db", concurrency=8, overall_rate=0):
        await answer_all(takers, 40)
    return people, handles, takers


async def test_debug_lines_of_every_library_carry_no_resident_id(
    server: FakeBotApi, compact: Survey, tmp_path: Path, debug_log: io.StringIO
) -> None:
    people, _, _ = await _debug_run(server, compact, tmp_path, 6)
    log = debug_log.getvalue()
    assert "DEBUG telegram.ext.Application: Processing update" in log, "PTB lines not captured"
    # The HTTP client's lines (httpx/httpcore, or aiohttp when the bot uses it), if it logs.
    assert LIBRARY_LINE.search(log), "no line of the HTTP client or the store was captured"
    assert "<id>" in log, "nothing was redacted: the check would prove nothing"
    for person in people:
        assert str(person.user_id) not in log, person.index
    assert server.token not in log


def test_the_names_are_among_those_the_raw_byte_check_searches() -> None:
    """The residents' names come from the word lists `check_raw_bytes` looks for."""
    for person in residents(random.Random(SEED), 20):
        first, last = person.name.split()[:2]
        assert first in FIRST and last.split("-")[0] in LAST
