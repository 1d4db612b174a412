"""Redaction hides ids, tokens and secrets, and leaves ports, object addresses and fractions
readable (issue 11 item 4): an operator must be able to read which server failed."""

from __future__ import annotations

import pytest

from bot.privacy.redaction import RedactingFilter

TOKEN = "123456789:AAFakeTokenForTrygghetsbotTests"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Cannot connect to host 127.0.0.1:18083 ssl:default", None),
        ("Cannot connect to host localhost:18083", None),
        ("Cannot connect to host [::1]:18083", None),
        ("[Connect call failed ('127.0.0.1', 18083)]", None),
        ("Cannot connect to host api.example.org:44300", None),
        ("<telegram.ext.Application object at 0x7f3a5c2b1d90>", None),
        ("the step took 0.123456 s", None),
        ("chat_id=700123456 not found", "chat_id=<id> not found"),
        ("{'id': -1001234567, 'type': 'group'}", "{'id': -<id>, 'type': 'group'}"),
        ("user 12345 pressed", "user <id> pressed"),
        ("('id', 12345)", "('id', <id>)"),
        ("id:700123456", "id:<id>"),
        (
            f"POST http://127.0.0.1:18083/bot{TOKEN}/getMe",
            "POST http://127.0.0.1:18083/bot<token>/getMe",
        ),
        ("key sekret-sekret used", "key <secret> used"),
    ],
)
def test_ids_tokens_and_secrets_go_and_ports_addresses_and_fractions_stay(
    line: str, expected: str | None
) -> None:
    redactor = RedactingFilter(["sekret-sekret"])
    assert redactor.redact(line) == (line if expected is None else expected)
