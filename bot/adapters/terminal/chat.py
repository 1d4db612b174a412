"""`survey-bot chat`: the same survey, engine, service and screens, in a terminal.

For admins to try a YAML edit before residents see it, and for anyone to try the bot without a
token. What must hold: every step goes through `SurveyService` exactly as a Telegram update
would, and the screens are the ones `bot.conversation.screens` makes for Telegram (HTML stripped).

Keys: numbered buttons by their number, navigation as /back, /skip, /done, anything else is
typed text; /start, /restart, /cancel, /language, /privacy, /help, /quit as in Telegram. A typed
line that looks like a command is never sent as an answer: an unknown one gets the bot's
"unknown command" notice.

As in Telegram, a notice (a hint, "already answered", ...) is a message of its own: the buttons of
the survey screen above it stay pressable, so one wrong input never disables them.

The terminal resident is `-resident` (1 unless `--as N`): Telegram user ids are positive, so a
test response added to a real database can never be mistaken for a real resident's.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import TextIO

from bot.conversation.answers import is_command
from bot.conversation.engine import (
    AlreadyAnswered,
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
from bot.conversation.screens import (
    Button,
    Screen,
    choose_language,
    parse_callback,
    privacy_screen,
    render,
)
from bot.conversation.service import SurveyService
from bot.conversation.texts import t

_NAV = {MultiDone: "/done", Skipped: "/skip", WentBack: "/back"}
_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """Telegram HTML as terminal text."""
    return html.unescape(_TAG.sub("", text))


class TerminalChat:
    """One terminal resident's conversation with the survey service, a line at a time."""

    def __init__(
        self,
        service: SurveyService,
        out: TextIO,
        language: str | None = None,
        *,
        resident: int = 1,
    ) -> None:
        self._service = service
        self._out = out
        self._language = language
        self._resident = resident
        self._shown = service.language_for(language)
        self._keys: dict[str, str] = {}

    @property
    def user_id(self) -> int:
        """The id the service sees (negative: never a Telegram user's)."""
        return -self._resident

    def show(self, screen: Screen) -> None:
        """Print a screen; a survey screen's buttons replace the keys, a notice keeps them."""
        lines = [plain(screen.text), ""]
        keys: dict[str, str] = {}
        number = 0
        for row in screen.buttons:
            for button in row:
                key = self._key_for(button, number + 1)
                if key.isdigit():
                    number += 1
                keys[key] = button.data
                lines.append(f"  [{key}] {plain(button.text)}")
        if screen.survey:
            self._keys = keys
        self._print("\n".join(lines))

    def _key_for(self, button: Button, next_number: int) -> str:
        event = parse_callback(button.data)
        for kind, word in _NAV.items():
            if isinstance(event, kind):
                return word
        return str(next_number)

    def _print(self, text: str) -> None:
        print(text, file=self._out, flush=True)

    def event_for(self, line: str) -> Event | str | None:
        """The event a typed line stands for, a local command's name, or None to ignore it.

        Local commands: "quit", "help", "privacy", "language", "unknown" (a command-shaped line
        that is no command here).
        """
        line = line.strip()
        if line in self._keys:
            return parse_callback(self._keys[line])
        events: dict[str, Callable[[], Event]] = {
            "/start": lambda: Opened(self._language),
            "/restart": Restarted,
            "/cancel": Cancelled,
        }
        if line in events:
            return events[line]()
        if line in ("/quit", "/help", "/privacy", "/language"):
            return line[1:]
        if line.startswith("/lang "):
            return LanguageChosen(line.split(maxsplit=1)[1])
        if is_command(line):
            return "unknown"
        return TextSent(line) if line else None

    async def start(self) -> None:
        """Show the first screen, as /start does."""
        await self.step(Opened(self._language))

    async def handle(self, line: str) -> bool:
        """Act on one typed line; False when the resident asked to quit."""
        event = self.event_for(line)
        if event is None:
            return True
        if isinstance(event, str):
            return self._local(event)
        await self.step(event)
        return True

    def _local(self, command: str) -> bool:
        """A command the terminal answers itself (Telegram's adapter does the same)."""
        language = self._shown
        if command == "quit":
            return False
        if command == "help":
            self.show(Screen(t("help", language), survey=False))
        elif command == "privacy":
            self.show(privacy_screen(self._service.survey, language))
        elif command == "language":
            self.show(choose_language(self._service.survey))
        else:
            self.show(Screen(t("unknown_command", language), survey=False))
        return True

    async def step(self, event: Event) -> None:
        """Run one event through the service and show what the resident would see."""
        result = await self._service.step(self.user_id, event, telegram_language=self._language)
        self._shown = result.language or self._shown
        for reply in result.replies:
            self.show(render(reply, self._service.survey))
            if isinstance(reply, AlreadyAnswered):
                self._print(
                    f"(survey-bot chat: resident {self._resident} has already answered in this "
                    f"database; add another test response with --as {self._resident + 1})"
                )
