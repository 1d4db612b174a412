"""/stats with many stored answers: the time to read the tallies (`Store.publish_if_due`) and
build every disclosure-controlled table (`bot.stats`) of the survey, at growing store sizes.

What must hold: the store is filled fast but realistically: response rows (random ids, the
answers JSON the bot writes) and tally counters exactly as `complete()` would leave them, drawn
from a pool of random completed surveys (`benchmarks.answers`), written by SQL in one
transaction per size; "answers" = responses x the survey's questions. Each timing starts cold:
the disclosure cache (`bot.stats._CACHE`) is cleared, and the median of the repeats is kept.
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
from pathlib import Path

from benchmarks.answers import DAY, Completed, completed, shipped_survey
from bot import stats
from bot.survey import Survey
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


async def stats_once(store: SQLiteStore, survey: Survey) -> float:
    """Seconds for one cold /stats: read the tallies, build the headline and every table."""
    began = time.perf_counter()
    snapshot = await store.publish_if_due(survey.id, survey.min_group_size)
    in_progress = await store.count_sessions(survey.id)
    stats._CACHE.clear()
    stats.headline(survey, snapshot, in_progress, "sv")
    for question_id, by in stats.available_tables(survey):
        if by is None:
            stats.overall_table(survey, snapshot, question_id, "sv")
        else:
            stats.split_table(survey, snapshot, question_id, by, "sv")
    return time.perf_counter() - began


async def measure(
    scratch: Path, sizes: list[int], repeats: int
) -> list[tuple[int, int, float, int]]:
    """(answers, responses, median seconds, tables) for each size in `sizes` (answers)."""
    survey = shipped_survey()
    questions = len(survey.active_questions)
    rng = random.Random(11)
    pool = [completed(survey, rng) for _ in range(POOL)]
    path = scratch / "stats.db"
    store = await SQLiteStore.open(path)
    await store.close()
    tables = len(stats.available_tables(survey))
    results: list[tuple[int, int, float, int]] = []
    stored = 0
    for answers in sizes:
        responses = math.ceil(answers / questions)
        _add_responses(path, survey, pool, responses - stored, seed=responses)
        stored = responses
        store = await SQLiteStore.open(path)
        try:
            times = [await stats_once(store, survey) for _ in range(repeats)]
        finally:
            await store.close()
        results.append((answers, responses, statistics.median(times), tables))
    return results
