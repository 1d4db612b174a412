"""The `survey-bot` command: run, chat, validate, stats, export, rotate-secret.

What must hold: a person's mistake (missing token, broken survey file, bad setting, a locked
database) ends with one clear line saying what to do and exit code 2 (validate: 1 for a broken
file), never a traceback. Settings are read here and passed on; nothing deeper reads them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli.bootstrap import (
    EXIT_USAGE,
    CliError,
    database_path,
    read_survey_or_fail,
    settings_with_logging,
)
from bot.cli.chat import add_chat_command
from bot.cli.qr import add_qr_command
from bot.cli.report import add_report_commands
from bot.cli.run import run_command
from bot.cli.staff import add_staff_commands
from bot.cli.translations import add_translation_commands, missing_by_language, status_lines
from bot.config import SettingsError, load_settings
from bot.privacy.key import SecretError, key_path, rotate_secret
from bot.stats.rounds import DataFileError
from bot.survey.loader import SurveyError
from bot.survey.summary import summarize
from storage import StoreError, generate_keypair


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
    except DataFileError as err:
        print(f"survey-bot: {len(err.problems)} problem(s) in the data files:", file=sys.stderr)
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
    run.set_defaults(func=run_command)

    add_chat_command(sub)

    validate = sub.add_parser("validate", help="check a survey file and summarise it")
    validate.add_argument("path", nargs="?", default=None)
    validate.set_defaults(func=_validate)

    rotate = sub.add_parser(
        "rotate-secret", help="replace the pseudonym key file (only after the survey closes)"
    )
    rotate.add_argument("--yes", action="store_true", help="confirm: in-progress answers are lost")
    rotate.set_defaults(func=_rotate)

    analysis = sub.add_parser(
        "analysis-key", help="make the analysis key pair (keep the private key off the server)"
    )
    analysis.set_defaults(func=_analysis_key)

    add_staff_commands(sub)
    add_report_commands(sub)
    add_translation_commands(sub)
    add_qr_command(sub)

    return parser


def _analysis_key(args: argparse.Namespace) -> int:
    public, private = generate_keypair()
    print(f"SURVEYBOT_ANALYSIS_KEY={public}")
    print(f"# private key: store it OFF this server (it opens every response): {private}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    path = Path(args.path) if args.path else load_settings().survey
    try:
        checked = read_survey_or_fail(path)
    except SurveyError as err:
        print(f"{path}: {len(err.problems)} problem(s)", file=sys.stderr)
        print(str(err), file=sys.stderr)
        for line in missing_by_language(err):
            print(line, file=sys.stderr)
        return 1
    print(summarize(checked.survey, str(path)))
    for line in status_lines(checked.survey, path):
        print(line)
    for warning in checked.warnings:  # allowed, so still valid (exit 0), but said
        print(warning, file=sys.stderr)
    return 0


def _rotate(args: argparse.Namespace) -> int:
    settings = settings_with_logging()
    if settings.secret:
        raise CliError("SURVEYBOT_SECRET is set in the environment: change it there instead")
    database = database_path(settings.database)
    if settings.secret_file is None and database is None:
        raise CliError("an in-memory store has no key file to rotate")
    path = settings.secret_file or key_path(database or Path(), settings.key_dir)
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
