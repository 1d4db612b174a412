"""`survey-bot report` and `survey-bot rounds`: the lägesbild as PDF/HTML, and earlier rounds.

What must hold: the report is built from the published snapshot through the one disclosure
layer (`bot.stats.report`), with the earlier rounds kept in the rounds folder beside the survey
file; a mistake in a data file is every problem with file, line and fix, exit 2. The store is
opened as a tool (it works while the bot runs) and nothing is created: no database, no key file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bot.cli.bootstrap import (
    CliError,
    load_survey_or_fail,
    now,
    open_tool_store,
    settings_with_logging,
)
from bot.staff.report import rounds_folder, staff_report
from bot.stats.document import report_html, report_pdf
from bot.stats.population import load_margins, weigh
from bot.stats.report import report_json
from bot.stats.rounds import load_rounds, parse_round, save_round


def add_report_commands(sub: Any) -> None:
    """Register `report` and `rounds` on the `survey-bot` sub-command parser."""
    report = sub.add_parser("report", help="write the lägesbild report (PDF, HTML or JSON)")
    report.add_argument("--out", required=True, help="file to write: .pdf, .html or .json")
    report.add_argument("--lang", default="sv", choices=("sv", "en"), help="report language")
    report.add_argument(
        "--margins", action="append", default=[], metavar="CSV", help="population margin file"
    )
    report.add_argument("--margins-source", default="", help="where the margins come from")
    report.add_argument(
        "--analysis-key",
        metavar="FILE",
        help="file with the analysis private key: weighting reads the sealed responses",
    )
    report.set_defaults(func=_report)

    rounds = sub.add_parser("rounds", help="import or list earlier rounds' published results")
    rounds.add_argument("action", choices=("import", "list"))
    rounds.add_argument("--label", help="the round's name, e.g. 2022")
    rounds.add_argument("--results", help="the round's results CSV")
    rounds.add_argument("--mapping", help="CSV mapping old ids onto the current survey's")
    rounds.set_defaults(func=_rounds)


def _report(args: argparse.Namespace) -> int:
    settings = settings_with_logging()
    survey = load_survey_or_fail(settings.survey)
    out = Path(args.out)
    if out.suffix not in (".pdf", ".html", ".json"):
        raise CliError(f"--out {out}: name a .pdf, .html or .json file")
    margins = load_margins(survey, [Path(m) for m in args.margins])
    if margins and not args.analysis_key:
        raise CliError(
            "weighting needs the completed responses: give --analysis-key FILE with the analysis "
            "private key (on the analyst's machine, with a copy of the database)"
        )
    private_key = _read_key(Path(args.analysis_key)) if margins else ""

    async def build() -> Any:
        store = await open_tool_store(settings)
        try:
            weighting = None
            if margins:
                responses = await store.responses(survey.id, private_key)
                weighting = weigh(survey, responses, margins, args.margins_source or "SCB")
            return await staff_report(store, survey, settings.survey, args.lang, now(), weighting)
        finally:
            await store.close()

    report = asyncio.run(build())
    if out.suffix == ".pdf":
        out.write_bytes(report_pdf(report))
    elif out.suffix == ".html":
        out.write_text(report_html(report), encoding="utf-8")
    else:
        out.write_text(json.dumps(report_json(report), ensure_ascii=False, indent=2), "utf-8")
    print(f"wrote {out}")
    return 0


def _read_key(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise CliError(f"cannot read the analysis key {path}: {err.strerror}") from err


def _rounds(args: argparse.Namespace) -> int:
    settings = settings_with_logging()
    survey = load_survey_or_fail(settings.survey)
    folder = rounds_folder(settings.survey)
    if args.action == "list":
        for round_ in load_rounds(folder, survey):
            print(
                f"{round_.label}: {len(round_.questions)} questions, {round_.respondents} answered"
            )
        return 0
    if not args.label or not args.results:
        raise CliError("rounds import needs --label and --results (and --mapping if ids changed)")
    results = Path(args.results)
    mapping = Path(args.mapping) if args.mapping else None
    round_ = parse_round(
        args.label,
        survey,
        results.read_text(encoding="utf-8-sig"),
        mapping.read_text(encoding="utf-8-sig") if mapping else None,
        results_file=str(results),
        mapping_file=str(mapping) if mapping else "mapping.csv",
    )
    path = save_round(folder, round_)
    print(
        f"imported {round_.label}: {len(round_.questions)} questions into {path}", file=sys.stdout
    )
    return 0
