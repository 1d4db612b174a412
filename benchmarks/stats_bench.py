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

import itertools
import json
import math
import random
import secrets
import sqlite3
import statistics
import subprocess
import sys
import time
import types
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.answers import DAY, Completed, completed, shipped_survey
from bot.stats import disclosure
from bot.stats import tables as stats
from bot.stats.counters import tally_cells
from bot.stats.disclosure import audit as disclosure_audit
from bot.stats.history import History
from bot.stats.model import Quantity, TallyModel, tally_model
from bot.survey.model import Survey
from bot.survey.releases import Releases
from storage.base import Cell, Snapshot, every
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
    snapshot = await store.publish_if_due(survey.id, every(survey.min_group_size))
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


# --- disclosure: information loss and attack success on a realistic survey --------------------

#: The commit this work started from: "today's" disclosure code, loaded from git for comparison.
BASELINE_COMMIT = "8c582dc"

#: Answer shares shaped like Halmstad's earlier rounds (docs/disclosure.md gives the sources):
#: women answer more than men; most feel safe at home; about a quarter feel unsafe out in their
#: area in the evening, more in Andersberg, Vallås and the centre, and more among women.
SHARES: dict[str, dict[str, float]] = {
    "area": {
        "centrum": 10, "andersberg": 6, "vallas": 8, "linehed": 5, "sofieberg": 5,
        "sondrum": 8, "fyllinge": 6, "other_town": 20, "getinge": 4, "oskarstrom": 5,
        "harplinge": 5, "countryside": 10, "outside": 3, "no_answer": 5,
    },
    "age": {"age_16_24": 9, "age_25_44": 36, "age_45_64": 35, "age_65_plus": 17, "no_answer": 3},
    "gender": {"woman": 59, "man": 36, "other": 1.5, "no_answer": 3.5},
    "safe_home": {
        "very_safe": 58, "fairly_safe": 32, "fairly_unsafe": 6, "very_unsafe": 2, "dont_know": 2,
    },
    "safe_evening_area": {
        "very_safe": 30, "fairly_safe": 42, "fairly_unsafe": 14, "very_unsafe": 5,
        "stay_in_unsafe": 4, "stay_in_other": 3, "dont_know": 2,
    },
    "safe_centre": {
        "very_safe": 14, "fairly_safe": 40, "fairly_unsafe": 25, "very_unsafe": 10,
        "not_there": 8, "dont_know": 3,
    },
    "unsafe_places": {
        "near_home": 3, "streets": 4, "parks": 3, "paths": 3, "transport": 2, "parking": 1,
        "centre": 5, "elsewhere": 1,
    },
    "safer_if": {"lighting": 5, "police": 5, "adults": 3, "cameras": 4, "cleaning": 2, "other": 1},
    "worry": {"never": 40, "sometimes": 42, "fairly_often": 11, "very_often": 4, "dont_know": 3},
    "avoided": {"never": 55, "sometimes": 33, "often": 9, "dont_know": 3},
    "prob": {"no_problem": 45, "some_problem": 35, "big_problem": 12, "dont_know": 8},
    "trust_police": {
        "very_high": 15, "fairly_high": 40, "neither": 25, "fairly_low": 10, "very_low": 5,
        "no_opinion": 5,
    },
    "cares": {"definitely": 15, "partly": 40, "not_much": 25, "not_at_all": 10, "dont_know": 10},
}  # fmt: skip
_UNSAFE = ("fairly_unsafe", "very_unsafe", "stay_in_unsafe")


def _shares(question_id: str) -> dict[str, float]:
    for prefix in ("worry", "prob", "cares"):
        if question_id.startswith(prefix) or question_id.endswith(prefix):
            return SHARES[prefix]
    return SHARES[question_id]


