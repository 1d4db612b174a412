"""`survey-bot stats` and `survey-bot export`: the staff's numbers in a terminal and as files,
through the same disclosure layer (`bot.stats.tables` via `StaffService`) as /stats and /export.

What must hold: nothing printed or written here bypasses suppression; free text is written only
when asked for, to its own file. These commands only read: they never create a database, a key
file or anything else but the export files asked for (a missing database is one line, exit 2),
and a person's mistake (unknown question, language the survey lacks, an output path that is a
file) is one line on stderr listing what would work. They open the store as a tool, so they work
while the bot runs on the same database (`bot.cli.bootstrap.open_tool_store`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.cli.bootstrap import (
    CliError,
    load_survey_or_fail,
    now,
    open_tool_store,
    settings_with_logging,
)
from bot.conversation.service import SurveyService
from bot.privacy.pseudonyms import Pseudonyms
from bot.staff.service import Export, StaffService
from bot.stats.export import CSV_ENCODING
from bot.stats.lagesbild import IndicatorResult
from bot.stats.report import indicator_json
from bot.stats.tables import Headline, StatsError, Table, available_tables
from bot.stats.text import headline_json, headline_plain, table_json, table_plain
from bot.survey.model import Survey

#: Exit status when the reader of our output went away (`stats | head`), as for any Unix tool
#: killed by SIGPIPE (128 + 13).
EXIT_BROKEN_PIPE = 141


def add_staff_commands(sub: Any) -> None:
    """Register `stats` and `export` on the `survey-bot` sub-command parser."""
    stats = sub.add_parser("stats", help="published tallies in the terminal (suppressed)")
    stats.add_argument("--by", default=None, help="split by this breakdown question id")
    stats.add_argument("--question", default=None, help="only this question id")
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    _common(stats)
    stats.set_defaults(func=_stats)

    export = sub.add_parser("export", help="write the published tallies as CSV")
    export.add_argument("--out", required=True, help="directory to write into")
    export.add_argument("--free-text", action="store_true", help="also the scrubbed free texts")
    _common(export)
    export.set_defaults(func=_export)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", default="sv", help="label language, one of the survey's")
    parser.add_argument(
        "--database", default=None, help="the store to read (default: SURVEYBOT_DATABASE)"
    )
    parser.add_argument("--survey", default=None, help="survey file (default: SURVEYBOT_SURVEY)")


async def _open_staff(args: argparse.Namespace) -> StaffService:
    """The staff view of an existing store; creates nothing (no database, no key file)."""
    settings = settings_with_logging()
    survey_path = Path(args.survey) if args.survey else settings.survey
    survey = load_survey_or_fail(survey_path)
    _check_language(survey, args.lang)
    where = "--database" if args.database else "SURVEYBOT_DATABASE"
    store = await open_tool_store(settings, args.database, where)
    # Staff views never compute a pseudonym: a throwaway key keeps the key file untouched.
    residents = SurveyService(
        survey,
        store,
        Pseudonyms(secrets.token_bytes(32)),
        clock=now,
        session_ttl=timedelta(days=settings.session_ttl_days),
    )
    return StaffService(residents, survey_path, now)


def _check_language(survey: Survey, language: str) -> None:
    if language not in survey.languages:
        raise CliError(
            f"--lang {language}: the survey is in {', '.join(survey.languages)}; use one of those"
        )


def _check_tables(survey: Survey, question: str | None, by: str | None) -> None:
    """One line naming the valid ids when --question or --by names no table."""
    tables = available_tables(survey)
    questions = list(dict.fromkeys(q for q, _ in tables))
    breakdowns = [b.id for b in survey.breakdown_questions]
    if by is not None and by not in breakdowns:
        raise CliError(f"--by {by}: not a breakdown question; use one of: {', '.join(breakdowns)}")
    if question is not None and question not in questions:
        raise CliError(
            f"--question {question}: no tally for that id; use one of: {', '.join(questions)}"
        )
    if question is not None and question == by:
        raise CliError(f"--question {question} --by {by}: a question cannot be split by itself")


def _stats(args: argparse.Namespace) -> int:
    async def run() -> tuple[Headline, list[Table], list[IndicatorResult]]:
        staff = await _open_staff(args)
        try:
            _check_tables(staff.survey, args.question, args.by)
            head = await staff.headline(args.lang)
            if args.question:
                tables = [await staff.table(args.question, args.by, args.lang)]
            elif args.by:
                tables = []
                for question_id, by in available_tables(staff.survey):
                    if by == args.by:
                        tables.append(await staff.table(question_id, by, args.lang))
            else:
                tables = await staff.all_tables(args.lang)
            found = await staff.indicators(args.lang)
        except StatsError as err:
            raise CliError(str(err)) from err
        finally:
            await staff.close()
        return head, tables, found

    head, tables, found = asyncio.run(run())
    if args.json:
        data = {
            "headline": headline_json(head),
            "indicators": [indicator_json(i) for i in found],
            "tables": [table_json(t) for t in tables],
        }
        return _print([json.dumps(data, ensure_ascii=False, indent=2)])
    width = shutil.get_terminal_size().columns

    def blocks() -> Iterator[str]:
        yield headline_plain(head, width)
        for table in tables:
            yield ""
            yield table_plain(table, width=width)

    return _print(blocks())


def _print(blocks: Iterator[str] | list[str]) -> int:
    """Print to stdout; a reader that goes away (`| head`) ends us quietly."""
    try:
        for block in blocks:
            print(block)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would report the pipe again when it flushes stdout at exit: point it elsewhere.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return 0


def _export(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CliError(f"--out {out}: that is a file; give a directory to write the CSV files into")

    async def run() -> tuple[str, Export]:
        staff = await _open_staff(args)
        try:
            return staff.survey.id, await staff.export(args.lang, with_free_text=args.free_text)
        finally:
            await staff.close()

    survey_id, files = asyncio.run(run())
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CliError(f"--out {out}: cannot create the directory ({err.strerror})") from err
    contents = {f"{survey_id}-tallies.csv": files.tallies_csv}
    if files.indicators_csv:
        contents[f"{survey_id}-indicators.csv"] = files.indicators_csv
    if files.free_texts_csv is not None:
        contents[f"{survey_id}-free-texts.csv"] = files.free_texts_csv
    for name, content in contents.items():
        try:
            (out / name).write_text(content, encoding=CSV_ENCODING, newline="")
        except OSError as err:
            raise CliError(f"cannot write {out / name}: {err.strerror}") from err
        print(f"wrote {out / name}")
    return 0
