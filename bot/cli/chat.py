"""`survey-bot chat`: answer the survey in this terminal, through the same engine and service.

What must hold: without `--database` everything lives in a throwaway folder with a throwaway
secret, so nothing lasting is written.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
from pathlib import Path

from bot.adapters.terminal.chat import TerminalChat
from bot.cli.bootstrap import load_survey_or_fail, open_service, settings_with_logging


def chat_command(args: argparse.Namespace) -> int:
    """Run one terminal conversation on the survey file."""
    settings = settings_with_logging()
    survey = load_survey_or_fail(Path(args.survey) if args.survey else settings.survey)

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
