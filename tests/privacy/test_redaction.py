"""Logs carry no resident ids, tokens or secrets, and no timestamps (`bot.privacy.redaction`)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.privacy.redaction import FORMAT, RedactingFilter, configure_logging, install_redaction

#: A made-up token, assembled so no token-shaped literal sits in the repository.
TOKEN = "123456789:" + "AAHk2vV-8m3_" + "abcdefghijklmnopqrstuvwxyz"
SECRET = "my-very-secret-pseudonym-key-0123456789"


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """A root handler writing to a string, as the bot's handler would, with redaction installed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    redactor = install_redaction([SECRET])
    try:
        yield stream
    finally:
        root.setLevel(old_level)
        root.removeHandler(handler)
        for h in root.handlers:
            h.removeFilter(redactor)


def test_library_lines_lose_token_and_ids(output: io.StringIO) -> None:
    logging.getLogger("httpx").warning(
        'HTTP Request: POST https://api.telegram.org/bot%s/sendMessage "HTTP/1.1 200 OK"', TOKEN
    )
    logging.getLogger("telegram.ext.Application").debug(
        "Processing update %s", {"message": {"from": {"id": 987654321}, "chat": {"id": -1001234}}}
    )
    text = output.getvalue()
    assert "123456789" not in text and "AAHk2vV" not in text
    assert "987654321" not in text and "1001234" not in text
    assert "bot<token>/sendMessage" in text
    assert "'id': <id>" in text and "'id': -<id>" in text


def test_secrets_args_and_exceptions_are_redacted(output: io.StringIO) -> None:
    log = logging.getLogger("bot.conversation.service")
    log.info("user %d pressed %s with %s", 5551234567, "Start", SECRET)
    try:
        raise RuntimeError(f"chat 424242424 not found, key {SECRET}")
    except RuntimeError:
        log.exception("failed for %s", 777777777)
    log.info("%s and %s", "only one argument")  # a bad format must not leak either
    text = output.getvalue()
    for leaked in ("5551234567", SECRET, "424242424", "777777777"):
        assert leaked not in text
    assert "user <id> pressed Start with <secret>" in text
    assert "RuntimeError: chat <id> not found, key <secret>" in text
    assert "Traceback" in text


def test_short_numbers_survive(output: io.StringIO) -> None:
    logging.getLogger("bot").info("survey v%d: %d questions, %d of 1000 done", 3, 12, 4321)
    assert "survey v3: 12 questions, 4321 of 1000 done" in output.getvalue()


def test_redaction_is_idempotent_and_replaced_not_stacked(output: io.StringIO) -> None:
    root = logging.getLogger()
    install_redaction([SECRET])
    install_redaction([SECRET])
    for handler in root.handlers:
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    logging.getLogger("x").warning("id %s", 123456)
    assert output.getvalue().strip().endswith("x: id <id>")


def test_redact_longest_secret_first() -> None:
    redactor = RedactingFilter(["abc", "abcdef", ""])
    assert redactor.redact("abcdef abc") == "<secret> <secret>"


def test_configure_logging_has_no_timestamps_and_quiets_per_request_loggers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    saved_levels = {n: logging.getLogger(n).level for n in ("httpx", "aiosqlite")}
    try:
        configure_logging("INFO", [SECRET])
        logging.getLogger("bot.adapters.telegram.app").info(
            "started with %s for user 12345678", SECRET
        )
        logging.getLogger("httpx").info("HTTP Request: POST .../bot%s/getUpdates", TOKEN)
        err = capsys.readouterr().err
        assert err == "INFO bot.adapters.telegram.app: started with <secret> for user <id>\n"
        assert logging.getLogger("aiosqlite").getEffectiveLevel() >= logging.WARNING
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
