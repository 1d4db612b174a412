"""The `survey-bot` command: run, chat, validate, stats, export, rotate-secret.

What must hold: a person's mistake (missing token, broken survey file, bad setting, a locked
database) ends with one clear line saying what to do and exit code 2 (validate: 1 for a broken
file), never a traceback. Settings are read here and passed on; nothing deeper reads them.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings, SettingsError, load_settings
from bot.logfilter import configure_logging, install_redaction
from bot.privacy import Pseudonyms
from bot.secret import SecretError, load_secret, rotate_secret
from bot.service import SurveyService
from bot.survey import Survey
from bot.survey_loader import SurveyError, load_survey
from bot.survey_summary import summarize
from storage import StoreError, open_store

EXIT_USAGE = 2


class CliError(Exception):
    """A mistake a person can fix; the message says how."""


def now() -> datetime:
    """The wall clock (aware, UTC)."""
    return datetime.now(UTC)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `survey-bot` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (CliError, SettingsError, SecretError, StoreError) as err:
        print(f"survey-bot: {err}", file=sys.stderr)
        return EXIT_USAGE
    except SurveyError as err:
        print(f"survey-bot: the survey file has {len(err.problems)} problem(s):", file=sys.stderr)
        print(str(err), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="survey-bot", description="Trygghetsbot: an anonymous safety-survey Telegram bot."
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="start the bot (long polling); settings from env / .env")
    run.set_defaults(func=_run)

    chat = sub.add_parser("chat", help="answer the survey in this terminal (no token needed)")
    chat.add_argument("--lang", default=None, help="language code, e.g. sv or en")
    chat.add_argument("--database", default=None, help="store to use (default: a throwaway one)")
    chat.add_argument("--survey", default=None, help="survey file (default: SURVEYBOT_SURVEY)")
    chat.set_defaults(func=_chat)

    validate = sub.add_parser("validate", help="check a survey file and summarise it")
    validate.add_argument("path", nargs="?", default=None)
    validate.set_defaults(func=_validate)

    rotate = sub.add_parser(
        "rotate-secret", help="replace the pseudonym key file (only after the survey closes)"
    )
    rotate.add_argument("--yes", action="store_true", help="confirm: in-progress answers are lost")
    rotate.set_defaults(func=_rotate)

    from bot.staff_cli import add_staff_commands

    add_staff_commands(sub)

    return parser


def _settings() -> Settings:
    settings = load_settings()
    configure_logging(settings.log_level)
    install_redaction([s for s in (settings.token, settings.secret) if s])
    return settings


def load_survey_or_fail(path: Path) -> Survey:
    """The survey at `path`; a SurveyError lists every problem."""
    if not path.exists():
        raise CliError(f"survey file {path} not found: set SURVEYBOT_SURVEY to your survey file")
    return load_survey(path)


async def open_service(
    settings: Settings, survey: Survey, database: str | None = None
) -> SurveyService:
    """The survey service on the configured store and secret."""
    database = database or settings.database
    key = load_secret(settings.secret, settings.secret_file, _database_path(database))
    store = await open_store(database, synchronous=settings.sqlite_synchronous)
    return SurveyService(
        survey,
        store,
        Pseudonyms(key),
        clock=now,
        session_ttl=timedelta(days=settings.session_ttl_days),
    )


def _database_path(database: str) -> Path | None:
    if database.startswith("memory:"):
        return None
    return Path(database.removeprefix("sqlite:///"))


def _run(args: argparse.Namespace) -> int:
    settings = _settings()
    token = settings.require_token()
    survey = load_survey_or_fail(settings.survey)
    from bot.runner import serve

    asyncio.run(serve(settings, survey, token))
    return 0


def _chat(args: argparse.Namespace) -> int:
    settings = _settings()
    survey = load_survey_or_fail(Path(args.survey) if args.survey else settings.survey)
    from bot.terminal import TerminalChat

    async def chat() -> None:
        with tempfile.TemporaryDirectory(prefix="survey-bot-chat-") as scratch:
            database = args.database or str(Path(scratch) / "chat.db")
            secret = settings.secret if args.database else secrets.token_hex(32)
            service = await open_service(
                settings.model_copy(update={"secret": secret}), survey, database
            )
            try:
                terminal = TerminalChat(service, sys.stdout, args.lang)
                await terminal.run(sys.stdin.readline)
            finally:
                await service.store.close()

    asyncio.run(chat())
    return 0


def _validate(args: argparse.Namespace) -> int:
    path = Path(args.path) if args.path else load_settings().survey
    try:
        survey = load_survey_or_fail(path)
    except SurveyError as err:
        print(f"{path}: {len(err.problems)} problem(s)", file=sys.stderr)
        print(str(err), file=sys.stderr)
        return 1
    print(summarize(survey, str(path)))
    return 0


def _rotate(args: argparse.Namespace) -> int:
    settings = _settings()
    if settings.secret:
        raise CliError("SURVEYBOT_SECRET is set in the environment: change it there instead")
    path = settings.secret_file or Path(settings.database.removeprefix("sqlite:///") + ".key")
    if not args.yes:
        raise CliError(
            f"this replaces {path}: answers in progress are lost and residents could answer "
            "again. Run it only after the survey has closed, with --yes"
        )
    rotate_secret(path)
    print(f"wrote a new secret to {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
