"""The bot's own words (buttons, hints, commands) in every supported language.

What must hold: every key exists in every language of `bot.survey.model.SUPPORTED_LANGUAGES`
(checked by a test), and `t()` never raises for a supported language: an unknown language falls
back to English. Survey texts live in the survey file, not here.
"""

from __future__ import annotations

_TEXTS: dict[str, dict[str, str]] = {
    "start": {"sv": "▶️ Starta enkäten", "en": "▶️ Start the survey"},
    "back": {"sv": "◀️ Tillbaka", "en": "◀️ Back"},
    "skip": {"sv": "Hoppa över ⏭", "en": "Skip ⏭"},
    "done": {"sv": "✅ Klar", "en": "✅ Done"},
    "progress": {"sv": "Fråga {number} av {total}", "en": "Question {number} of {total}"},
    "type_answer": {
        "sv": "✍️ Skriv ditt svar som ett meddelande.",
        "en": "✍️ Type your answer as a message.",
    },
    "type_number": {
        "sv": "✍️ Skriv ett tal mellan {low} och {high}.",
        "en": "✍️ Type a number between {low} and {high}.",
    },
    "pick_many": {
        "sv": "Välj ett eller flera alternativ och tryck sedan Klar.",
        "en": "Choose one or more options, then press Done.",
    },
    "pick_max": {
        "sv": "Välj högst {high} alternativ och tryck sedan Klar.",
        "en": "Choose up to {high} options, then press Done.",
    },
    "problem.use_buttons": {
        "sv": "Svara med knapparna under frågan.",
        "en": "Please answer with the buttons below the question.",
    },
    "problem.command": {
        "sv": "Det där är ett kommando, inte ett svar. Skicka /help för att se kommandona.",
        "en": "That is a command, not an answer. Send /help to see the commands.",
    },
    "problem.not_a_number": {
        "sv": "Det där var inte ett heltal. Skriv bara siffror, till exempel 3.",
        "en": "That was not a whole number. Type digits only, for example 3.",
    },
    "problem.out_of_range": {
        "sv": "Skriv ett tal mellan {low} och {high}.",
        "en": "Please type a number between {low} and {high}.",
    },
    "problem.too_long": {
        "sv": "Svaret är för långt: högst {high} tecken. Korta ner det och skicka igen.",
        "en": "That answer is too long: at most {high} characters. Shorten it and send again.",
    },
    "problem.empty": {
        "sv": "Svaret var tomt. Skriv några ord, eller hoppa över frågan om det går.",
        "en": "The answer was empty. Type a few words, or skip the question if you can.",
    },
    "problem.too_many": {
        "sv": "Du kan välja högst {high}. Ta bort ett val först.",
        "en": "You can choose at most {high}. Remove a choice first.",
    },
    "problem.pick_one": {
        "sv": "Välj minst ett alternativ innan du trycker Klar.",
        "en": "Choose at least one option before pressing Done.",
    },
    "problem.not_supported": {
        "sv": "Jag kan bara ta emot svar med knapparna eller som text.",
        "en": "I can only take answers from the buttons or as text.",
    },
    "problem.edited": {
        "sv": "Ändrade meddelanden läses inte. Skicka svaret som ett nytt meddelande.",
        "en": "Edited messages are not read. Send your answer as a new message.",
    },
    "stale": {
        "sv": "Den knappen hör till en tidigare fråga. Svara på den aktuella frågan.",
        "en": "That button belongs to an earlier question. Please answer the current one.",
    },
    "finished_hint": {
        "sv": "Dina svar är sparade och kan inte kopplas till dig.",
        "en": "Your answers are saved and cannot be linked to you.",
    },
    "already_answered": {
        "sv": "Du har redan svarat på enkäten. Tack för din medverkan! 💙",
        "en": "You have already answered the survey. Thank you for taking part! 💙",
    },
    "closed": {
        "sv": "Enkäten är stängd just nu. Tack för ditt intresse!",
        "en": "The survey is closed right now. Thank you for your interest!",
    },
    "not_yet": {
        "sv": "Enkäten har inte öppnat än. Välkommen tillbaka från {opens}!",
        "en": "The survey has not opened yet. Welcome back from {opens}!",
    },
    "discarded": {
        "sv": "Dina påbörjade svar är raderade. Skicka /start om du vill börja om.",
        "en": "Your answers in progress are deleted. Send /start to begin again.",
    },
    "nothing_to_cancel": {
        "sv": "Det fanns inga påbörjade svar att radera.",
        "en": "There were no answers in progress to delete.",
    },
    "group": {
        "sv": "Enkäten besvaras anonymt i en privat chatt. Skriv till mig direkt: {link}",
        "en": "The survey is answered anonymously in a private chat. Message me directly: {link}",
    },
    "choose_language": {"sv": "Välj språk:", "en": "Choose a language:"},
    "help": {
        "sv": (
            "Jag ställer frågor om hur trygg du känner dig där du bor. Svara med knapparna.\n\n"
            "/start – börja eller fortsätt\n/restart – börja om från första frågan\n"
            "/cancel – radera dina påbörjade svar\n/language – byt språk\n"
            "/privacy – vad som sparas\n\n"
            "Vid nödsituation: ring 112. Polisen, ej akut: 114 14."
        ),
        "en": (
            "I ask how safe you feel where you live. Answer with the buttons.\n\n"
            "/start – begin or continue\n/restart – start again from the first question\n"
            "/cancel – delete your answers in progress\n/language – change language\n"
            "/privacy – what is stored\n\n"
            "In an emergency call 112. Police, non-urgent: 114 14."
        ),
    },
    "error": {
        "sv": "Något gick fel hos mig. Dina svar är sparade; försök igen om en stund.",
        "en": "Something went wrong on my side. Your answers are saved; try again shortly.",
    },
    "cmd.start": {"sv": "Börja eller fortsätt enkäten", "en": "Begin or continue the survey"},
    "cmd.help": {"sv": "Hjälp", "en": "Help"},
    "cmd.privacy": {"sv": "Vad som sparas", "en": "What is stored"},
    "cmd.language": {"sv": "Byt språk", "en": "Change language"},
    "cmd.cancel": {"sv": "Radera påbörjade svar", "en": "Delete answers in progress"},
    "cmd.restart": {"sv": "Börja om", "en": "Start again"},
    "cmd.stats": {"sv": "Publicerade resultat", "en": "Published results"},
    "cmd.export": {"sv": "Exportera resultat (CSV)", "en": "Export results (CSV)"},
    "cmd.reload": {"sv": "Läs om enkätfilen", "en": "Reload the survey file"},
    "stats_one": {"sv": "🔎 En fråga", "en": "🔎 One question"},
    "stats_all": {"sv": "📋 Alla frågor", "en": "📋 All questions"},
    "stats_split": {"sv": "🧩 Dela upp efter…", "en": "🧩 Split by…"},
    "stats_menu": {"sv": "◀️ Till menyn", "en": "◀️ To the menu"},
    "stats_pick_question": {"sv": "Välj en fråga:", "en": "Choose a question:"},
    "stats_pick_breakdown": {"sv": "Dela upp efter:", "en": "Split by:"},
    "reload_ok": {"sv": "Enkäten är omladdad.", "en": "The survey is reloaded."},
    "reload_refused": {
        "sv": "Enkäten laddades INTE om; den gamla gäller fortfarande.",
        "en": "The survey was NOT reloaded; the running one stays as it was.",
    },
    "unknown_command": {
        "sv": "Det kommandot känner jag inte till. Skicka /help för hjälp.",
        "en": "I don't know that command. Send /help for help.",
    },
}

LANGUAGE_NAMES = {"sv": "🇸🇪 Svenska", "en": "🇬🇧 English"}

#: Commands registered with Telegram (setMyCommands), in menu order.
COMMANDS = ("start", "help", "privacy", "language", "cancel", "restart")
#: Shown only in staff chats (/stats) and admin chats (all three).
STAFF_COMMANDS = ("stats", "export", "reload")


def t(key: str, language: str, **values: object) -> str:
    """The bot's text `key` in `language` (English if missing), with `values` filled in."""
    by_language = _TEXTS[key]
    text = by_language.get(language) or by_language["en"]
    return text.format(**values) if values else text


def keys() -> tuple[str, ...]:
    """Every text key (for the completeness test)."""
    return tuple(_TEXTS)


def languages_of(key: str) -> tuple[str, ...]:
    """The languages a key exists in."""
    return tuple(_TEXTS[key])
