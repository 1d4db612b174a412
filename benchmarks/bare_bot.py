"""`python -m benchmarks.bare_bot`: the baseline for the end-to-end figures. A bare
python-telegram-bot application that shows the same screens as Trygghetsbot (the same texts
and inline buttons, rendered by `bot.conversation.screens`) and edits one message per press, with
no engine
and no storage: each chat's position in a precomputed list of screens is kept in a dict.

What must hold: the same HTTP setup as `bot.adapters.telegram.app` (HTTPXRequest, pool =
concurrency + 8, the same
timeouts, long polling for the same update types) and the same Bot API calls per press
(answerCallbackQuery, then editMessageText), so that the difference in CPU per press is what the
bot's own work costs: engine, store, pseudonyms, per-resident ordering and flood limiting.
The screens are computed once at start-up by walking the survey with the pure engine along one
path (first choice everywhere, one toggle on multi questions, skip free text); a press of any
button moves to the next screen. Settings come from the same SURVEYBOT_* variables.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)
from telegram.request import HTTPXRequest

from bot.conversation.engine import (
    Ask,
    Began,
    ChoicePicked,
    ChoiceToggled,
    Event,
    Finished,
    MultiDone,
    Opened,
    Session,
    ShowIntro,
    Skipped,
    advance,
)
from bot.conversation.screens import Screen, render
from bot.survey.loader import load_survey
from bot.survey.model import Survey
from bot.survey.questions import MultiQuestion, ScaleQuestion, SingleQuestion

Shown = tuple[str, InlineKeyboardMarkup | None]
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]


def _markup(screen: Screen) -> InlineKeyboardMarkup | None:
    if not screen.buttons:
        return None
    rows = [[InlineKeyboardButton(b.text, callback_data=b.data) for b in r] for r in screen.buttons]
    return InlineKeyboardMarkup(rows)


def canonical_press(reply: object) -> Event | None:
    """The press a resident makes on this screen along the canonical path."""
    if isinstance(reply, ShowIntro):
        return Began(reply.step)
    if not isinstance(reply, Ask):
        return None
    question = reply.question
    if isinstance(question, MultiQuestion):
        if reply.selected:
            return MultiDone(reply.step)
        normal = [c for c in question.active_choices if not c.exclusive]
        return ChoiceToggled(reply.step, normal[0].id)
    if isinstance(question, SingleQuestion | ScaleQuestion):
        return ChoicePicked(reply.step, question.active_choices[0].id)
    return Skipped(reply.step)


def screens_for(survey: Survey, language: str, now: datetime) -> list[Shown]:
    """Every screen along the canonical path, from the intro to the thank-you."""
    shown: list[Shown] = []
    session: Session | None = None
    event: Event | None = Opened(language)
    for _ in range(1000):
        if event is None:
            break
        transition = advance(survey, session, event, now)
        session = transition.session
        event = None
        for reply in transition.replies:
            screen = render(reply, survey)
            if screen.survey:
                shown.append((screen.text, _markup(screen)))
                event = canonical_press(reply)
            if isinstance(reply, Finished):
                event = None
    return shown


def main() -> None:
    """Run the bare bot until SIGTERM/SIGINT."""
    env = os.environ
    token = env["SURVEYBOT_TOKEN"]
    base = env.get("SURVEYBOT_API_BASE_URL", "https://api.telegram.org").rstrip("/")
    concurrency = int(env.get("SURVEYBOT_CONCURRENCY", "32"))
    poll_timeout = int(env.get("SURVEYBOT_POLL_TIMEOUT", "10"))
    survey = load_survey(Path(env.get("SURVEYBOT_SURVEY", "surveys/questions.yaml")))
    now = datetime.now(UTC)
    screens = {lang: screens_for(survey, lang, now) for lang in survey.languages}
    positions: dict[int, int] = {}

    def language_of(update: Update) -> str:
        code = (update.effective_user.language_code if update.effective_user else None) or ""
        code = code.split("-")[0]
        return code if code in screens else survey.default_language

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat is None:
            return
        chat_id = update.effective_chat.id
        positions[chat_id] = 0
        text, markup = screens[language_of(update)][0]
        await context.bot.send_message(
            chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or query.message is None:
            return
        chat_id = query.message.chat.id
        own = screens[language_of(update)]
        position = min(positions.get(chat_id, 0) + 1, len(own) - 1)
        positions[chat_id] = position
        text, markup = own[position]
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)

    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .request(
            HTTPXRequest(connection_pool_size=concurrency + 8, read_timeout=15, write_timeout=15)
        )
        .get_updates_request(HTTPXRequest(read_timeout=poll_timeout + 10))
        .concurrent_updates(concurrency)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(button))
    application.run_polling(
        poll_interval=0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES, close_loop=False
    )


if __name__ == "__main__":
    main()
