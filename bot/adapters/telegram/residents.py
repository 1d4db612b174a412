"""The residents' Telegram adapter: updates become engine events, replies become Bot API calls.

What must hold:
- the survey lives in ONE message that is edited in place; after typed input it moves below the
  resident's message (a fresh message, the old one deleted), so no one has to scroll up;
- a button step costs at most two Bot API calls: the step is persisted first, then the press
  is answered (with a toast if the press changed nothing) and the message is edited only if
  its content changed;
- a resident is never stuck: a press on the survey message when it does not show the current
  step (an edit that never arrived, a crash between saving a step and showing it) gets the
  "earlier question" toast and the current step drawn on it, or sent anew when it cannot be
  edited; a stale press on an older message gets the toast, and when pressed again at the same
  step the step shown on the survey message (an edit that Telegram answers "not modified" when
  it shows it already, a new message when the resident deleted it), never on the pressed one;
  one on a newer message (an orphan a crash left behind) also deletes the orphan; what the
  survey message shows is known from `bot.adapters.telegram.shown`, never from the press's
  snapshot of it. A typed action always shows the current step below it. A message that no
  longer exists is replaced by a new one;
- an update handled again (Telegram delivers it again after a crash before it was confirmed)
  changes nothing twice and leaves the resident the current step with its buttons: a press is
  stale by its step and draws the step again (this process has not drawn it yet); a message
  carries its chat-local id to the engine, which applies a message once and otherwise shows the
  current step again, below it;
- buttons work only in the resident's own private chat; an update without a sender, chat or
  message is ignored;
- nothing here logs or keeps a user id, name or answer; handlers never touch the store (the
  service does); every Bot API call goes through `bot.adapters.telegram.messages` (retries).
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Chat, Message, Update
from telegram.ext import ContextTypes

from bot.adapters.telegram import messages
from bot.adapters.telegram.shown import ShownScreens
from bot.conversation.engine import (
    Ask,
    Cancelled,
    Event,
    Finished,
    Opened,
    Reply,
    Restarted,
    ShowIntro,
    Stale,
    TextSent,
    Unexpected,
    UnexpectedKind,
)
from bot.conversation.screens import (
    Screen,
    choose_language,
    parse_callback,
    parse_results,
    privacy_screen,
    render,
    results_screen,
    thanks_screen,
)
from bot.conversation.service import StepResult, SurveyService
from bot.conversation.texts import t
from bot.survey.sources import SHARE

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE


class ResidentHandlers:
    """Callbacks for residents' updates in private chats."""

    def __init__(self, service: SurveyService, bot_username: str | None = None) -> None:
        self.service = service
        self.shown = ShownScreens()
        #: For the share link when the bot does not know its own name (SURVEYBOT_BOT_USERNAME).
        self._bot_username = bot_username

    # --- commands -----------------------------------------------------------------------

    async def start(self, update: Update, context: Context) -> None:
        """/start: the intro, or the current question when a survey is in progress. A deep
        link's payload (`/start poster_andersberg`) names where the resident found the survey."""
        user = update.effective_user
        if user is None or update.message is None:
            return
        payload = context.args[0] if context.args else None
        opened = Opened(user.language_code, payload, message=update.message.message_id)
        await self._typed_step(update, context, opened)

    async def restart(self, update: Update, context: Context) -> None:
        """/restart: from the first question again."""
        if update.message is None:
            return
        await self._typed_step(update, context, Restarted(update.message.message_id))

    async def cancel(self, update: Update, context: Context) -> None:
        """/cancel: delete the answers in progress (and the survey message)."""
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        result = await self.service.step(user.id, Cancelled(), telegram_language=user.language_code)
        language = self._language(result, user.language_code)
        self.shown.forget(message.chat_id)
        if result.before is not None:
            await messages.delete(context.bot, message.chat_id, _leftovers(result))
            await self._send(context, message.chat_id, Screen(t("discarded", language)))
        else:
            await self._send(context, message.chat_id, Screen(t("nothing_to_cancel", language)))

    async def help(self, update: Update, context: Context) -> None:
        """/help: what the bot does and its commands."""
        if update.message is None:
            return
        language = self._language(None, messages.language_code(update))
        await self._send(context, update.message.chat_id, Screen(t("help", language)))

    async def privacy(self, update: Update, context: Context) -> None:
        """/privacy: the survey's privacy notice."""
        if update.message is None:
            return
        language = self._language(None, messages.language_code(update))
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
        language = self._language(None, messages.language_code(update))
        await self._send(context, update.message.chat_id, Screen(t("unknown_command", language)))

    async def group(self, update: Update, context: Context) -> None:
        """A command in a group: point to a private chat, never run a survey there."""
        if update.message is None:
            return
        language = self._language(None, messages.language_code(update))
        link = f"https://t.me/{context.bot.username}" if context.bot.username else "@"
        await self._send(context, update.message.chat_id, Screen(t("group", language, link=link)))

    # --- messages -----------------------------------------------------------------------

    async def text(self, update: Update, context: Context) -> None:
        """A typed message: the answer to a text or number question, or a mistake."""
        if update.message is None or update.message.text is None:
            return
        typed = TextSent(update.message.text, message=update.message.message_id)
        await self._typed_step(update, context, typed)

    async def other(self, update: Update, context: Context) -> None:
        """Stickers, photos, voice, locations, contacts...: a hint, nothing changes."""
        message = update.message
        if message is None:
            return
        await self._typed_step(update, context, Unexpected(_kind_of(message), message.message_id))

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
        query, user = update.callback_query, update.effective_user
        if query is None:
            return
        target = query.message if isinstance(query.message, Message) else None
        code = user.language_code if user is not None else None
        results = parse_results(query.data or "")
        if results is not None and target is not None:
            await self._results(context, query, target.chat_id, *results)
            return
        event = parse_callback(query.data or "")
        if user is None or target is None or not _own_private_chat(target, user.id):
            # No sender, an inline or inaccessible message, or a group: nothing of the survey.
            await messages.answer(query, t("stale", self._language(None, code)))
            return
        if event is None:
            await messages.answer(query, t("stale", self._language(None, code)))
            return
        result = await self.service.step(user.id, event, telegram_language=code)
        if result.after is not None and all(isinstance(r, Stale) for r in result.replies):
            await self._redraw(context, query, target, user.id, code, result)
            return
        screens = [await self._screen(context, reply) for reply in result.replies]
        changed = result.after != result.before
        toast: str | None = None
        edit: Screen | None = None
        for screen in screens:
            if screen.toast is not None and not changed:
                toast = screen.toast
            elif edit is None:
                edit = screen
        await messages.answer(query, toast)
        if edit is None:
            return
        chat_id = target.chat_id
        shown = await messages.show(context.bot, chat_id, target.message_id, edit)
        if shown is None:
            # The step is stored; the resident's next press is stale and draws it again.
            return
        gone = target.message_id if shown != target.message_id else None
        await self._settle_screen(context, user.id, chat_id, shown, result, gone=gone)

    async def _redraw(
        self,
        context: Context,
        query: CallbackQuery,
        target: Message,
        user_id: int,
        code: str | None,
        result: StepResult,
    ) -> None:
        """A press on a button of an earlier step: the toast, and the current step drawn on the
        survey message if it is not known to show it already (a double press). A press on
        another message leaves the step where the survey message is, after checking that it
        still exists: an older message (a press delivered again after a crash, one scrolled up
        to, or a copy a dropped connection left behind) stays as it is; a newer one is an
        orphan (a crash between sending a screen and storing which message shows the survey)
        and goes, so the resident is left with one survey message showing the current step."""
        after = result.after
        assert after is not None
        chat_id = target.chat_id
        elsewhere = after.screen is not None and target.message_id != after.screen
        orphan = after.screen is not None and target.message_id > after.screen
        place = after.screen if elsewhere and after.screen is not None else target.message_id
        # Never drawn on an older message (the survey would move, and the next press on it move
        # it back). The survey message is checked (shown again: "not modified", or sent anew
        # if gone) only at a second press on the older message at this step: a backlog after
        # a crash replays each press once, and a check per press held residents back.
        older = elsewhere and not orphan
        check = not older or self.shown.stale_press(chat_id, target.message_id, after.step) == 2
        redraw = check and (elsewhere or not self.shown.shows(chat_id, place, after.step))
        drawn = not redraw or await self._draw_current(context, user_id, code, chat_id, place)
        # The toast comes after the current step is drawn (a press delivered twice included).
        await messages.answer(query, t("stale", self._language(result, code)))
        if orphan and drawn:  # else the orphan's buttons are all the resident has
            await messages.delete(context.bot, chat_id, [target.message_id])

    async def _draw_current(
        self, context: Context, user_id: int, code: str | None, chat_id: int, place: int
    ) -> bool:
        """Show the current step on message `place` (anew if it is gone); whether it shows."""
        current = await self.service.step(user_id, Opened(code), telegram_language=code)
        screen = next(
            (s for s in (render(r, self.service.survey) for r in current.replies) if s.survey),
            None,
        )
        if screen is None or current.after is None:
            return False
        shown = await messages.show(context.bot, chat_id, place, screen)
        if shown is None:
            return False
        gone = place if shown != place else None
        await self._settle_screen(context, user_id, chat_id, shown, current, gone=gone)
        return True

    async def _settle_screen(
        self,
        context: Context,
        user_id: int,
        chat_id: int,
        shown: int,
        result: StepResult,
        *,
        gone: int | None = None,
    ) -> None:
        """Message `shown` now shows the step's screen: older survey messages go (except
        `gone`, known not to exist), and the session and `self.shown` learn which it is."""
        before, after = result.before, result.after
        if before is not None and before.screen not in (None, shown, gone):
            # The press came from another message (e.g. /language), or the survey had to be
            # sent anew: the old survey message goes.
            await messages.delete(context.bot, chat_id, [before.screen or 0])
        if after is None:
            self.shown.forget(chat_id)
            if before is not None:
                await messages.delete(context.bot, chat_id, list(before.typed))
            return
        self.shown.remember(chat_id, shown, after.step)
        if after.screen != shown:
            await self.service.set_screen(user_id, shown)

    async def _results(
        self, context: Context, query: CallbackQuery, chat_id: int, language: str, area: str
    ) -> None:
        """ "How others in your area answered": the published shares as a new message, or a
        line saying the area's figures are not shown (too few answers in it yet). The press is
        answered first: the figures may need the disclosure audit (seconds)."""
        await messages.answer(query)
        found = await self.service.area_results(area, language)
        if found is None:
            await self._send(
                context, chat_id, Screen(messages.escape(t("results_hidden", language)))
            )
            return
        await self._send(context, chat_id, results_screen(found))

    async def _screen(self, context: Context, reply: Reply) -> Screen:
        """The screen for a reply; the thank-you gets its results and share buttons."""
        survey = self.service.survey
        if not isinstance(reply, Finished):
            return render(reply, survey)
        results = reply.area is not None and await self.service.has_publication()
        return thanks_screen(reply, survey, share_link=self._share_link(context), results=results)

    def _share_link(self, context: Context) -> str | None:
        """The survey's deep link with the `share` source; None when the survey declares no
        sources (its thank-you stays as it was) or the bot's name is unknown."""
        if not self.service.survey.sources:
            return None
        try:
            name = context.bot.username or self._bot_username
        except RuntimeError:  # a bot that never asked Telegram who it is
            name = self._bot_username
        return f"https://t.me/{name}?start={SHARE}" if name else None

    # --- helpers ------------------------------------------------------------------------

    async def _typed_step(self, update: Update, context: Context, event: Event) -> None:
        """A step caused by a message: the survey moves below it as a fresh message."""
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        result = await self.service.step(user.id, event, telegram_language=user.language_code)
        chat_id = message.chat_id
        for reply in result.replies:
            screen = await self._screen(context, reply)
            sent = await self._send(context, chat_id, screen)
            if not screen.survey:
                continue
            before, after = result.before, result.after
            if sent is None:
                # The step is stored; the old screen stays, and its buttons draw it again.
                continue
            if before is not None and before.screen is not None:
                await messages.delete(context.bot, chat_id, [before.screen])
            typed = message.message_id if isinstance(event, TextSent) else None
            if after is None:
                self.shown.forget(chat_id)
                if before is not None:
                    leftovers = [*before.typed, *([typed] if typed else [])]
                    await messages.delete(context.bot, chat_id, leftovers)
            elif isinstance(reply, Ask | ShowIntro):
                self.shown.remember(chat_id, sent.message_id, reply.step)
                await self.service.set_screen(user.id, sent.message_id, typed=typed)

    def _language(self, result: StepResult | None, telegram_language: str | None) -> str:
        if result is not None and result.language:
            return result.language
        return messages.survey_language(self.service.survey, telegram_language)

    async def _send(self, context: Context, chat_id: int, screen: Screen) -> Message | None:
        return await messages.send_screen(context.bot, chat_id, screen)


def _own_private_chat(message: Message, user_id: int) -> bool:
    return message.chat.type == Chat.PRIVATE and message.chat.id == user_id


def _leftovers(result: StepResult) -> list[int]:
    before = result.before
    if before is None:
        return []
    return [*([before.screen] if before.screen else []), *before.typed]


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