def halmstad_answers(survey: Survey, rng: random.Random) -> dict[str, object]:
    """One resident's answers to the shipped survey, drawn from `SHARES`."""
    from bot.conversation.answers import is_visible
    from bot.survey.questions import MultiQuestion, TextQuestion

    answers: dict[str, object] = {}
    for question in survey.active_questions:
        if not is_visible(question, answers):  # type: ignore[arg-type]
            continue
        if isinstance(question, TextQuestion):
            continue
        shares = dict(_shares(question.id))
        if question.id == "safe_evening_area":
            worse = 1.0 + 0.8 * (answers.get("area") in ("andersberg", "vallas", "centrum"))
            worse += 0.5 * (answers.get("gender") == "woman")
            shares = {c: w * (worse if c in _UNSAFE else 1.0) for c, w in shares.items()}
        if isinstance(question, MultiQuestion):
            if rng.random() < 0.06:
                answers[question.id] = ("dont_know",)
                continue
            picked: list[str] = []
            for _ in range(rng.choice((1, 1, 2, 2, 3))):
                left = {c: w for c, w in shares.items() if c not in picked}
                picked.append(rng.choices(list(left), weights=list(left.values()))[0])
            answers[question.id] = tuple(c.id for c in question.choices if c.id in picked)
        else:
            answers[question.id] = rng.choices(list(shares), weights=list(shares.values()))[0]
    return answers


def halmstad_responses(survey: Survey, n: int = 1_500, seed: int = 2022) -> list[dict[str, object]]:
    """A realistic data set: `n` residents' answers in arrival order."""
    rng = random.Random(seed)
    return [halmstad_answers(survey, rng) for _ in range(n)]


def _baseline_suppress() -> Callable[[TallyModel, int], frozenset[Quantity]] | None:
    """`suppress` of the disclosure code as it was at `BASELINE_COMMIT` (None without git)."""
    root = Path(__file__).resolve().parent.parent
    found = subprocess.run(
        ["git", "show", f"{BASELINE_COMMIT}:bot/stats/disclosure.py"],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if found.returncode:
        return None
    module = types.ModuleType("baseline_disclosure")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(found.stdout, "baseline_disclosure.py", "exec"), module.__dict__)
    suppress: Callable[[TallyModel, int], frozenset[Quantity]] = module.suppress
    return suppress


@dataclass
class Publication:
    """One publication as staff see it: true values, and what is hidden."""

    model: TallyModel
    suppressed: frozenset[Quantity]
    seconds: float

    def shows(self, quantity: Quantity) -> bool:
        return quantity in self.model.shown and quantity not in self.suppressed


def publish_stream(
    survey: Survey, stream: list[dict[str, object]], looks: list[int], *, today: bool
) -> list[Publication]:
    """Publications at these looks (after n responses), with today's code or the new one."""
    baseline = _baseline_suppress() if today else None
    if today and baseline is None:
        return []
    found: list[Publication] = []
    history = History()
    for n in looks:
        snapshot = snapshot_of_answers(survey, stream[:n])
        began = time.perf_counter()
        model = tally_model(survey, snapshot)
        if baseline is not None:
            suppressed = baseline(model, survey.min_group_size)
        else:
            suppressed, known = disclosure_audit(model, survey.min_group_size, history)
            history = History.from_json(history.after(model, known).to_json())
        found.append(Publication(model, suppressed, time.perf_counter() - began))
    return found


def snapshot_of_answers(survey: Survey, answers: list[dict[str, object]]) -> Snapshot:
    cells: Counter[Cell] = Counter()
    for one in answers:
        stored = {q: list(v) if isinstance(v, tuple) else v for q, v in one.items()}
        cells.update(tally_cells(survey, stored))
    return Snapshot(survey.id, len(answers), 0, dict(cells), DAY, DAY)


def hidden_share(publication: Publication) -> tuple[float, float]:
    """Shares of the table cells (answer counts, not totals) hidden, and of split cells whose
    percentage cannot be shown (cell or group size hidden)."""
    model = publication.model
    cells = [q for q in model.shown if q[0] in ("O", "S")]
    hidden = sum(1 for q in cells if not publication.shows(q)) / len(cells)
    splits = [(g, m) for g in model.groups if g.total[0] == "N" for m in g.members]
    lost = sum(1 for g, m in splits if not (publication.shows(m) and publication.shows(g.total)))
    return hidden, lost / len(splits)


