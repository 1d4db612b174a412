"""The residents' Telegram adapter: updates become engine events, replies become Bot API calls.

What must hold:
- the survey lives in ONE message that is edited in place; after typed input it moves below the
  resident's message (a fresh message, the old one deleted), so no one has to scroll up;
- a button step costs at most two Bot API calls: the step is persisted first, then the press
  is answered (with a toast if the press changed nothing) and the message is edited only if
  its content changed;
- nothing here logs or keeps a user id, name or answer; handlers never touch the store (the
  service does);
- a failed Bot API call never loses an answer: it is logged as one line and the resident's next
  press continues from the stored session.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.conversation.engine import (
    Ask,
    Cancelled,
    Event,
    Opened,
    Restarted,
    ShowIntro,
    TextSent,
    Unexpected,
    UnexpectedKind,
)
from bot.conversation.screens import (
    Screen,
    choose_language,
    parse_callback,
    privacy_screen,
    render,
)
from bot.conversation.service import StepResult, SurveyService
from bot.conversation.texts import t

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE


def markup(screen: Screen) -> InlineKeyboardMarkup | None:
    """The inline keyboard of a screen (None when it has no buttons)."""
    if not screen.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.text, callback_data=b.data) for b in row]
            for row in screen.buttons
        ]
    )


class ResidentHandlers:
    """Callbacks for residents' updates in private chats."""

    def __init__(self, service: SurveyService) -> None:
        self.service = service

    # --- commands -----------------------------------------------------------------------

    async def start(self, update: Update, context: Context) -> None:
        """/start: the intro, or the current question when a survey is in progress."""
        user = update.effective_user
        if user is None or update.message is None:
            return
        await self._typed_step(update, context, Opened(user.language_code))

    async def restart(self, update: Update, context: Context) -> None:
        """/restart: from the first question again."""
        await self._typed_step(update, context, Restarted())

    async def cancel(self, update: Update, context: Context) -> None:
        """/cancel: delete the answers in progress (and the survey message)."""
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        result = await self.service.step(user.id, Cancelled(), telegram_language=user.language_code)
        language = self._language(result, user.language_code)
        if result.before is not None:
            await self._delete_all(context, message.chat_id, _leftovers(result))
            await self._send(context, message.chat_id, Screen(t("discarded", language)))
        else:
            await self._send(context, message.chat_id, Screen(t("nothing_to_cancel", language)))

    async def help(self, update: Update, context: Context) -> None:
        """/help: what the bot does and its commands."""
        if update.message is None:
            return
        language = self._language(None, _language_code(update))
        await self._send(context, update.message.chat_id, Screen(t("help", language)))

    async def privacy(self, update: Update, context: Context) -> None:
        """/privacy: the survey's privacy notice."""
        if update.message is None:
            return
        language = self._language(None, _language_code(update))
        screen = privacy_screen(self.service.survey, language)
        await self._send(context, update.message.chat_id, screen)

    async def language(self, update: Update, context: Context) -> None:
        """/language: buttons to switch language."""
        if update.message is None:
            return
        screen = choose_language(self.service.survey)
        await self._send(context, update.message.chat_id, screen)

    async def unknown_command(self, update: Update, context: Context) -> None:
        """A command the bot does not know (also staff commands from non-staff)."""
        if update.message is None:
            return
        language = self._language(None, _language_code(update))
        await self._send(context, update.message.chat_id, Screen(t("unknown_command", language)))

    async def group(self, update: Update, context: Context) -> None:
        """A command in a group: point to a private chat, never run a survey there."""
        if update.message is None:
            return
        language = self._language(None, _language_code(update))
        link = f"https://t.me/{context.bot.username}" if context.bot.username else "@"
        await self._send(context, update.message.chat_id, Screen(t("group", language, link=link)))

    # --- messages -----------------------------------------------------------------------

    async def text(self, update: Update, context: Context) -> None:
        """A typed message: the answer to a text or number question, or a mistake."""
        if update.message is None or update.message.text is None:
            return
        await self._typed_step(update, context, TextSent(update.message.text))

    async def other(self, update: Update, context: Context) -> None:
        """Stickers, photos, voice, locations, contacts...: a hint, nothing changes."""
        message = update.message
        if message is None:
            return
        await self._typed_step(update, context, Unexpected(_kind_of(message)))

    async def edited(self, update: Update, context: Context) -> None:
        """An edited message: edits are not read as answers."""
        message = update.edited_message
        user = update.effective_user
        if message is None or user is None:
            return
        result = await self.service.step(
            user.id, Unexpected("edited"), telegram_language=user.language_code
        )
        language = self._language(result, user.language_code)
        await self._send(context, message.chat_id, Screen(t("problem.edited", language)))

    # --- buttons ------------------------------------------------------------------------

    async def button(self, update: Update, context: Context) -> None:
        """A press on an inline button: persist the step, answer the press, edit the screen."""
        query = update.callback_query
        if query is None:
            return
        event = parse_callback(query.data or "")
        user = query.from_user
        if event is None:
            await _answer(query, t("stale", self._language(None, user.language_code)))
            return
        result = await self.service.step(user.id, event, telegram_language=user.language_code)
        target = query.message if isinstance(query.message, Message) else None
        screens = [render(reply, self.service.survey) for reply in result.replies]
        changed = result.after != result.before
        toast: str | None = None
        edit: Screen | None = None
        for screen in screens:
            if screen.toast is not None and not changed:
                toast = screen.toast
            elif edit is None:
                edit = screen
        await _answer(query, toast)
        if edit is None or target is None:
            return
        shown = await self._edit(context, target, edit)
        chat_id = target.chat_id
        before, after = result.before, result.after
        if before is not None and before.screen not in (None, shown):
            # The press came from another message (e.g. /language), or the survey had to be
            # sent anew: the old survey message goes.
            await self._delete_all(context, chat_id, [before.screen or 0])
        if after is None and before is not None:
            await self._delete_all(context, chat_id, list(before.typed))
        elif after is not None and after.screen != shown:
            await self.service.set_screen(user.id, shown)

    # --- helpers ------------------------------------------------------------------------

    async def _typed_step(self, update: Update, context: Context, event: Event) -> None:
        """A step caused by a message: the survey moves below it as a fresh message."""
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        result = await self.service.step(user.id, event, telegram_language=user.language_code)
        chat_id = message.chat_id
        survey = self.service.survey
        for reply in result.replies:
            screen = render(reply, survey)
            if not screen.survey:
                await self._send(context, chat_id, screen)
                continue
            sent = await self._send(context, chat_id, screen)
            before, after = result.before, result.after
            if sent is None:
                # The step is stored; the old screen stays, and its buttons (or /start) go on.
                continue
            if before is not None and before.screen is not None:
                await self._delete_all(context, chat_id, [before.screen])
            typed = message.message_id if isinstance(event, TextSent) else None
            if after is None and before is not None:
                leftovers = [*before.typed, *([typed] if typed else [])]
                await self._delete_all(context, chat_id, leftovers)
            elif after is not None and isinstance(reply, Ask | ShowIntro):
                await self.service.set_screen(user.id, sent.message_id, typed=typed)

    def _language(self, result: StepResult | None, telegram_language: str | None) -> str:
        if result is not None and result.language:
            return result.language
        return self.service.language_for(telegram_language)

    async def _send(self, context: Context, chat_id: int, screen: Screen) -> Message | None:
        try:
            return await context.bot.send_message(
                chat_id, screen.text, parse_mode=ParseMode.HTML, reply_markup=markup(screen)
            )
        except TelegramError as err:
            log.warning("could not send a message: %s", err)
            return None

    async def _edit(self, context: Context, message: Message, screen: Screen) -> int:
        """Show `screen` on `message`; returns the id of the message that shows it (a new one
        when the old could not be edited)."""
        try:
            await message.edit_text(
                screen.text, parse_mode=ParseMode.HTML, reply_markup=markup(screen)
            )
        except BadRequest as err:
            if "not modified" in str(err):
                return message.message_id
            log.warning("could not edit the survey message (%s); sending it anew", err)
            sent = await self._send(context, message.chat_id, screen)
            if sent is not None:
                return sent.message_id
        except TelegramError as err:
            log.warning("could not edit the survey message: %s", err)
        return message.message_id

    async def _delete_all(self, context: Context, chat_id: int, ids: Sequence[int]) -> None:
        for message_id in ids:
            try:
                await context.bot.delete_message(chat_id, message_id)
            except TelegramError as err:
                log.info("could not delete a message: %s", err)


async def _answer(query: CallbackQuery, text: str | None) -> None:
    try:
        await query.answer(text=text)
    except TelegramError as err:
        log.info("could not answer a button press: %s", err)


def _leftovers(result: StepResult) -> list[int]:
    before = result.before
    if before is None:
        return []
    return [*([before.screen] if before.screen else []), *before.typed]


def _language_code(update: Update) -> str | None:
    user = update.effective_user
    return user.language_code if user else None


def _kind_of(message: Message) -> UnexpectedKind:
    if message.sticker:
        return "sticker"
    if message.photo:
        return "photo"
    if message.voice or message.audio or message.video_note:
        return "voice"
    if message.video or message.animation:
        return "video"
    if message.document:
        return "document"
    if message.location or message.venue:
        return "location"
    if message.contact:
        return "contact"
    return "other"
