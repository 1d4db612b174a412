"""The bot's own words (buttons, hints, commands) through gettext catalogs, one per language.

The source texts are English, written here with `N_` (or `NP_` for a text with plural forms);
each key is also the message context (`msgctxt`), so a translator sees what a text is for and
two places may translate the same English differently. Translations live in
`bot/conversation/locale/<language>/LC_MESSAGES/bot.po` and their compiled `bot.mo` (committed; see
docs/translation.md for extract -> update -> compile with Babel).

What must hold:
- `t()` never raises: a language without a catalog, or a message missing from one, falls back
  to the English source text;
- a `.po` without a current `.mo` next to it (an admin's new language) is compiled in memory,
  so adding a language needs no code;
- texts for right-to-left languages come back direction-marked (`bot.conversation.direction`),
  so every paragraph, button and pop-up starts in the reader's direction wherever it is shown.
Survey texts live in the survey file, not here.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.conversation.direction import directed, is_rtl

#: Where the catalogs are: `<LOCALE_DIR>/<language>/LC_MESSAGES/bot.po` (and `.mo`).
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "bot"
SOURCE_LANGUAGE = "en"


@dataclass(frozen=True)
class Message:
    """One source text; `plural` and `count` (the value that picks the form) for plurals."""

    key: str
    text: str
    plural: str | None = None
    count: str | None = None


def N_(key: str, text: str) -> Message:
    """Mark an English text for extraction (`pybabel extract -k N_:1c,2`)."""
    return Message(key, text)


def NP_(key: str, singular: str, plural: str, count: str) -> Message:
    """Mark an English text with plural forms (`-k NP_:1c,2,3`); `count` names the value."""
    return Message(key, singular, plural, count)


_MESSAGES: tuple[Message, ...] = (
    N_("start", "▶️ Start the survey"),
    N_("back", "◀️ Back"),
    N_("skip", "Skip ⏭"),
    N_("done", "✅ Done"),
    N_("progress", "Question {number} of {total}"),
    N_("type_answer", "✍️ Type your answer as a message."),
    N_("type_number", "✍️ Type a number between {low} and {high}."),
    N_("pick_many", "Choose one or more options, then press Done."),
    NP_(
        "pick_max",
        "Choose one option, then press Done.",
        "Choose up to {high} options, then press Done.",
        "high",
    ),
    N_("problem.use_buttons", "Please answer with the buttons below the question."),
    N_("problem.command", "That is a command, not an answer. Send /help to see the commands."),
    N_("problem.not_a_number", "That was not a whole number. Type digits only, for example 3."),
    N_("problem.out_of_range", "Please type a number between {low} and {high}."),
    NP_(
        "problem.too_long",
        "That answer is too long: at most {high} character. Shorten it and send again.",
        "That answer is too long: at most {high} characters. Shorten it and send again.",
        "high",
    ),
    N_("problem.empty", "The answer was empty. Type a few words, or skip the question if you can."),
    NP_(
        "problem.too_many",
        "You can choose only one. Remove your choice first.",
        "You can choose at most {high}. Remove a choice first.",
        "high",
    ),
    N_("problem.pick_one", "Choose at least one option before pressing Done."),
    N_("problem.not_supported", "I can only take answers from the buttons or as text."),
    N_("problem.edited", "Edited messages are not read. Send your answer as a new message."),
    N_("stale", "That button belongs to an earlier question. Please answer the current one."),
    N_("finished_hint", "Your answers are saved and cannot be linked to you."),
    N_("results_button", "📊 How others in your area answered"),
    N_("results_hidden", "Too few in your area have answered yet for their answers to be shown."),
    N_("share_button", "📣 Share the survey"),
    N_("results_title", "How others in {area} answered"),
    N_(
        "results_note",
        "From the last published results: {residents} residents of {area}. Groups too small to "
        "protect are not shown.",
    ),
    N_("already_answered", "You have already answered the survey. Thank you for taking part! 💙"),
    N_("closed", "The survey is closed right now. Thank you for your interest!"),
    N_("not_yet", "The survey has not opened yet. Welcome back from {opens}!"),
    N_("discarded", "Your answers in progress are deleted. Send /start to begin again."),
    N_("nothing_to_cancel", "There were no answers in progress to delete."),
    N_(
        "group",
        "The survey is answered anonymously in a private chat. Message me directly: {link}",
    ),
    N_("choose_language", "Choose a language:"),
    N_(
        "help",
        "I ask how safe you feel where you live. Answer with the buttons.\n\n"
        "/start – begin or continue\n/restart – start again from the first question\n"
        "/cancel – delete your answers in progress\n/language – change language\n"
        "/privacy – what is stored\n\n"
        "In an emergency, call 112. Police, non-urgent: 114 14.",
    ),
    N_("error", "Something went wrong on my side. Your answers are saved; try again shortly."),
    N_("cmd.start", "Begin or continue the survey"),
    N_("cmd.help", "Help"),
    N_("cmd.privacy", "What is stored"),
    N_("cmd.language", "Change language"),
    N_("cmd.cancel", "Delete answers in progress"),
    N_("cmd.restart", "Start again"),
    N_("cmd.stats", "Published results"),
    N_("cmd.export", "Export results (CSV)"),
    N_("cmd.reload", "Reload the survey file"),
    N_("cmd.report", "The report (PDF)"),
    N_("report_wait", "Making the report from the published results; it takes a moment."),
    N_("stats_one", "🔎 One question"),
    N_("stats_all", "📋 All questions"),
    N_("stats_split", "🧩 Split by…"),
    N_("stats_menu", "◀️ To the menu"),
    N_("stats_pick_question", "Choose a question:"),
    N_("stats_pick_breakdown", "Split by:"),
    N_("reload_ok", "The survey is reloaded."),
    N_("reload_refused", "The survey was NOT reloaded; the running one stays as it was."),
    N_("unknown_command", "I don't know that command. Send /help for help."),
)
_BY_KEY = {message.key: message for message in _MESSAGES}

#: Commands registered with Telegram (setMyCommands), in menu order.
COMMANDS = ("start", "help", "privacy", "language", "cancel", "restart")
#: Shown only in staff chats (/stats) and admin chats (all three).
STAFF_COMMANDS = ("stats", "report", "export", "reload")


def t(key: str, language: str, **values: object) -> str:
    """The bot's text `key` in `language` (English if missing), with `values` filled in,
    direction-marked for a right-to-left language."""
    message = _BY_KEY[key]
    catalog = translations(language)
    if message.plural is not None and message.count is not None:
        count = values.get(message.count)
        number = count if isinstance(count, int) else 2
        text = catalog.npgettext(key, message.text, message.plural, number)
    else:
        text = catalog.pgettext(key, message.text)
    if values:
        text = text.format(**values)
    return directed(text) if is_rtl(language) else text


def keys() -> tuple[str, ...]:
    """Every text key."""
    return tuple(_BY_KEY)


def messages() -> tuple[Message, ...]:
    """Every source message (for the catalog tests and the extraction check)."""
    return _MESSAGES


def catalog_languages() -> tuple[str, ...]:
    """Languages with a catalog in `LOCALE_DIR`, the English source included."""
    found = {path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return (SOURCE_LANGUAGE, *sorted(found - {SOURCE_LANGUAGE}))


def language_name(language: str) -> str:
    """The language's name in itself ("Svenska", "العربية"), from CLDR; the code if unknown."""
    try:
        name = Locale.parse(language.replace("-", "_")).get_display_name(language) or language
    except (UnknownLocaleError, ValueError):
        return language
    return name[:1].upper() + name[1:]


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog for `language` (its `.mo`, or its `.po` compiled in memory when the `.mo`
    is missing or older); English source texts when there is none."""
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    # A clean checkout writes bot.po a moment after bot.mo: allow a few seconds.
    if mo.exists() and (not po.exists() or mo.stat().st_mtime + 5 >= po.stat().st_mtime):
        with mo.open("rb") as stream:
            return gettext.GNUTranslations(stream)
    if po.exists():
        with po.open("rb") as stream:
            catalog = read_po(stream, locale=language.replace("-", "_"))
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return gettext.GNUTranslations(buffer)
    return gettext.NullTranslations()
