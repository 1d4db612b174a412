"""The bot's command menus: setMyCommands, getMyCommands, deleteMyCommands, per scope and language.

Owns: ``Commands`` - the command lists by (scope, language code) and the three methods.
Must hold: command names match ``[a-z0-9_]{1,32}``, descriptions are 1-256 characters, at most
100 commands, a language code is two lowercase letters or empty (all languages); anything else is
refused with Telegram's description.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fakes.bot_api.errors import bad_request
from tests.fakes.bot_api.records import JSON, Upload

_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


def scope_key(scope: Any) -> str:
    """A scope object as a stable key; no scope is the default scope."""
    return json.dumps(scope if isinstance(scope, dict) else {"type": "default"}, sort_keys=True)


class Commands:
    """Command lists by (scope key, language code)."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], list[JSON]] = {}

    def set(self, params: JSON, uploads: dict[str, Upload], now: float) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for c in commands:
            if not isinstance(c, dict) or not _COMMAND_RE.fullmatch(str(c.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", "")).strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._key(params)
        self.by_key[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def get(self, params: JSON, uploads: dict[str, Upload], now: float) -> list[JSON]:
        return list(self.by_key.get(self._key(params), []))

    def delete(self, params: JSON, uploads: dict[str, Upload], now: float) -> bool:
        self.by_key.pop(self._key(params), None)
        return True

    def for_scope(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """Commands set for a scope (default scope if None) and language ('' = all languages)."""
        return list(self.by_key.get((scope_key(scope), language_code), []))

    @staticmethod
    def _key(params: JSON) -> tuple[str, str]:
        lang = str(params.get("language_code") or "")
        if lang and not re.fullmatch(r"[a-z]{2}", lang):
            raise bad_request("invalid language code specified")
        return scope_key(params.get("scope")), lang
