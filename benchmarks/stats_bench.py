"""/stats with many stored answers: the time to read the tallies (`Store.publish_if_due`) and
build every disclosure-controlled table (`bot.stats.tables`) of the survey, at growing store sizes.

What must hold: the store is filled fast but realistically: response rows (random ids, the
answers JSON the bot writes) and tally counters exactly as `complete()` would leave them, drawn
from a pool of random completed surveys (`benchmarks.answers`), written by SQL in one
transaction, one database per size; "answers" = responses x the survey's questions. Each timing
starts cold (the disclosure cache is cleared); the sizes take turns, round
after round, so a change in the machine's speed meanwhile hits them alike, and the median of
the rounds is kept. The time to read the tallies is also kept apart: it is the only part that
touches the store, so it is what must not grow with the number of stored answers.
"""

from __future__ import annotations

import json
import math
import random
import secrets
import sqlite3
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks.answers import DAY, Completed, completed, shipped_survey
from bot.stats import disclosure
from bot.stats import tables as stats
from bot.survey.model import Survey
from storage.base import Cell
from storage.sqlite import SQLiteStore

POOL = 400


def _add_responses(path: Path, survey: Survey, pool: list[Completed], n: int, seed: int) -> None:
    """Append `n` responses drawn from `pool`, with their tallies, in one transaction."""
    rng = random.Random(seed)
    drawn = Counter(rng.randrange(len(pool)) for _ in range(n))
    cells: Counter[Cell] = Counter()
    rows = []
    for index, times in drawn.items():
        done = pool[index]
        for cell in done.cells:
            cells[cell] += times
        answers = json.dumps(dict(done.response.answers), ensure_ascii=False, sort_keys=True)
        for _ in range(times):
            rows.append(
                (secrets.token_bytes(16), survey.id, survey.version, DAY.isoformat(), "sv", answers)
            )
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT INTO responses (id, survey_id, survey_version, day, language, answers) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.executemany(
            "INSERT INTO tallies (survey_id, question, choice, by_question, by_choice, count) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET count = count + excluded.count",
            [
                (survey.id, c.question, c.choice, c.by_question, c.by_choice, k)
                for c, k in cells.items()
            ],
        )
        db.execute(
            "INSERT INTO survey_counts (survey_id, responses, first_day, last_day) "
            "VALUES (?1, ?2, ?3, ?3) ON CONFLICT (survey_id) DO UPDATE SET "
            "responses = responses + excluded.responses",
            (survey.id, n, DAY.isoformat()),
        )
        db.execute("COMMIT")
    finally:
        db.close()


def clear_disclosure_cache() -> None:
    """Forget the suppression patterns `bot.stats.disclosure` remembers, so each timing starts
    cold."""
    with disclosure._CACHE_LOCK:
        disclosure._CACHE.clear()


async def stats_once(store: SQLiteStore, survey: Survey) -> tuple[float, float]:
    """Seconds for one cold /stats (read the tallies, build the headline and every table), and
    of those the seconds spent reading the tallies."""
    began = time.perf_counter()
    snapshot = await store.publish_if_due(survey.id, survey.min_group_size)
    in_progress = await store.count_sessions(survey.id)
    read = time.perf_counter() - began
    clear_disclosure_cache()
    stats.headline(survey, snapshot, in_progress, "sv")
    for question_id, by in stats.available_tables(survey):
        if by is None:
            stats.overall_table(survey, snapshot, question_id, "sv")
        else:
            stats.split_table(survey, snapshot, question_id, by, "sv")
    return time.perf_counter() - began, read


@dataclass(frozen=True)
class StatsTiming:
    """The median cold /stats at one store size."""

    answers: int
    responses: int
    seconds: float
    read_seconds: float
    tables: int


async def measure(scratch: Path, sizes: list[int], rounds: int) -> list[StatsTiming]:
    """The median cold /stats for each size in `sizes` (stored answers)."""
    survey = shipped_survey()
    questions = len(survey.active_questions)
    rng = random.Random(11)
    pool = [completed(survey, rng) for _ in range(POOL)]
    tables = len(stats.available_tables(survey))
    stores: dict[int, SQLiteStore] = {}
    try:
        for answers in sizes:
            path = scratch / f"stats-{answers}.db"
            await (await SQLiteStore.open(path)).close()  # create the schema
            _add_responses(path, survey, pool, math.ceil(answers / questions), seed=answers)
            stores[answers] = await SQLiteStore.open(path)
        times: dict[int, list[tuple[float, float]]] = {answers: [] for answers in sizes}
        for _ in range(rounds):
            for answers, store in stores.items():
                times[answers].append(await stats_once(store, survey))
    finally:
        for store in stores.values():
            await store.close()
    return [
        StatsTiming(
            answers=answers,
            responses=math.ceil(answers / questions),
            seconds=statistics.median(t for t, _ in times[answers]),
            read_seconds=statistics.median(r for _, r in times[answers]),
            tables=tables,
        )
        for answers in sizes
    ]
