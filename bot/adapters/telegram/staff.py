"""The staff's and admins' Telegram adapter: /stats with its menu, /export, /reload.

What must hold:
- roles come from the configured ids only; anyone else who sends a staff command gets exactly
  the resident's "unknown command" answer (no data, no hint that the command exists), and a
  forged staff button gets the same toast as any stale button;
- every number shown goes through `bot.stats.tables` (via `StaffService`), as text and as a chart;
- every action is audited with role and minute.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.adapters.telegram import messages
from bot.adapters.telegram.residents import ResidentHandlers
from bot.conversation.texts import t
from bot.staff.service import ADMIN, STAFF, StaffService
from bot.stats.export import CSV_ENCODING
from bot.stats.tables import StatsError, Table
from bot.stats.text import headline_html, table_html
from bot.survey.model import Survey

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
PREFIX = "st:"
_LABEL_WIDTH = 40


class StaffHandlers:
    """Callbacks for /stats, its buttons, /export and /reload."""

    def __init__(
        self,
        staff: StaffService,
        residents: ResidentHandlers,
        *,
        staff_ids: frozenset[int],
        admin_ids: frozenset[int],
    ) -> None:
        self._staff = staff
        self._residents = residents
        self._staff_ids = staff_ids | admin_ids
        self._admin_ids = admin_ids

    def role(self, user_id: int | None) -> str | None:
        if user_id in self._admin_ids:
            return ADMIN
        if user_id in self._staff_ids:
            return STAFF
        return None

    async def stats(self, update: Update, context: Context) -> None:
        """/stats: the headline and the menu."""
        user, message = update.effective_user, update.message
        role = self.role(user.id if user else None)
        if role is None or user is None or message is None:
            await self._residents.unknown_command(update, context)
            return
        await self._staff.audit(role, user.id, "/stats")
        text, keyboard = await self._menu(self._lang(update))
        await _send(context, message.chat_id, text, keyboard)

    async def export(self, update: Update, context: Context) -> None:
        """/export (admins): the published tallies as CSV; `/export text` adds free texts."""
        user, message = update.effective_user, update.message
        if self.role(user.id if user else None) != ADMIN or user is None or message is None:
            await self._residents.unknown_command(update, context)
            return
        args = context.args or []
        with_text = bool(args) and args[0].lower() in ("text", "fritext")
        await self._staff.audit(ADMIN, user.id, "/export text" if with_text else "/export")
        files = await self._staff.export(self._lang(update), with_free_text=with_text)
        survey_id = self._staff.survey.id
        await _document(context, message.chat_id, f"{survey_id}-tallies.csv", files.tallies_csv)
        if files.indicators_csv:
            name = f"{survey_id}-indicators.csv"
            await _document(context, message.chat_id, name, files.indicators_csv)
        if files.free_texts_csv is not None:
            name = f"{survey_id}-free-texts.csv"
            await _document(context, message.chat_id, name, files.free_texts_csv)

    async def report(self, update: Update, context: Context) -> None:
        """/report (staff): the lägesbild of the published results as PDF."""
        user, message = update.effective_user, update.message
        role = self.role(user.id if user else None)
        if role is None or user is None or message is None:
            await self._residents.unknown_command(update, context)
            return
        await self._staff.audit(role, user.id, "/report")
        lang = self._lang(update)
        await _send(context, message.chat_id, messages.escape(t("report_wait", lang)), None)
        pdf = await self._staff.report_pdf(lang)
        name = f"{self._staff.survey.id}-lagesbild.pdf"
        await messages.send_file(context.bot, message.chat_id, name, pdf)

    async def reload(self, update: Update, context: Context) -> None:
        """/reload (admins): re-read the survey file; on any problem keep the running one."""
        user, message = update.effective_user, update.message
        if self.role(user.id if user else None) != ADMIN or user is None or message is None:
            await self._residents.unknown_command(update, context)
            return
        outcome = await self._staff.reload()
        await self._staff.audit(ADMIN, user.id, "/reload ok" if outcome.ok else "/reload refused")
        lang = self._lang(update)
        head = t("reload_ok" if outcome.ok else "reload_refused", lang)
        lines = [
            f"<b>{messages.escape(head)}</b>",
            messages.escape(outcome.summary),
            *(messages.escape(p) for p in outcome.problems),
        ]
        for chunk in _chunks(lines):
            await _send(context, message.chat_id, chunk, None)

    async def button(self, update: Update, context: Context) -> None:
        """A press on a staff menu button (data starting with `st:`): only staff, only in
        their own private chat with the bot."""
        query, user = update.callback_query, update.effective_user
        if query is None:
            return
        lang = self._lang(update)
        role = self.role(user.id if user else None)
        message = query.message if isinstance(query.message, Message) else None
        if (
            role is None
            or user is None
            or message is None
            or message.chat.type != Chat.PRIVATE
            or message.chat.id != user.id
        ):
            await messages.answer(query, t("stale", lang))
            return
        await messages.answer(query, None)
        parts = (query.data or "").removeprefix(PREFIX).split(":")
        await self._staff.audit(role, user.id, f"/stats {':'.join(parts)}")
        survey = self._staff.survey
        try:
            await self._show(context, message, parts, survey, lang)
        except StatsError as err:
            log.info("staff asked for a table that does not exist: %s", err)
            await _edit(message, t("stale", lang), None)

    def _lang(self, update: Update) -> str:
        return messages.survey_language(self._staff.survey, messages.language_code(update))

    async def _show(
        self, context: Context, message: Message, parts: list[str], survey: Survey, lang: str
    ) -> None:
        chat_id = message.chat_id
        match parts:
            case ["m"]:
                text, keyboard = await self._menu(lang)
                await _edit(message, text, keyboard)
            case ["q"]:
                await _edit(message, t("stats_pick_question", lang), _questions(survey, lang, None))
            case ["b"]:
                await _edit(message, t("stats_pick_breakdown", lang), _breakdowns(survey, lang))
            case ["b", by]:
                await _edit(message, t("stats_pick_question", lang), _questions(survey, lang, by))
            case ["q", question_id]:
                await self._table(context, chat_id, question_id, None, lang)
            case ["s", by, question_id]:
                await self._table(context, chat_id, question_id, by, lang)
            case ["all"]:
                tables = await self._staff.all_tables(lang)
                for chunk in _chunks([table_html(table) for table in tables]):
                    await _send(context, chat_id, chunk, None)
            case _:
                await _edit(message, t("stale", lang), None)

    async def _table(
        self, context: Context, chat_id: int, question_id: str, by: str | None, lang: str
    ) -> None:
        table = await self._staff.table(question_id, by, lang)
        await _photo(context, chat_id, table, self._staff.survey)
        back = InlineKeyboardMarkup(
            [[InlineKeyboardButton(t("stats_menu", lang), callback_data=f"{PREFIX}m")]]
        )
        await _send(context, chat_id, table_html(table), back)

    async def _menu(self, lang: str) -> tuple[str, InlineKeyboardMarkup]:
        text = headline_html(await self._staff.headline(lang))
        rows = [
            [InlineKeyboardButton(t("stats_one", lang), callback_data=f"{PREFIX}q")],
            [InlineKeyboardButton(t("stats_all", lang), callback_data=f"{PREFIX}all")],
        ]
        if self._staff.survey.breakdown_questions:
            rows.append([InlineKeyboardButton(t("stats_split", lang), callback_data=f"{PREFIX}b")])
        return text, InlineKeyboardMarkup(rows)


def staff_handlers(h: StaffHandlers) -> list[Any]:
    """The handlers to register before the residents' ones (private chats only)."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [
        CommandHandler("stats", h.stats, filters=private),
        CommandHandler("export", h.export, filters=private),
        CommandHandler("report", h.report, filters=private),
        CommandHandler("reload", h.reload, filters=private),
        CallbackQueryHandler(h.button, pattern=f"^{PREFIX}"),
    ]


