"""Settings an operator writes the way other docs write them are accepted, and the token never
shows in a repr or an error (issue 11 items 2 and 5, issue 10 item 6)."""

from __future__ import annotations

import pytest

from bot.config import Settings, SettingsError, load_settings

TOKEN = "123456789:AAFakeTokenForTrygghetsbotTests"


@pytest.mark.parametrize("level", ["info", "Info", " INFO ", "debug", "warning"])
def test_the_log_level_is_accepted_in_any_case(level: str) -> None:
    assert load_settings(log_level=level).log_level == level.strip().upper()


def test_an_unknown_log_level_is_one_line_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match=r"^SURVEYBOT_LOG_LEVEL is invalid"):
        load_settings(log_level="loud")


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8081", "http://127.0.0.1:8081/", "http://127.0.0.1:8081/bot",
     "http://127.0.0.1:8081/bot/"],
)  # fmt: skip
def test_the_base_url_may_be_written_with_or_without_bot(url: str) -> None:
    assert load_settings(api_base_url=url).api_base_url == "http://127.0.0.1:8081"


def test_the_token_is_secret_in_reprs_and_errors() -> None:
    settings = load_settings(token=TOKEN)
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    assert settings.require_token().get_secret_value() == TOKEN
    assert TOKEN not in repr(settings.require_token())
    with pytest.raises(SettingsError) as err:
        Settings(token="not-a-token").require_token()
    assert "not-a-token" not in str(err.value)
