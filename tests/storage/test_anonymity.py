"""Anonymity at the storage level: 200 residents with known Telegram ids and names go through
`Pseudonyms` and `SQLiteStore`; the raw bytes of the database and its WAL must not know them.

(The end-to-end version, through the real bot, lives with the bot's tests.)
"""

from __future__ import annotations

import json
import random
import re
import secrets
import sqlite3
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.privacy.pseudonyms import Pseudonyms
from bot.privacy.scrub import scrub
from storage import Cell, Response, SQLiteStore
from tests.analysis_key import ANALYSIS_PRIVATE, ANALYSIS_PUBLIC

SURVEY = "halmstad-2025"
FIRST = ["Karin", "Lars", "Aisha", "Mohammed", "Ingrid", "Björn", "Fatima", "Sven", "Elsa", "Omar"]
LAST = ["Lindqvist", "Öberg", "Haddad", "Johansson", "Nyström", "Karlsson", "Ekdahl", "Sandberg"]
DAYS = [date(2025, 5, d) for d in range(5, 12)]
BATCH = 5


@dataclass
class Resident:
    index: int
    user_id: int
    name: str
    phone: str
    personnummer: str


def residents(rng: random.Random, count: int) -> list[Resident]:
    ids = rng.sample(range(100_000_000, 8_000_000_000), count)
    result = []
    for i, user_id in enumerate(ids):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}-{rng.choice(LAST)} {i:03d}"
        phone = f"07{rng.randint(0, 9)}-{rng.randint(100, 999)} {rng.randint(10, 99)} " + str(
            rng.randint(10, 99)
        )
        pnr = f"{rng.randint(40, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}-" + str(
            rng.randint(1000, 9999)
        )
        result.append(Resident(i, user_id, name, phone, pnr))
    return result


def binary_encodings(user_id: int) -> list[bytes]:
    """The ways a program might write a user id into a file in binary (the text forms,
    decimal and hexadecimal, are checked separately)."""
    out = [user_id.to_bytes(8, "little"), user_id.to_bytes(8, "big")]
    if user_id < 2**32:
        out += [user_id.to_bytes(4, "little"), user_id.to_bytes(4, "big")]
    return out


def windows(blob: bytes, width: int = 4) -> set[bytes]:
    return {blob[i : i + width] for i in range(len(blob) - width + 1)}


async def simulate(path: Path, people: list[Resident], pseudonyms: Pseudonyms) -> None:
    rng = random.Random(7)
    # NORMAL only saves fsyncs: the bytes written are the same as with FULL.
    store = await SQLiteStore.open(
        path, synchronous="NORMAL", analysis_key=ANALYSIS_PUBLIC, batch=BATCH
    )
    try:
        for person in people:
            key = pseudonyms.session_key(SURVEY, person.user_id)
            marker = pseudonyms.completion_marker(SURVEY, person.user_id)
            day = rng.choice(DAYS)
            answers: dict[str, object] = {}
            for step, (question, choice) in enumerate(
                [("safe_day", "very"), ("safe_night", "rather_not"), ("places", ["park"])]
            ):
                answers[question] = choice
                state = {
                    "survey_version": "v1",
                    "language": "sv",
                    "stage": "asking",
                    "answers": answers,
                    "step": step,
                    "screen": rng.randint(1, 500),
                }
                await store.save_session(key, SURVEY, json.dumps(state), day)
            if person.index % 10 == 9:
                continue  # abandoned: the session stays until purged
            text = f"Otryggt vid stationen. Ring {person.phone} eller pnr {person.personnummer}"
            response = Response(
                SURVEY,
                "v1",
                day,
                "sv",
                {"safe_day": "very", "safe_night": "rather_not", "n": person.index},
                {"why": scrub(text)},
            )
            cells = [Cell("safe_day", "very"), Cell("safe_night", "rather_not")]
            assert await store.complete(
                session_key=key, marker=marker, response=response, cells=cells
            )
            if person.index % 20 == 0:  # tries again: refused, nothing new stored
                assert not await store.complete(
                    session_key=key, marker=marker, response=response, cells=cells
                )
        # Read while the bot runs: the WAL still holds page images of deleted sessions.
        database, wal = read_files(path)
        assert len(wal) > 0
        check_raw_bytes(database + wal, people, pseudonyms, path)
    finally:
        await store.close()
    database, wal = read_files(path)
    assert wal == b""  # checkpointed and removed on close
    check_raw_bytes(database, people, pseudonyms, path)


def read_files(path: Path) -> tuple[bytes, bytes]:
    """The database file, and the distinct page images in its write-ahead log (the WAL holds
    many copies of the same page; de-duplicating them keeps the byte searches fast)."""
    wal_path = path.with_name(path.name + "-wal")
    wal = wal_path.read_bytes() if wal_path.exists() else b""
    if not wal:
        return path.read_bytes(), b""
    page_size = int.from_bytes(wal[8:12], "big")
    frame = 24 + page_size  # each frame: a 24-byte header (page number, salts, checksums)
    pages = dict.fromkeys(wal[at + 24 : at + frame] for at in range(32, len(wal), frame))
    return path.read_bytes(), b"".join(pages)


