"""Deep links: only declared sources, Telegram's payload and username rules, one-line refusals."""

from __future__ import annotations

import pytest

from bot.outreach.links import PAYLOAD_PATTERN, LinkError, bot_username, deep_link
from bot.survey.model import Survey
from bot.survey.sources import OTHER, source_of
from tests.outreach.conftest import BOT


def test_a_declared_source_gives_the_start_link(survey: Survey) -> None:
    assert deep_link(survey, BOT, "poster_andersberg") == (
        "https://t.me/HalmstadTryggBot?start=poster_andersberg"
    )


def test_every_declared_source_is_a_valid_payload_that_the_bot_counts_as_itself(
    survey: Survey,
) -> None:
    assert survey.sources
    for source in survey.sources:
        payload = deep_link(survey, BOT, source.id).rsplit("?start=", 1)[1]
        assert PAYLOAD_PATTERN.match(payload)
        assert source_of(payload, survey.sources) == source.id


@pytest.mark.parametrize("code", ["poster_hylte", "Poster_Andersberg", OTHER, "", "a b"])
def test_an_undeclared_source_is_refused_in_one_line_listing_the_declared(
    survey: Survey, code: str
) -> None:
    with pytest.raises(LinkError) as refused:
        deep_link(survey, BOT, code)
    message = str(refused.value)
    assert "\n" not in message
    assert "not a declared source" in message
    assert all(s.id in message for s in survey.sources)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("HalmstadTryggBot", "HalmstadTryggBot"),
        ("@HalmstadTryggBot", "HalmstadTryggBot"),
        ("t.me/halmstad_trygg_bot", "halmstad_trygg_bot"),
        ("https://t.me/HalmstadTryggBot", "HalmstadTryggBot"),
        (" tryggbot ", "tryggbot"),
    ],
)
def test_the_bot_username_is_taken_as_botfather_shows_it(given: str, expected: str) -> None:
    assert bot_username(given) == expected


@pytest.mark.parametrize(
    "bad", [None, "", "abc", "HalmstadTrygg", "Halmstad Trygg Bot", "1tryggbot", "x" * 30 + "bot"]
)
def test_a_wrong_bot_username_is_one_line_saying_what_to_set(bad: str | None) -> None:
    with pytest.raises(LinkError) as refused:
        bot_username(bad)
    message = str(refused.value)
    assert "\n" not in message
    assert "SURVEYBOT_BOT_USERNAME" in message or "ending in 'bot'" in message
