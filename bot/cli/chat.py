"""`survey-bot chat`: answer the survey in this terminal, through the same engine and service.

What must hold:
- without `--database` everything lives in a throwaway folder with a throwaway secret, so
  nothing lasting is written; `--preview` also ignores `opens`/`closes` (next year's survey) and
  therefore refuses `--database`;
- `--as N` answers as terminal resident N, so one database can hold several test responses;
- lines are read in the main thread, outside the event loop, so Ctrl-C ends the chat at once:
  the store is closed, one line is printed and the exit code is 130, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.adapters.terminal.chat import TerminalChat
from bot.cli.bootstrap import CliError, load_survey_or_fail, open_service, settings_with_logging

EXIT_INTERRUPTED = 130


def add_chat_command(sub: Any) -> None:
    """Register `chat` and its options."""
    chat = sub.add_parser("chat", help="answer the survey in this terminal (no token needed)")
    chat.add_argument("--lang", default=None, help="language code, e.g. sv or en")
    chat.add_argument("--database", default=None, help="store to use (default: a throwaway one)")
    chat.add_argument("--survey", default=None, help="survey file (default: SURVEYBOT_SURVEY)")
    chat.add_argument(
        "--preview",
        action="store_true",
        help="ignore opens/closes (try a survey before it opens); nothing is saved",
    )
    chat.add_argument(
        "--as",
        dest="resident",
        type=_resident,
        default=1,
        metavar="N",
        help="answer as test resident N (default 1); one response per resident and database",
    )
    chat.set_defaults(func=chat_command)


def _resident(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to 1000000, got {text!r}")
    return int(text)


def chat_command(args: argparse.Namespace) -> int:
    """Run one terminal conversation on the survey file."""
    if args.preview and args.database:
        raise CliError("--preview writes nothing lasting: leave out --database")
    settings = settings_with_logging()
    survey = load_survey_or_fail(Path(args.survey) if args.survey else settings.survey)
    if args.preview:
        survey = survey.model_copy(update={"opens": None, "closes": None})
        print("Preview: opens and closes are ignored; nothing is saved.\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="survey-bot-chat-") as scratch:
        database = args.database or str(Path(scratch) / "chat.db")
        secret = settings.secret if args.database else secrets.token_hex(32)
        with asyncio.Runner() as runner:
            service = runner.run(
                open_service(settings.model_copy(update={"secret": secret}), survey, database)
            )
            try:
                terminal = TerminalChat(service, sys.stdout, args.lang, resident=args.resident)
                runner.run(terminal.start())
                while (line := sys.stdin.readline()) and runner.run(terminal.handle(line)):
                    pass
            except KeyboardInterrupt:
                print("\nsurvey-bot: chat ended (Ctrl-C)", file=sys.stderr, flush=True)
                return EXIT_INTERRUPTED
            finally:
                runner.run(service.store.close())
    return 0
