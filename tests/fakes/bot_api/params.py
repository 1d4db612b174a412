"""Request parameters as Telegram reads them: query string, JSON body, form and multipart.

Owns: ``read_params`` (one dict of parameters plus the uploaded files of a request) and
``as_int`` (an id given as a number or a numeric string).
Must hold: form and multipart values are strings, and like Telegram the fake JSON-decodes every
parameter that is not string-typed (``reply_markup``, ``chat_id``, ``commands`` ...); a JSON body
that is not an object is a ``ValueError``.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from aiohttp import web

from tests.fakes.bot_api.records import JSON, Upload

_STRING_PARAMS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "action", "language_code", "url",
        "inline_message_id", "business_connection_id", "message_effect_id", "photo", "document",
        "secret_token", "ip_address", "file_id", "description", "short_description", "name",
    }
)  # fmt: skip


def coerce(key: str, value: Any) -> Any:
    """Form/multipart values are strings; Telegram JSON-decodes non-string parameters."""
    if not isinstance(value, str) or key in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def as_int(value: Any) -> int | None:
    """``value`` as an int if it is one (or a numeric string); never a bool."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
    return None


async def read_params(request: web.Request) -> tuple[JSON, dict[str, Upload]]:
    """The request's parameters and its uploaded files (by form field name)."""
    params: JSON = {k: coerce(k, v) for k, v in request.query.items()}
    uploads: dict[str, Upload] = {}
    if request.method != "POST" or not request.can_read_body:
        return params, uploads
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("JSON body must be an object")
        params.update(body)
        return params, uploads
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            uploads[key] = Upload(key, value.filename, value.content_type, value.file.read())
        elif isinstance(value, str):
            params[key] = coerce(key, value)
    return params, uploads
