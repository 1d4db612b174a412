"""Attacks on the files, as whoever copies them (DESIGN "Anonymity and disclosure").

Each test plays the attacker on the BYTES of the database and its WAL, copied while the store
runs and after it stops, never on SELECT order (SELECT is used only to learn which bytes to look
for, and the tests' own analysis private key only to learn the truth the attacker must not find):
- page offsets: SQLite fills a page's free space in insertion order, so cells on one page sit in
  arrival order unless they were written in shuffled batches (finding 3);
- WAL commits: the WAL keeps commits in order; one completion commit held the marker and the
  response together (finding 3);
- free texts: two exports must never differ by one person's comment, and a response must not say
  which text questions its author answered (finding 4);
- re-identification: knowing a neighbour's area, age band and gender must not find their row
  (finding 5).
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from storage import Cell, Response, SQLiteStore, StoredAnswer
from storage.sealing import private_key, unseal
from tests.analysis_key import ANALYSIS_PRIVATE, ANALYSIS_PUBLIC

SURVEY = "halmstad-2025"
DAY = date(2025, 5, 12)
BATCH = 10
AREAS = [f"area{i:02d}" for i in range(14)]
AGES = ["16-29", "30-44", "45-64", "65-79", "80+"]
GENDERS = ["woman", "man", "other", "unsaid"]


async def open_for_attack(path: Path, batch: int = BATCH) -> SQLiteStore:
    # NORMAL only saves fsyncs: the bytes written are the same as with FULL.
    return await SQLiteStore.open(
        path, synchronous="NORMAL", analysis_key=ANALYSIS_PUBLIC, batch=batch
    )


@dataclass(frozen=True)
class Neighbour:
    n: int
    area: str
    age: str
    gender: str


def neighbours(count: int, seed: int = 5) -> list[Neighbour]:
    rng = random.Random(seed)
    return [
        Neighbour(n, rng.choice(AREAS), rng.choice(AGES), rng.choice(GENDERS)) for n in range(count)
    ]


def response(person: Neighbour, text: str | None = None) -> Response:
    answers: dict[str, StoredAnswer] = {
        "area": person.area,
        "age": person.age,
        "gender": person.gender,
        "safe_night": ["very", "rather", "rather_not", "not"][person.n % 4],
        "n": person.n,
    }
    return Response(SURVEY, "v1", DAY, "sv", answers, {"why": text} if text else {})


def marker(n: int) -> bytes:
    return bytes([0xA5]) + n.to_bytes(31, "big")


async def complete(store: SQLiteStore, person: Neighbour, text: str | None = None) -> None:
    cells = [Cell("safe_night", str(response(person).answers["safe_night"]))]
    assert await store.complete(
        session_key=person.n.to_bytes(32, "big"),
        marker=marker(person.n),
        response=response(person, text),
        cells=cells,
    )


def files(path: Path) -> tuple[bytes, bytes]:
    """A copy of the database and its WAL as they are on disk right now."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes(), wal.read_bytes() if wal.exists() else b""


def latest_image(path: Path) -> bytes:
    """The database as of its newest WAL frames: the file's pages with every WAL frame laid
    over them in order (what SQLite itself would read)."""
    data, wal = files(path)
    if len(wal) < 32:
        return data
    page_size = int.from_bytes(wal[8:12], "big")
    pages = [data[at : at + page_size] for at in range(0, len(data), page_size)]
    for at in range(32, len(wal) - 24 - page_size + 1, 24 + page_size):
        number = int.from_bytes(wal[at : at + 4], "big")
        pages += [b"\0" * page_size] * (number - len(pages))
        pages[number - 1] = wal[at + 24 : at + 24 + page_size]
    return b"".join(pages)


def stored_responses(path: Path) -> list[tuple[bytes, int]]:
    """Every stored response as (the bytes an attacker finds in the file, arrival number). The
    arrival number is the truth, read with the tests' analysis private key."""
    key = private_key(ANALYSIS_PRIVATE)
    with sqlite3.connect(path) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_schema")}
        found: list[tuple[bytes, int]] = []
        if "sealed_responses" in tables:
            for (box,) in db.execute("SELECT box FROM sealed_responses"):
                found.append((bytes(box), int(str(unseal(SURVEY, box, key).answers["n"]))))
            for (body,) in db.execute("SELECT body FROM pending"):
                for text in json.loads(body)["responses"]:
                    box = base64.b64decode(text)
                    found.append((text.encode(), int(str(unseal(SURVEY, box, key).answers["n"]))))
        for (answers,) in db.execute("SELECT answers FROM responses"):  # before sealing
            found.append((answers.encode(), int(json.loads(answers)["n"])))
    db.close()
    return found


