"""`survey-bot stats` and `survey-bot export`: the staff's numbers in a terminal and as files,
through the same disclosure layer (`bot.stats.tables` via `StaffService`) as /stats and /export.

What must hold: nothing printed or written here bypasses suppression; free text is written only
when asked for, to its own file. The store allows one process at a time: while the bot runs,
use /stats in Telegram (the command says so).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from bot.cli.bootstrap import load_survey_or_fail, now, open_service, settings_with_logging
from bot.staff.service import Export, StaffService
from bot.stats.tables import StatsError
from bot.stats.text import headline_json, headline_plain, table_json, table_plain


def add_staff_commands(sub: Any) -> None:
    """Register `stats` and `export` on the `survey-bot` sub-command parser."""
    stats = sub.add_parser("stats", help="published tallies in the terminal (suppressed)")
    stats.add_argument("--by", default=None, help="split by this breakdown question id")
    stats.add_argument("--question", default=None, help="only this question id")
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    stats.add_argument("--lang", default="sv", help="label language (sv or en)")
    stats.set_defaults(func=_stats)

    export = sub.add_parser("export", help="write the published tallies as CSV")
    export.add_argument("--out", required=True, help="directory to write into")
    export.add_argument("--free-text", action="store_true", help="also the scrubbed free texts")
    export.add_argument("--lang", default="sv", help="label language (sv or en)")
    export.set_defaults(func=_export)


async def _open_staff() -> StaffService:
    settings = settings_with_logging()
    survey = load_survey_or_fail(settings.survey)
    service = await open_service(settings, survey)
    return StaffService(service, settings.survey, now)


def _stats(args: argparse.Namespace) -> int:
    async def run() -> int:
        staff = await _open_staff()
        try:
            head = await staff.headline(args.lang)
            if args.question:
                tables = [await staff.table(args.question, args.by, args.lang)]
            elif args.by:
                tables = []
                for question in staff.survey.questions:
                    if question.kind != "text" and question.id != args.by:
                        tables.append(await staff.table(question.id, args.by, args.lang))
            else:
                tables = await staff.all_tables(args.lang)
        except StatsError as err:
            print(f"survey-bot: {err}")
            return 2
        finally:
            await staff.close()
        if args.json:
            data = {"headline": headline_json(head), "tables": [table_json(t) for t in tables]}
            print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            print(headline_plain(head))
            for table in tables:
                print()
                print(table_plain(table))
        return 0

    return asyncio.run(run())


def _export(args: argparse.Namespace) -> int:
    async def run() -> tuple[str, Export]:
        staff = await _open_staff()
        try:
            return staff.survey.id, await staff.export(args.lang, with_free_text=args.free_text)
        finally:
            await staff.close()

    survey_id, files = asyncio.run(run())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    contents = {f"{survey_id}-tallies.csv": files.tallies_csv}
    if files.free_texts_csv is not None:
        contents[f"{survey_id}-free-texts.csv"] = files.free_texts_csv
    for name, content in contents.items():
        (out / name).write_text(content, encoding="utf-8")
        print(f"wrote {out / name}")
    return 0
