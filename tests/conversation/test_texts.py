"""The bot's own words exist in every supported language, and commands fit Telegram's rules."""

from __future__ import annotations

import re

from bot.conversation.texts import COMMANDS, STAFF_COMMANDS, keys, languages_of, t
from bot.survey.questions import SUPPORTED_LANGUAGES


def test_every_text_exists_in_every_supported_language() -> None:
    missing = [
        (key, language)
        for key in keys()
        for language in SUPPORTED_LANGUAGES
        if language not in languages_of(key)
    ]
    assert missing == []


def test_command_menus_follow_telegrams_rules() -> None:
    for name in (*COMMANDS, *STAFF_COMMANDS):
        assert re.fullmatch(r"[a-z0-9_]{1,32}", name)
        for language in SUPPORTED_LANGUAGES:
            assert 1 <= len(t(f"cmd.{name}", language)) <= 256


def test_an_unknown_language_falls_back_to_english() -> None:
    assert t("back", "fi") == t("back", "en")