def concordance_within_batches(
    data: bytes, found: list[tuple[bytes, int]], batch: int
) -> tuple[float, int]:
    """The attack of finding 3 on page bytes: for pairs of responses on the same page and in
    the same release batch, the share whose byte order agrees with their arrival order (0.5 is
    no information; 0 or 1 is the arrival order itself), and the number of such pairs."""
    page_size = int.from_bytes(data[16:18], "big") or 65536
    located = []
    for blob, n in found:
        offset = data.find(blob)
        if offset >= 0:
            located.append((offset // page_size, offset % page_size, n))
    agree = pairs = 0
    for (page_a, at_a, n_a), (page_b, at_b, n_b) in itertools.combinations(located, 2):
        if page_a == page_b and n_a // batch == n_b // batch:
            pairs += 1
            agree += (at_a < at_b) == (n_a < n_b)
    return (agree / pairs if pairs else 0.5), pairs


async def test_page_offsets_do_not_order_responses_within_a_batch(tmp_path: Path) -> None:
    """Copies taken early (24 responses: before sealing, all on one page in arrival order) and
    late (300: pages split and rebalanced), while the store runs and after it stops."""
    path, batch = tmp_path / "survey.db", 25
    people = neighbours(300)
    store = await open_for_attack(path, batch)
    copies: list[tuple[bytes, list[tuple[bytes, int]]]] = []
    try:
        for person in people:
            await complete(store, person)
            if person.n + 1 in (24, 300):
                copies.append((latest_image(path), stored_responses(path)))
    finally:
        await store.close()
    copies.append((latest_image(path), copies[-1][1]))
    assert sorted(n for _, n in copies[-1][1]) == list(range(300))
    for data, found in copies:
        # Random order: 0.5, with a standard deviation of about 0.07 here (Kendall's tau).
        share, pairs = concordance_within_batches(data, found, batch)
        assert pairs >= 60, pairs
        assert 0.2 < share < 0.8, f"byte order agrees with arrival in {share:.0%} of {pairs} pairs"


def wal_commits(wal: bytes) -> Iterator[bytes]:
    """The WAL's commits in order, each as the concatenation of its page images. Every frame
    counts, also frames an earlier WAL generation left behind: an attacker reads them too."""
    if len(wal) < 32:
        return
    page_size = int.from_bytes(wal[8:12], "big")
    frame = 24 + page_size
    pages: list[bytes] = []
    for at in range(32, len(wal) - frame + 1, frame):
        pages.append(wal[at + 24 : at + frame])
        if int.from_bytes(wal[at + 4 : at + 8], "big"):  # a commit frame: database size > 0
            yield b"".join(pages)
            pages = []


async def test_the_wal_holds_no_commit_linking_a_marker_to_a_response(tmp_path: Path) -> None:
    path = tmp_path / "survey.db"
    people = neighbours(60)
    store = await open_for_attack(path)
    copies: list[bytes] = []
    try:
        for person in people:
            await store.save_session(person.n.to_bytes(32, "big"), SURVEY, "x" * 300, DAY)
            await complete(store, person)
            copies.append(files(path)[1])  # the WAL, copied while the store runs
        found = stored_responses(path)
    finally:
        await store.close()
    copies.append(files(path)[1])
    linked = 0
    for wal in copies:
        for commit in wal_commits(wal):
            has_marker = any(marker(p.n) in commit for p in people)
            has_response = any(blob in commit for blob, _ in found)
            linked += has_marker and has_response
    assert linked == 0, f"{linked} WAL commits hold a marker together with a response"


async def test_free_texts_appear_only_in_batches_and_responses_do_not_point_at_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "survey.db"
    people = neighbours(47)
    store = await open_for_attack(path)
    try:
        exports = [await store.free_texts(SURVEY)]
        for person in people:
            text = f"comment {person.n}" if person.n % 2 else None
            await complete(store, person, text)
            exports.append(await store.free_texts(SURVEY))  # /export text after every person
        opened = await store.responses(SURVEY, ANALYSIS_PRIVATE)
    finally:
        await store.close()
    steps = {len(b) - len(a) for a, b in itertools.pairwise(exports)}
    assert steps <= {0} | set(range(BATCH, 10 * BATCH)), f"exports grew by {sorted(steps)}"
    assert len(exports[-1]) == 20  # two batches of 10 out of 23 comments
    assert all("why" not in r.answers for r in opened)  # no "*" for an answered text question


async def test_background_answers_do_not_find_a_neighbours_row(tmp_path: Path) -> None:
    """The operator knows each neighbour's area, age band and gender (14 x 5 x 4 = 280
    combinations) and looks in every row of every table, and in the raw bytes."""
    path = tmp_path / "survey.db"
    people = neighbours(300)
    store = await open_for_attack(path)
    try:
        for person in people:
            await complete(store, person)
    finally:
        await store.close()
    data = path.read_bytes()
    rows: list[object] = []
    with sqlite3.connect(path) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'"):
            rows += [value for row in db.execute(f"SELECT * FROM {table}") for value in row]
    db.close()

    def reveals(value: object, person: Neighbour) -> bool:
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        return all(f'"{answer}"' in text for answer in (person.area, person.age, person.gender))

    found = [p.n for p in people if any(reveals(value, p) for value in rows)]
    assert found == [], f"rows found for {len(found)} of {len(people)} neighbours"
    for person in people:
        assert f'"area": "{person.area}"'.encode() not in data
