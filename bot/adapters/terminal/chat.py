"""`survey-bot chat`: the same survey, engine, service and screens, in a terminal.

For admins to try a YAML edit before residents see it, and for anyone to try the bot without a
token. What must hold: every step goes through `SurveyService` exactly as a Telegram update
would, and the screens are the ones `bot.conversation.screens` makes for Telegram (HTML stripped).

Keys: numbered buttons by their number, navigation as /back, /skip, /done, anything else is
typed text; /start, /restart, /cancel, /language, /quit as in Telegram.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable
from typing import TextIO

from bot.conversation.engine import (
    Cancelled,
    Event,
    LanguageChosen,
    MultiDone,
    Opened,
    Restarted,
    Skipped,
    TextSent,
    WentBack,
)
from bot.conversation.screens import Button, Screen, choose_language, parse_callback, render
from bot.conversation.service import SurveyService
from bot.conversation.texts import t

#: The terminal resident's stand-in id (the store sees only its pseudonym).
TERMINAL_USER = 1
_NAV = {MultiDone: "/done", Skipped: "/skip", WentBack: "/back"}
_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """Telegram HTML as terminal text."""
    return html.unescape(_TAG.sub("", text))


class TerminalChat:
    """A read-eval-print loop over the survey service."""

    def __init__(self, service: SurveyService, out: TextIO, language: str | None = None) -> None:
        self._service = service
        self._out = out
        self._language = language
        self._keys: dict[str, str] = {}

    def show(self, screen: Screen) -> None:
        """Print a screen and remember its buttons' keys."""
        self._keys = {}
        lines = [plain(screen.text), ""]
        number = 0
        for row in screen.buttons:
            for button in row:
                key = self._key_for(button, number + 1)
                if key.isdigit():
                    number += 1
                self._keys[key] = button.data
                lines.append(f"  [{key}] {plain(button.text)}")
        print("\n".join(lines), file=self._out, flush=True)

    def _key_for(self, button: Button, next_number: int) -> str:
        event = parse_callback(button.data)
        for kind, word in _NAV.items():
            if isinstance(event, kind):
                return word
        return str(next_number)

    def event_for(self, line: str) -> Event | str | None:
        """The event a typed line stands for, a command name, or None to ignore it."""
        line = line.strip()
        if line in self._keys:
            return parse_callback(self._keys[line])
        commands: dict[str, Callable[[], Event | str]] = {
            "/start": lambda: Opened(self._language),
            "/restart": Restarted,
            "/cancel": Cancelled,
            "/language": lambda: "language",
            "/quit": lambda: "quit",
            "/help": lambda: "help",
        }
        if line in commands:
            return commands[line]()
        if line.startswith("/lang "):
            return LanguageChosen(line.split(maxsplit=1)[1])
        return TextSent(line) if line else None

    async def step(self, event: Event) -> None:
        """Run one event through the service and show what the resident would see."""
        result = await self._service.step(TERMINAL_USER, event, telegram_language=self._language)
        for reply in result.replies:
            self.show(render(reply, self._service.survey))

    async def run(self, read_line: Callable[[], str]) -> None:
        """Loop until /quit or end of input."""
        await self.step(Opened(self._language))
        while True:
            try:
                line = await asyncio.to_thread(read_line)
            except EOFError:
                return
            if line == "":
                return  # end of input
            event = self.event_for(line)
            if event is None:
                continue
            if event == "quit":
                return
            if event == "help":
                language = self._language or self._service.survey.default_language
                print(plain(t("help", language)), file=self._out, flush=True)
                continue
            if event == "language":
                self.show(choose_language(self._service.survey))
                continue
            assert not isinstance(event, str)
            await self.step(event)
