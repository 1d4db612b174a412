"""Talking to Telegram: the one place that sends, edits, answers and deletes, with retries.

Every Bot API call of the residents' and the staff's adapters goes through here, so every call
has the same defaults (HTML, one log line per failure, no chat id or text in it) and the same
retry policy.

What must hold:
- a call that failed with a transient error (a 5xx answer, a timeout, a dropped connection,
  a 429 that outlived the flood limiter) is tried again, up to `ATTEMPTS` times in all, after a
  growing pause (`BACKOFF` seconds, doubled each time, with jitter) or after the `retry_after`
  Telegram asked for, whichever is longer; each retry goes through the bot's rate limiter again,
  so the flood limits hold for retries too;
- a refusal (400 Bad Request, 403 Forbidden) is never retried: it will not change;
- an edit that Telegram refuses because the message no longer exists (or cannot be edited) is
  reported as `GONE`, so the caller sends the screen anew; "message is not modified" means the
  message already shows the screen (`SHOWN`);
- helpers never raise a `TelegramError`: they log one line and return None / `FAILED`.
"""

from __future__ import annotations

import asyncio
import enum
import html
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TypeVar

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.conversation.screens import Screen
from bot.survey.model import Survey

log = logging.getLogger(__name__)
T = TypeVar("T")
AnyBot = Bot | ExtBot[None]
Keyboard = InlineKeyboardMarkup | None

#: Tries of one call in all (the first and the retries).
ATTEMPTS = 5
#: The first pause before a retry, in seconds; doubled for each further retry, at most `MAX_PAUSE`.
BACKOFF = 0.5
MAX_PAUSE = 8.0
#: Descriptions of a 400 that mean "this message cannot show the screen any more".
_GONE = (
    "message to edit not found",
    "message can't be edited",
    "there is no text in the message to edit",
    "message_id_invalid",
)


class Edit(enum.Enum):
    """What became of an edit."""

    SHOWN = "shown"  # the message shows the new content (or already did)
    GONE = "gone"  # the message no longer exists or cannot be edited: send anew
    FAILED = "failed"  # Telegram could not be reached, or refused the content


def escape(text: str) -> str:
    """`text` safe inside Telegram HTML."""
    return html.escape(text, quote=False)


def language_code(update: object) -> str | None:
    """The sender's Telegram language code, if the update has a sender."""
    user = update.effective_user if isinstance(update, Update) else None
    return user.language_code if user is not None else None


def survey_language(survey: Survey, code: str | None) -> str:
    """The survey language for a Telegram language code (e.g. "sv-SE"), else its default."""
    short = (code or "").split("-")[0].lower()
    return short if short in survey.languages else survey.default_language


def is_transient(error: BaseException) -> bool:
    """Whether trying the same call again may succeed."""
    if isinstance(error, RetryAfter):
        return True
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


def _pause(error: BaseException, attempt: int) -> float:
    pause = min(BACKOFF * 2**attempt, MAX_PAUSE) * random.uniform(0.75, 1.25)
    if isinstance(error, RetryAfter):
        wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        pause = max(pause, seconds)
    return float(pause)


async def with_retries(what: str, call: Callable[[], Awaitable[T]]) -> T:
    """`await call()`, retried on transient errors (see the module docstring); the last error
    is raised."""
    for attempt in range(ATTEMPTS):
        try:
            return await call()
        except TelegramError as err:
            if not is_transient(err) or attempt == ATTEMPTS - 1:
                raise
            pause = _pause(err, attempt)
            log.info("%s failed (%s), trying again in %.1f s", what, _describe(err), pause)
            await asyncio.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


async def send(
    bot: AnyBot, chat_id: int, text: str, keyboard: Keyboard = None, *, what: str = "a message"
) -> Message | None:
    """Send an HTML message; None if it could not be sent."""
    try:
        return await with_retries(
            f"sending {what}",
            lambda: bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
            ),
        )
    except TelegramError as err:
        log.warning("could not send %s: %s", what, _describe(err))
        return None


async def send_screen(bot: AnyBot, chat_id: int, screen: Screen) -> Message | None:
    """Send a screen as a new message."""
    what = "the survey message" if screen.survey else "a message"
    return await send(bot, chat_id, screen.text, keyboard(screen), what=what)


async def edit(
    bot: AnyBot, chat_id: int, message_id: int, text: str, keyboard: Keyboard = None
) -> Edit:
    """Show `text` (and `keyboard`) on a message."""
    try:
        await with_retries(
            "editing a message",
            lambda: bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
            ),
        )
    except BadRequest as err:
        description = str(err).lower()
        if "not modified" in description:
            return Edit.SHOWN
        if any(gone in description for gone in _GONE):
            return Edit.GONE
        log.warning("could not edit a message: %s", _describe(err))
        return Edit.FAILED
    except TelegramError as err:
        log.warning("could not edit a message: %s", _describe(err))
        return Edit.FAILED
    return Edit.SHOWN


async def show(bot: AnyBot, chat_id: int, message_id: int | None, screen: Screen) -> int | None:
    """Show `screen` on message `message_id` (or, if that is gone or None, on a new message);
    returns the id of the message that shows it, None if none does."""
    if message_id is not None:
        outcome = await edit(bot, chat_id, message_id, screen.text, keyboard(screen))
        if outcome is Edit.SHOWN:
            return message_id
        if outcome is Edit.FAILED:
            return None
    sent = await send_screen(bot, chat_id, screen)
    return sent.message_id if sent is not None else None


async def answer(query: CallbackQuery, text: str | None = None) -> None:
    """Answer a button press (with a toast if `text`)."""
    try:
        await with_retries("answering a button press", lambda: query.answer(text=text))
    except TelegramError as err:
        # "query is too old": a retry after a dropped answer, or a press from before a restart.
        log.info("could not answer a button press: %s", _describe(err))


async def delete(bot: AnyBot, chat_id: int, message_ids: Sequence[int]) -> None:
    """Delete messages; one that is already gone is no failure."""
    for message_id in message_ids:

        async def call(message_id: int = message_id) -> bool:
            return await bot.delete_message(chat_id, message_id)

        try:
            await with_retries("deleting a message", call)
        except TelegramError as err:
            log.info("could not delete a message: %s", _describe(err))


async def send_file(
    bot: AnyBot, chat_id: int, name: str, data: bytes, *, photo: bool = False
) -> None:
    """Send a photo or a document."""

    async def call() -> Message:
        upload = InputFile(data, filename=name)
        if photo:
            return await bot.send_photo(chat_id, upload)
        return await bot.send_document(chat_id, upload)

    try:
        await with_retries(f"sending {name}", call)
    except TelegramError as err:
        log.warning("could not send %s: %s", name, _describe(err))


def keyboard(screen: Screen) -> Keyboard:
    """The inline keyboard of a screen (None when it has no buttons)."""
    if not screen.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.text, url=b.url)
                if b.url
                else InlineKeyboardButton(b.text, callback_data=b.data)
                for b in row
            ]
            for row in screen.buttons
        ]
    )
