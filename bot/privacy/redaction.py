"""Logging that carries no resident ids, tokens or secrets, and no timestamps of its own.

What must hold:
- every record that reaches a root handler is redacted first, including records from libraries
  (httpx logs request URLs, which contain the bot token; PTB logs update contents at debug
  level): numbers of 5 or more digits (Telegram user and chat ids) become `<id>`, bot tokens
  `<token>`, and any given secret `<secret>`. What is neither secret nor identifying stays
  readable: a port after a host (`127.0.0.1:18083`, `localhost:8081`, `('127.0.0.1', 18083)`),
  a hexadecimal object address (`0x7f3a5c2b1d90`) and the digits of a decimal fraction
  (`0.123456 s`). The message, its arguments, a formatted exception and stack info are all
  rewritten. The filter sits on the handlers, not on loggers, because a logger's filters do
  not see records propagated from its children.
- the log format has no timestamp: the journal (systemd) or container runtime adds one to each
  line, and the bot itself never writes the exact time of a resident's action. Lines about
  residents' actions (e.g. one per HTTP request) are kept out: httpx and aiosqlite log at
  WARNING and above only (aiosqlite's debug lines would show SQL parameters).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")
#: What may stay (group "keep": a host's port, a hex address, a fraction) or must go ("id").
_NUMBERS = re.compile(
    r"(?P<keep>(?:localhost|\[[0-9A-Fa-f:]+\]|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+):\d{1,5}(?!\d)"
    r"|(?:'[\w-]*[.:][\w.:-]*'|\"[\w-]*[.:][\w.:-]*\"), \d{1,5}(?!\d)|0x[0-9A-Fa-f]+|\d+\.\d+)"
    r"|(?P<id>\d{5,})"
)
#: Loggers that would log per request or per query; kept at WARNING.
_QUIET_LOGGERS = ("httpx", "httpcore", "aiosqlite", "aiohttp")
#: python-telegram-bot logs whole updates and API results at DEBUG (names, usernames, typed
#: answers): its loggers never go below INFO, whatever SURVEYBOT_LOG_LEVEL says.
_NEVER_DEBUG = ("telegram",)
FORMAT = "%(levelname)s %(name)s: %(message)s"


class RedactingFilter(logging.Filter):
    """Rewrites each record so that it carries no ids, tokens or given secrets."""

    def __init__(self, extra_secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret containing another is removed whole.
        self._secrets = sorted({s for s in extra_secrets if s}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<secret>")
        text = _TOKEN.sub("<token>", text)
        return _NUMBERS.sub(_keep_or_hide, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not leak its arguments either
            message = f"{record.msg!s} {record.args!s}"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def _keep_or_hide(match: re.Match[str]) -> str:
    return match.group("keep") or "<id>"


def install_redaction(extra_secrets: Iterable[str] = ()) -> RedactingFilter:
    """Put one `RedactingFilter` on every handler of the root logger (replacing an earlier one)
    and return it. Handlers added later are not covered: configure them first."""
    redactor = RedactingFilter(extra_secrets)
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redactor)
    return redactor


def configure_logging(level: int | str = "INFO", extra_secrets: Iterable[str] = ()) -> None:
    """Log one line per record to stderr, without timestamps, redacted (see module docstring)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in _NEVER_DEBUG:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    install_redaction(extra_secrets)
