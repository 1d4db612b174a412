"""`python -m benchmarks.report_bench N`: how long the lägesbild report takes on N realistic
responses, against /stats's all-questions view of the same published snapshot. Prints JSON.

Both start from a cold disclosure cache. The report is built (every table and split, the
indicators) and rendered to PDF (charts, WeasyPrint); wall time and this process's CPU time.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import date

from benchmarks.answers import shipped_survey
from benchmarks.example_report import fill
from benchmarks.stats_bench import clear_disclosure_cache
from bot.stats.document import report_pdf
from bot.stats.report import build_report
from bot.stats.tables import available_tables, overall_table
from storage.base import every
from storage.memory import MemoryStore


def main(n: int) -> dict[str, float]:
    survey = shipped_survey()
    store = MemoryStore()
    asyncio.run(fill(store, survey, n))
    snapshot = asyncio.run(store.publish_if_due(survey.id, every(survey.min_group_size)))

    clear_disclosure_cache()
    started = time.perf_counter()
    for question_id, by in available_tables(survey):
        if by is None:
            overall_table(survey, snapshot, question_id, "sv")
    tables_seconds = time.perf_counter() - started

    clear_disclosure_cache()
    started, cpu = time.perf_counter(), time.process_time()
    report = build_report(survey, snapshot, "sv", snapshot.last_day or date(2026, 12, 1), [])
    pdf = report_pdf(report)
    return {
        "responses": float(snapshot.responses),
        "report_seconds": time.perf_counter() - started,
        "report_cpu_seconds": time.process_time() - cpu,
        "tables_seconds": tables_seconds,
        "pdf_bytes": float(len(pdf)),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1500)))