def check_raw_bytes(raw: bytes, people: list[Resident], pseudonyms: Pseudonyms, path: Path) -> None:
    """No resident's id, name, phone or personnummer in `raw`, and no time of day."""
    # Index once, then look up: searching megabytes for thousands of patterns one by one is slow.
    digit_runs = re.findall(rb"\d{7,}", raw)
    hex_runs = re.findall(rb"[0-9a-f]{7,}", raw)
    words = all_windows(raw)
    # 4-byte patterns can occur by chance inside random ids and HMACs: such windows are set
    # aside, which only ever weakens the check for that one id.
    with sqlite3.connect(path) as db:
        random_values = [row[0] for row in db.execute("SELECT id FROM sealed_responses")]
        random_values += [row[0] for row in db.execute("SELECT box FROM sealed_responses")]
        random_values += [row[0].encode() for row in db.execute("SELECT body FROM pending")]
        random_values += [row[0] for row in db.execute("SELECT id FROM free_texts")]
    db.close()
    for person in people:
        random_values.append(pseudonyms.session_key(SURVEY, person.user_id))
        random_values.append(pseudonyms.completion_marker(SURVEY, person.user_id))
    noise = set().union(*(windows(v) for v in random_values))
    noise |= windows(raw[:100])  # database header (counters, a version number)

    def present(pattern: bytes) -> bool:
        if len(pattern) == 4:
            return as_word(pattern) in words and pattern not in noise
        # Only search for 8 bytes when both their halves occur somewhere.
        halves = as_word(pattern[:4]) in words and as_word(pattern[4:]) in words
        return halves and pattern in raw

    for person in people:
        decimal = str(person.user_id).encode()
        assert not any(decimal in run for run in digit_runs), person.index
        hexadecimal = f"{person.user_id:x}".encode()
        assert not any(hexadecimal in run for run in hex_runs), person.index
        for pattern in binary_encodings(person.user_id):
            assert not present(pattern), (person.index, pattern)
        for number in (person.phone, person.personnummer):
            digits = re.sub(r"\D", "", number).encode()
            assert not any(digits in run for run in digit_runs), person.index
    for word in FIRST + LAST:  # no name, or any part of one, anywhere
        assert word.encode() not in raw, word
    assert re.search(rb"07\d-\d{3} \d\d \d\d", raw) is None  # no phone number
    assert re.search(rb"\d{6}-\d{4}", raw) is None  # no personnummer
    assert re.search(rb"\d\d:\d\d", raw) is None  # no time of day anywhere


def all_windows(raw: bytes) -> set[int]:
    """Every 4-byte window of `raw`, as native-endian integers."""
    found: set[int] = set()
    for offset in range(4):
        usable = (len(raw) - offset) // 4 * 4
        found.update(memoryview(raw)[offset : offset + usable].cast("I"))
    return found


def as_word(pattern: bytes) -> int:
    return int.from_bytes(pattern, sys.byteorder)


async def test_database_and_wal_do_not_know_the_residents(tmp_path: Path) -> None:
    people = residents(random.Random(2025), 200)
    pseudonyms = Pseudonyms(secrets.token_bytes(32), cost=2**8)  # the cost is tested elsewhere
    path = tmp_path / "survey.db"
    await simulate(path, people, pseudonyms)

    with sqlite3.connect(path) as db:
        columns = {
            table: [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            for (table,) in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
        }
        # Markers have nothing but the marker: no time, no survey, no order, nothing to join on.
        assert columns["markers"] == ["marker"]
        assert columns["sealed_responses"] == ["id", "survey_id", "box"]
        assert "response" not in " ".join(columns["free_texts"])
        for table in (
            "sessions",
            "markers",
            "sealed_responses",
            "free_texts",
            "tallies",
            "pending",
        ):
            sql = db.execute("SELECT sql FROM sqlite_schema WHERE name = ?", (table,)).fetchone()
            assert sql[0].endswith("WITHOUT ROWID"), table
        # Text columns other than the audit log hold no time finer than a day.
        for table, names in columns.items():
            if table == "audit":
                continue
            for name in names:
                for (value,) in db.execute(f"SELECT {name} FROM {table}"):
                    if isinstance(value, str):
                        assert not re.search(r"\d{1,2}[:.]\d{2}(?!\d)", value), (table, value)

    # The order of rows in the file is attacked on the bytes in test_file_attacks.py; here:
    # every completed response is kept, sealed, and opens with the analysis private key only.
    store = await SQLiteStore.open(path)
    try:
        opened = await store.responses(SURVEY, ANALYSIS_PRIVATE)
    finally:
        await store.close()
    completed = [p for p in people if p.index % 10 != 9]
    assert sorted(int(str(r.answers["n"])) for r in opened) == [p.index for p in completed]
