"""The survey's deep links: `https://t.me/<bot>?start=<source>`, one per declared channel.

What must hold: a link is built only for a source declared in the survey file, so every
resident who follows it is counted under that code (anything else counts as `other`); the
payload obeys Telegram's rule (at most 64 characters of `A-Za-z0-9_-`) and the bot's username
Telegram's (5 to 32 characters of `A-Za-z0-9_`, ending in "bot"). A mistake is one
`LinkError` line that says what to use instead.

The payload is visible to the resident (it is the text of their first message, "/start
<code>"), so a code names a channel, never a person or a street address.
"""

from __future__ import annotations

import re

from bot.survey.model import Survey

#: Telegram's rule for a /start payload.
PAYLOAD_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: Telegram's rule for a bot's username (without the @).
USERNAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")


class LinkError(ValueError):
    """A link cannot be made; the message says what to use instead."""


def bot_username(name: str | None) -> str:
    """The bot's username without a leading @ or t.me/ prefix, checked against Telegram's rule."""
    if not name or not name.strip():
        raise LinkError(
            "the bot's username is not set: pass --bot NAME or set SURVEYBOT_BOT_USERNAME "
            "(the name @BotFather gave, ending in 'bot')"
        )
    cleaned = name.strip().removeprefix("https://").removeprefix("t.me/").removeprefix("@")
    if not USERNAME_PATTERN.match(cleaned) or not cleaned.lower().endswith("bot"):
        raise LinkError(
            f"'{name}' is not a bot username: 5 to 32 letters, digits or _, ending in 'bot' "
            "(as @BotFather shows it, e.g. HalmstadTryggBot)"
        )
    return cleaned


def declared_source(survey: Survey, code: str) -> str:
    """`code` if the survey declares it as a source, else a `LinkError` listing those it does."""
    codes = [s.id for s in survey.sources]
    if code in codes:
        if not PAYLOAD_PATTERN.match(code):  # pragma: no cover - survey ids are stricter
            raise LinkError(f"source '{code}' does not fit Telegram's /start payload rule")
        return code
    declared = ", ".join(codes) if codes else "none (add a 'sources:' list to the survey file)"
    raise LinkError(f"'{code}' is not a declared source; declared: {declared}")


def deep_link(survey: Survey, bot: str | None, source: str) -> str:
    """The link that opens the bot with `source` as its /start payload."""
    return f"https://t.me/{bot_username(bot)}?start={declared_source(survey, source)}"
