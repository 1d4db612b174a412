"""`python -m benchmarks.example_report OUT.pdf [N]`: the example lägesbild in docs/.

Fills an in-memory store with N (default 1,500) realistic completed surveys
(`benchmarks.realistic`) of the shipped survey, publishes them, adds an earlier round (2022,
from docs/example-round-2022.csv), and writes the report as PDF (or .html/.json by the suffix).
Prints how long building and rendering took.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from datetime import date
from pathlib import Path

from benchmarks.answers import shipped_survey
from benchmarks.realistic import realistic_answers
from bot.stats.counters import tally_cells
from bot.stats.document import report_html, report_pdf
from bot.stats.report import Report, build_report, report_json
from bot.stats.rounds import parse_round
from bot.survey.model import Survey
from bot.survey.sources import OTHER, SOURCE
from storage.base import Response, Store, StoredAnswer, every
from storage.memory import MemoryStore

ROOT = Path(__file__).resolve().parent.parent
ROUND_2022 = ROOT / "docs" / "example-round-2022.csv"


async def fill(
    store: Store, survey: Survey, n: int, language: str = "sv", seed: int = 2026
) -> None:
    """Complete `n` realistic surveys into `store` (as the service would) and publish them."""
    rng = random.Random(seed)
    for i in range(n):
        answers = realistic_answers(survey, rng)
        if survey.sources:  # where residents found the survey: most through posters and social
            codes = [src.id for src in survey.sources] + [OTHER]
            answers[SOURCE] = rng.choices(codes, weights=range(len(codes), 0, -1))[0]
        stored: dict[str, StoredAnswer] = {
            k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()
        }
        day = date(2026, 11, 1 + i * 28 // n)
        response = Response(survey.id, survey.version, day, language, stored)
        await store.complete(
            session_key=f"s{i}".encode(),
            marker=f"m{i}".encode(),
            response=response,
            cells=tally_cells(survey, stored),
        )
    await store.publish_if_due(survey.id, every(survey.min_group_size))


async def example_report(survey: Survey, n: int, language: str = "sv", seed: int = 2026) -> Report:
    """The report on `n` realistic responses (published), with the example 2022 round."""
    store = MemoryStore()
    await fill(store, survey, n, language, seed)
    snapshot = await store.publish_if_due(survey.id, every(survey.min_group_size))
    rounds = [parse_round("2022", survey, ROUND_2022.read_text(encoding="utf-8"))]
    return build_report(survey, snapshot, language, date(2026, 12, 1), rounds)


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    n = int(argv[1]) if len(argv) > 1 else 1500
    survey = shipped_survey()
    started = time.perf_counter()
    report = asyncio.run(example_report(survey, n))
    built = time.perf_counter()
    if out.suffix == ".json":
        out.write_text(json.dumps(report_json(report), ensure_ascii=False, indent=2), "utf-8")
    elif out.suffix == ".html":
        out.write_text(report_html(report), encoding="utf-8")
    else:
        out.write_bytes(report_pdf(report))
    done = time.perf_counter()
    print(f"{n} responses: built in {built - started:.1f} s, rendered in {done - built:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
