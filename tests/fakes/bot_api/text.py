"""Message text as Telegram reads it: the HTML parse mode, entity offsets, trimming and limits.

Owns: ``parse_html`` (Telegram's HTML subset into plain text plus entities), ``utf16_len`` (the
unit of entity offsets) and ``format_text`` (parse mode, trimming, emptiness and length checks).
Must hold: malformed HTML is refused with Telegram's "can't parse entities" descriptions; entity
offsets and lengths are in UTF-16 code units; Markdown parse modes are accepted but not parsed;
length is counted in code points after parsing and trimming.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.bot_api.errors import ApiError, bad_request
from tests.fakes.bot_api.records import JSON

MAX_TEXT = 4096
MAX_CAPTION = 1024

_HTML_TAGS = {
    "a": "text_link", "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "span": "spoiler", "tg-spoiler": "spoiler", "code": "code",
    "pre": "pre", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}  # fmt: skip
_SPECIAL_RE = re.compile(r"[<&]")
_HTML_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR_RE = re.compile(r"""([a-zA-Z0-9_-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")


def utf16_len(s: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(s) + sum(1 for c in s if ord(c) > 0xFFFF)


def _decode_entities(s: str) -> str:
    return _HTML_ENTITY_RE.sub(lambda m: _decode_one(m) or m.group(0), s)


def _decode_one(m: re.Match[str]) -> str | None:
    if m.group(3):
        return _NAMED[m.group(3)]
    code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF or code == 0:
        return None
    return chr(code)


def parse_html(src: str) -> tuple[str, list[JSON]]:
    """Parse Telegram's HTML subset into (plain text, entities), raising like Telegram does."""
    out: list[str] = []
    pos16 = 0
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[JSON] = []
    i, n = 0, len(src)

    def byte_offset(k: int) -> int:
        return len(src[:k].encode("utf-8"))

    def fail(msg: str) -> ApiError:
        return bad_request(f"can't parse entities: {msg}")

    while i < n:
        m = _SPECIAL_RE.search(src, i)
        j = m.start() if m else n
        if j > i:
            chunk = src[i:j]
            out.append(chunk)
            pos16 += utf16_len(chunk)
            i = j
            continue
        if src[i] == "&":
            em = _HTML_ENTITY_RE.match(src, i)
            decoded = _decode_one(em) if em else None
            chunk, i = (decoded, em.end()) if em and decoded else ("&", i + 1)
            out.append(chunk)
            pos16 += utf16_len(chunk)
            continue
        begin = i
        if i + 1 < n and src[i + 1] == "/":
            end = src.find(">", i)
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {byte_offset(begin)}")
            if end < 0:
                raise fail(f"Unclosed end tag at byte offset {byte_offset(begin)}")
            name = src[i + 2 : end].strip().lower()
            tag, start16, attrs = stack.pop()
            if name != tag:
                raise fail(
                    f'Unmatched end tag at byte offset {byte_offset(begin)}, expected "</{tag}>", '
                    f'found "</{name}>"'
                )
            entity = _entity_for(tag, attrs, start16, pos16 - start16)
            if entity is not None:
                entities.append(entity)
            i = end + 1
            continue
        k = i + 1
        while k < n and not src[k].isspace() and src[k] != ">":
            k += 1
        if k >= n:
            raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
        name = src[i + 1 : k].lower()
        if name not in _HTML_TAGS:
            raise fail(f'Unsupported start tag "{name}" at byte offset {byte_offset(begin)}')
        tag_attrs: dict[str, str] = {}
        while True:
            while k < n and src[k].isspace():
                k += 1
            if k >= n:
                raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            if src[k] == ">":
                break
            am = _ATTR_RE.match(src, k)
            if am is None:
                raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            value = next((g for g in am.groups()[1:] if g is not None), "")
            tag_attrs[am.group(1).lower()] = _decode_entities(value)
            k = am.end()
        if name == "span" and tag_attrs.get("class") != "tg-spoiler":
            raise fail('Tag "span" must have class "tg-spoiler"')
        stack.append((name, pos16, tag_attrs))
        i = k + 1
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _entity_for(tag: str, attrs: dict[str, str], offset: int, length: int) -> JSON | None:
    if length <= 0:
        return None
    kind = _HTML_TAGS[tag]
    entity: JSON = {"type": kind, "offset": offset, "length": length}
    if kind == "text_link":
        if not attrs.get("href"):
            return None
        entity["url"] = attrs["href"]
    elif kind == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    return entity


def _strip(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Telegram trims leading/trailing whitespace and shifts/clips entities accordingly."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead16 = utf16_len(text[: len(text) - len(text.lstrip())])
    size16 = utf16_len(stripped)
    fixed = []
    for e in entities:
        start = max(0, int(e["offset"]) - lead16)
        end = min(size16, int(e["offset"]) + int(e["length"]) - lead16)
        if end > start:
            fixed.append({**e, "offset": start, "length": end - start})
    return stripped, fixed


def format_text(
    raw: Any, parse_mode: Any, entities: Any, *, limit: int, empty: str | None, too_long: str
) -> tuple[str, list[JSON]]:
    """Apply parse_mode, trim, and enforce emptiness/length rules; returns (text, entities)."""
    text = "" if raw is None else str(raw)
    ents: list[JSON] = []
    if parse_mode:
        mode = str(parse_mode).lower()
        if mode == "html":
            text, ents = parse_html(text)
        elif mode not in ("markdown", "markdownv2"):
            raise bad_request("unsupported parse_mode")
    elif isinstance(entities, list):
        ents = [e for e in entities if isinstance(e, dict)]
    text, ents = _strip(text, ents)
    if not text and empty is not None:
        raise bad_request(empty)
    if len(text) > limit:
        raise bad_request(too_long)
    return text, ents
