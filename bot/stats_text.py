"""Published tallies as text: Telegram HTML for /stats, plain text for `survey-bot stats`,
and JSON for `--json`. Pure.

What must hold: only what a `bot.stats.Table` or `Headline` publishes is shown (suppressed
counts as "<k", never a number); every chat text fits Telegram's 4096 characters; labels are in
the table's language.
"""

from __future__ import annotations

import html
from typing import Any

from bot.stats import AtLeast, Headline, PublishedCount, Table

_BAR = 10
_WORDS = {
    "responses": {"sv": "Svar", "en": "Responses"},
    "waiting": {"sv": "väntar på nästa omgång", "en": "waiting for the next batch"},
    "in_progress": {"sv": "påbörjade", "en": "in progress"},
    "dates": {"sv": "Datum", "en": "Dates"},
    "none_yet": {"sv": "inga publicerade svar än", "en": "no published responses yet"},
    "batch": {
        "sv": "Siffrorna uppdateras i omgångar om minst {k} svar; "
        "grupper under {k} visas som <{k}.",
        "en": "Numbers update in batches of at least {k} responses; groups under {k} show as <{k}.",
    },
    "answered": {"sv": "svarade", "en": "answered"},
    "total": {"sv": "Totalt", "en": "Total"},
    "multi": {
        "sv": "Flera val möjliga: andelarna kan bli över 100 %.",
        "en": "Several choices allowed: shares may add up to over 100%.",
    },
    "by": {"sv": "per", "en": "by"},
}


def _w(key: str, language: str, **values: object) -> str:
    words = _WORDS[key]
    text = words.get(language, words["en"])
    return text.format(**values) if values else text


def count_text(count: PublishedCount | AtLeast) -> str:
    """A published count as shown: a number, "<k" or "n+"."""
    return str(count)


def _percent_text(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}%"


def _bar(value: float | None) -> str:
    if value is None:
        return "·" * _BAR
    filled = max(0, min(_BAR, round(value / 100 * _BAR)))
    return "█" * filled + "░" * (_BAR - filled)


def headline_plain(headline: Headline) -> str:
    """The headline as plain lines."""
    lang = headline.language
    lines = [headline.title]
    lines.append(
        f"{_w('responses', lang)}: {count_text(headline.responses)} "
        f"({count_text(headline.waiting)} {_w('waiting', lang)}; "
        f"{count_text(headline.in_progress)} {_w('in_progress', lang)})"
    )
    if headline.first_day is not None and headline.last_day is not None:
        lines.append(f"{_w('dates', lang)}: {headline.first_day} – {headline.last_day}")
    else:
        lines.append(f"{_w('dates', lang)}: {_w('none_yet', lang)}")
    lines.append(_w("batch", lang, k=headline.min_group_size))
    lines.append(headline.caveat)
    return "\n".join(lines)


def headline_html(headline: Headline) -> str:
    """The headline for the chat (title in bold)."""
    first, _, rest = headline_plain(headline).partition("\n")
    return f"<b>📊 {html.escape(first, quote=False)}</b>\n{html.escape(rest, quote=False)}"


def table_plain(table: Table) -> str:
    """A table as monospace-friendly lines."""
    lang = table.language
    lines = [table.title]
    if not table.is_split:
        lines.append(f"{_w('total', lang)} {_w('answered', lang)}: {count_text(table.total)}")
        if not table.row_labels:
            return "\n".join(lines)
        width = min(28, max(len(label) for label in table.row_labels))
        for label, count, index in zip(
            table.row_labels, table.row_totals, range(len(table.row_ids)), strict=True
        ):
            share = table.row_percent(index)
            shown = f"{count_text(count):>5} {_percent_text(share):>4}"
            lines.append(f"{_fit(label, width)} {shown} {_bar(share)}")
    else:
        assert table.column_labels is not None
        lines[0] = f"{table.title} — {_w('by', lang)} {table.by_title}"
        width = min(22, max((len(label) for label in table.row_labels), default=4))
        headers = [_fit(label, 8) for label in table.column_labels]
        lines.append(" " * width + " " + " ".join(f"{h:>8}" for h in headers))
        for row, label in enumerate(table.row_labels):
            cells = []
            for column in range(len(table.column_labels)):
                count = table.cells[row][column]
                share = table.percent(row, column)
                shown = f"{count_text(count)}" + (f" {share:.0f}%" if share is not None else "")
                cells.append(f"{shown:>8}")
            lines.append(f"{_fit(label, width)} " + " ".join(cells))
        totals = " ".join(f"{count_text(c):>8}" for c in table.column_totals)
        lines.append(f"{_fit(_w('total', lang), width)} {totals}")
    if table.kind == "multi":
        lines.append(_w("multi", lang))
    return "\n".join(lines)


def table_html(table: Table) -> str:
    """A table for the chat: the title in bold, the numbers in a monospace block."""
    title, _, body = table_plain(table).partition("\n")
    text = f"<b>{html.escape(title, quote=False)}</b>\n<pre>{html.escape(body, quote=False)}</pre>"
    if len(text) > 4000:
        body = body[: 3800 - len(title)] + "\n…"
        text = (
            f"<b>{html.escape(title, quote=False)}</b>\n<pre>{html.escape(body, quote=False)}</pre>"
        )
    return text


def _fit(text: str, width: int) -> str:
    return text[:width].ljust(width) if len(text) <= width else text[: width - 1] + "…"


def _json_count(count: PublishedCount | AtLeast) -> int | str:
    return count if isinstance(count, int) else str(count)


def table_json(table: Table) -> dict[str, Any]:
    """A table as JSON-able data (suppressed counts as strings like "<5")."""
    return {
        "survey": table.survey_id,
        "question": table.question_id,
        "by": table.by_question_id,
        "title": table.title,
        "rows": [
            {
                "choice": choice_id,
                "label": label,
                "count": _json_count(table.row_totals[i]),
                "percent": table.row_percent(i),
                "cells": None
                if table.column_ids is None
                else {g: _json_count(table.cells[i][j]) for j, g in enumerate(table.column_ids)},
            }
            for i, (choice_id, label) in enumerate(
                zip(table.row_ids, table.row_labels, strict=True)
            )
        ],
        "total": _json_count(table.total),
        "groups": None
        if table.column_ids is None
        else {
            g: _json_count(c) for g, c in zip(table.column_ids, table.column_totals, strict=True)
        },
        "suppressed_below": table.min_group_size,
    }


def headline_json(headline: Headline) -> dict[str, Any]:
    """The headline as JSON-able data."""
    return {
        "survey": headline.survey_id,
        "responses": _json_count(headline.responses),
        "waiting": _json_count(headline.waiting),
        "in_progress": _json_count(headline.in_progress),
        "first_day": headline.first_day.isoformat() if headline.first_day else None,
        "last_day": headline.last_day.isoformat() if headline.last_day else None,
        "suppressed_below": headline.min_group_size,
        "caveat": headline.caveat,
    }


__all__ = [
    "count_text",
    "headline_html",
    "headline_json",
    "headline_plain",
    "table_html",
    "table_json",
    "table_plain",
]
