"""A resident playing the survey through the fake Bot API, seeing only what a client shows.

Owns: one resident's view of their private chat with the bot (the current survey message, its
buttons) and their actions (press a button, type text, send a command), plus waiting until the
bot's answer shows up.

Must hold:
- Independent of the bot's internals: a Resident reads only the fake server's chat model (the
  messages, texts and inline keyboards a Telegram client would render) and acts only through
  updates a client could produce (presses on visible buttons, typed text).
- "The survey message" is the latest visible bot message with an inline keyboard; the screen
  falls back to the latest visible bot message when none has a keyboard (e.g. after the thanks).
- Waiting is per chat (``FakeBotApi.wait_for(..., chat_id=...)``): 2,000 residents waiting at
  once cost O(1) wake-ups per bot call, not O(residents).
- A change is "any bot-visible change in the chat since the resident last acted": a new message,
  an edit (Telegram refuses edits that change nothing) or a deletion.
"""

from __future__ import annotations

from typing import NamedTuple

from tests.fakes.bot_api import JSON, Button, CallbackAnswer, FakeBotApi, StoredMessage, User


class Screen(NamedTuple):
    """What the resident sees: message id (0 if nothing), text, and the inline buttons."""

    message_id: int
    text: str
    buttons: tuple[Button, ...]

    @property
    def labels(self) -> list[str]:
        return [b.text for b in self.buttons]

    @property
    def data(self) -> list[str | None]:
        return [b.callback_data for b in self.buttons]


EMPTY = Screen(0, "", ())


class Resident:
    """One simulated resident. Private chat id = user id."""

    def __init__(self, server: FakeBotApi, user: User | int) -> None:
        self.server = server
        self.user = user if isinstance(user, User) else User(user, first_name=f"Resident {user}")
        self._seen = server.chat_version(self.user.id)
        self._last_press: JSON | None = None

    @property
    def chat_id(self) -> int:
        return self.user.id

    # ------------------------------------------------------------ looking
    def survey_message(self) -> StoredMessage | None:
        """The latest visible bot message that has an inline keyboard."""
        return self.server.last_bot_message(self.chat_id, with_keyboard=True)

    def last_message(self) -> StoredMessage | None:
        """The latest visible bot message, keyboard or not."""
        return self.server.last_bot_message(self.chat_id)

    def messages(self) -> list[str]:
        """Texts (or captions) of all visible bot messages, oldest first."""
        return [m.shown_text for m in self.server.bot_messages(self.chat_id)]

    def current(self) -> Screen:
        """The screen now (``EMPTY`` if the bot has shown nothing)."""
        msg = self.survey_message() or self.last_message()
        if msg is None:
            return EMPTY
        return Screen(msg.message_id, msg.shown_text, tuple(msg.buttons))

    def buttons(self) -> list[Button]:
        return list(self.current().buttons)

    async def screen(self, timeout: float = 5.0) -> Screen:
        """The screen, waiting up to ``timeout`` for the bot to show anything at all."""
        await self.server.wait_for(
            lambda: self.last_message() is not None, timeout, chat_id=self.chat_id
        )
        return self.current()

    def last_answer(self) -> CallbackAnswer | None:
        """The bot's answer (toast/alert) to this resident's latest press, if answered."""
        if self._last_press is None:
            return None
        return self.server.answer_for(self._last_press)

    def _message(self, message_id: int) -> StoredMessage | None:
        state = self.server.chat(self.chat_id)
        return state.messages.get(message_id) if state else None

    # ------------------------------------------------------------ acting
    def _mark(self) -> None:
        self._seen = self.server.chat_version(self.chat_id)

    async def press(
        self,
        target: int | str | None = None,
        *,
        data: str | None = None,
        label: str | None = None,
        message_id: int | None = None,
        wait: bool = True,
        timeout: float = 5.0,
        settle: float = 0.0,
    ) -> Screen:
        """Press a button of the survey message (or of ``message_id``, e.g. an old one).

        ``target``: an int is a button index; a str is matched as callback_data, then as label.
        Returns the new screen once the bot changed it (``wait``), else the screen pressed on.
        """
        msg = self.survey_message() if message_id is None else self._message(message_id)
        if msg is None or msg.deleted:
            raise LookupError(f"resident {self.chat_id} has no message with buttons to press")
        button = _pick(msg.buttons, target, data, label)
        before = Screen(msg.message_id, msg.shown_text, tuple(msg.buttons))
        self._mark()
        assert button.callback_data is not None
        self._last_press = self.server.press(self.user, msg.message_id, button.callback_data)
        if not wait:
            return before
        return await self.wait_change(timeout, settle=settle)

    async def send_text(
        self,
        text: str,
        *,
        wait: bool = True,
        timeout: float = 5.0,
        settle: float = 0.0,
    ) -> Screen:
        """Type ``text``; with ``wait`` returns the screen after the bot reacted."""
        self._mark()
        self.server.send_text(self.user, text)
        return await self.wait_change(timeout, settle=settle) if wait else self.current()

    async def send_command(
        self,
        command: str,
        *,
        wait: bool = True,
        timeout: float = 5.0,
        settle: float = 0.0,
    ) -> Screen:
        """Send a command such as ``/start``; with ``wait`` returns the screen afterwards."""
        self._mark()
        self.server.send_command(self.user, command)
        return await self.wait_change(timeout, settle=settle) if wait else self.current()

    async def wait_change(
        self,
        timeout: float = 5.0,
        *,
        settle: float = 0.0,
    ) -> Screen:
        """Wait until the bot changed this chat since the resident last acted.

        ``settle`` > 0 then waits until the chat stayed unchanged that long (for bots that edit
        and then send). Raises TimeoutError.
        """
        await self._wait_past(self._seen, timeout)
        while settle > 0:
            try:
                await self._wait_past(self.server.chat_version(self.chat_id), settle)
            except TimeoutError:
                break
        self._mark()
        return self.current()

    async def _wait_past(self, version: int, timeout: float) -> None:
        chat, server = self.chat_id, self.server
        await server.wait_for(lambda: server.chat_version(chat) > version, timeout, chat_id=chat)


def _pick(
    buttons: list[Button], target: int | str | None, data: str | None, label: str | None
) -> Button:
    callback = [b for b in buttons if b.callback_data is not None]
    found: list[Button] = []
    if isinstance(target, int):
        if not 0 <= target < len(buttons):
            raise LookupError(f"no button #{target} among {[b.text for b in buttons]}")
        found = [buttons[target]]
    elif isinstance(target, str):
        found = [b for b in callback if b.callback_data == target] or [
            b for b in callback if b.text == target
        ]
    elif data is not None:
        found = [b for b in callback if b.callback_data == data]
    elif label is not None:
        found = [b for b in callback if b.text == label]
    if not found or found[0].callback_data is None:
        wanted = target if target is not None else data if data is not None else label
        raise LookupError(f"no pressable button {wanted!r} among {[b.text for b in buttons]}")
    return found[0]