def review_attacks(publications: list[Publication], k: int) -> dict[str, int]:
    """The review's attacks on shown numbers (findings 1 and 2): how often each succeeds."""
    found = {"alike": 0, "newcomers": 0, "small difference": 0}
    for pub in publications:
        values = pub.model.values
        for group in pub.model.groups:
            size = values[group.total]
            if not pub.shows(group.total) or size < k:
                continue
            found["alike"] += sum(
                1 for m in group.members if pub.shows(m) and 0 < values[m] >= size - 1
            )
    for i, j in itertools.combinations(range(len(publications)), 2):
        old, new = publications[i], publications[j]
        for group in new.model.groups:
            t = group.total
            if not (old.shows(t) and new.shows(t)):
                continue
            grew = new.model.values[t] - old.model.values[t]
            both = [m for m in group.members if old.shows(m) and new.shows(m)]
            if 0 < grew < k and both:
                found["newcomers"] += 1
            diffs = [new.model.values[m] - old.model.values[m] for m in both]
            found["small difference"] += sum(1 for d in diffs if 0 < d < k)
            if grew >= k:
                found["alike"] += sum(1 for d in diffs if 0 < d >= grew - 1)
    return found


def scheduled_looks(survey: Survey, n: int, releases: Releases) -> list[int]:
    """Publications when staff look after every response, under a release schedule: one at
    each milestone (`Releases.due_after`), and a last one at close if a batch of k waits."""
    k = survey.min_group_size
    looks: list[int] = []
    for count in range(1, n + 1):
        if count >= releases.due_after(looks[-1] if looks else 0, k):
            looks.append(count)
    if n - (looks[-1] if looks else 0) >= k:
        looks.append(n)
    return looks


def _line(name: str, pubs: list[Publication], k: int) -> str:
    shares = [hidden_share(p) for p in pubs]
    times = [p.seconds for p in pubs]
    each = " ".join(f"{h:.0%}" for h, _ in shares)
    hidden, lost = shares[-1]
    return (
        f"{name:>34}: {len(pubs):>2} publications; last hides {hidden:.1%} of answer counts, "
        f"{lost:.1%} of split percentages; answer counts hidden at each: {each}; audit "
        f"{statistics.median(times) * 1000:.0f} ms median, {max(times) * 1000:.0f} ms max; "
        f"attacks that succeed: {review_attacks(pubs, k)}"
    )


def disclosure_report(n: int = 1_500, every: int = 5, prefix: int = 250) -> list[str]:
    """Information loss, attack success and audit time: the shipped survey's release schedule
    and other candidates against on-demand publications (the old rule: a new publication
    whenever staff look and at least k responses wait), all with today's audit."""
    survey = shipped_survey()
    k = survey.min_group_size
    stream = halmstad_responses(survey, n)
    on_demand = {
        f"on demand: every {every} of first {prefix}": list(range(every, prefix + 1, every)),
        "on demand: one look a day, 31": [round(n * (d + 1) / 31) for d in range(31)],
    }
    candidates = {
        "x1.5 from 50, step 50": Releases(first=50, growth=1.5, step=50),
        "x2 from 50, step 50": Releases(first=50, growth=2, step=50),
        "x3 from 50, step 50": Releases(first=50, growth=3, step=50),
    }
    chosen = f"chosen: x{survey.releases.growth:g} from {survey.releases.first}"
    scenarios = {chosen: scheduled_looks(survey, n, survey.releases), **on_demand}
    # A month of weekly releases; arrivals front-loaded as after a launch (45, 70, 87, 100%).
    scenarios["weekly, 4 weeks"] = [round(n * share) for share in (0.45, 0.70, 0.87, 1.0)]
    scenarios.update({name: scheduled_looks(survey, n, r) for name, r in candidates.items()})
    lines = [f"realistic data set: {n:,} responses, k = {k}"]
    print(lines[0], flush=True)
    for name, looks in scenarios.items():
        began = time.perf_counter()
        pubs = publish_stream(survey, stream, looks, today=False)
        lines.append(_line(name, pubs, k) + f"; {time.perf_counter() - began:.0f} s in all")
        print(lines[-1], flush=True)  # as it goes: the on-demand scenarios take minutes
    return lines


if __name__ == "__main__":
    disclosure_report()