def _questions(survey: Survey, lang: str, by: str | None) -> InlineKeyboardMarkup:
    rows = []
    for question in survey.questions:
        if question.kind == "text" or question.id == by:
            continue
        label = _short(question.text.get(lang, question.id))
        data = f"{PREFIX}q:{question.id}" if by is None else f"{PREFIX}s:{by}:{question.id}"
        rows.append([InlineKeyboardButton(label, callback_data=data)])
    rows.append([InlineKeyboardButton(t("back", lang), callback_data=f"{PREFIX}m")])
    return InlineKeyboardMarkup(rows)


def _breakdowns(survey: Survey, lang: str) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(_short(q.text.get(lang, q.id)), callback_data=f"{PREFIX}b:{q.id}")]
        for q in survey.breakdown_questions
    ]
    rows.append([InlineKeyboardButton(t("back", lang), callback_data=f"{PREFIX}m")])
    return InlineKeyboardMarkup(rows)


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_WIDTH else text[: _LABEL_WIDTH - 1] + "…"


def _chunks(parts: Sequence[str], limit: int = 4000) -> list[str]:
    """Join parts into messages under Telegram's limit, never splitting a part."""
    chunks: list[str] = []
    current = ""
    for part in parts:
        part = part if len(part) <= limit else part[: limit - 1] + "…"
        if current and len(current) + 2 + len(part) > limit:
            chunks.append(current)
            current = ""
        current = f"{current}\n\n{part}" if current else part
    if current:
        chunks.append(current)
    return chunks


async def _send(
    context: Context, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None
) -> None:
    await messages.send(context.bot, chat_id, text, keyboard, what="a staff message")


async def _edit(message: Message, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    await messages.edit(message.get_bot(), message.chat_id, message.message_id, text, keyboard)


async def _photo(context: Context, chat_id: int, table: Table, survey: Survey) -> None:
    # Imported on first use: matplotlib costs ~40 MB and ~0.8 s, and residents never need it.
    from bot.stats.charts import chart_png

    png = await asyncio.to_thread(chart_png, table, survey)
    await messages.send_file(context.bot, chat_id, "chart.png", png, photo=True)


async def _document(context: Context, chat_id: int, name: str, content: str) -> None:
    await messages.send_file(context.bot, chat_id, name, content.encode(CSV_ENCODING))
