"""Published tallies as text: Telegram HTML for /stats, plain text for `survey-bot stats`, and
JSON for `--json`. Pure.

What must hold: only what a `bot.stats.tables.Table` or `Headline` publishes is shown (a suppressed
count as "<k", never a number; a percentage only where `Table` gives one); every chat text fits
Telegram's 4096 characters, with HTML escaped; the bot's own words and the survey's labels are
in the table's language. The HTML form is the plain form with the title in bold and the numbers
in a monospace block, so both read the same.

Layout, for phones (about 40 monospace characters): an overall tally is one line per choice
(label, count, percent, a 10-step bar); a split is a grid with one line per group and one
column per choice (numbered, with a legend), five choices at a time.
"""

from __future__ import annotations

import html
import textwrap
from typing import Any

from bot.stats.tables import AtLeast, Headline, PublishedCount, Suppressed, Table

TELEGRAM_LIMIT = 4096
_BAR = 10
_LABEL = 18  # label column of an overall tally
_GROUP = 12  # group column of a split
_PER_GRID = 5  # choices per grid of a split
_TITLE = 300  # a question text longer than this is cut in the chat (survey texts may be long)

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
    "total": {"sv": "Antal svarande", "en": "Total answered"},
    "all": {"sv": "Alla", "en": "All"},
    "by": {"sv": "per", "en": "by"},
    "hidden": {
        "sv": "<{k} = dolt: färre än {k}, eller dolt för att skydda ett sådant tal.",
        "en": "<{k} = hidden: fewer than {k}, or hidden to protect such a number.",
    },
    "multi": {
        "sv": "Flera val möjliga: andelarna kan bli över 100 %.",
        "en": "Several choices allowed: shares may add up to over 100%.",
    },
    "shares": {
        "sv": "% = andel av gruppen; n = antal som svarade; (tal) = antal, andelen dold.",
        "en": "% = share of the group; n = number who answered; (number) = count, share hidden.",
    },
    "all_note": {
        "sv": "Alla = alla som svarade, även de som hoppade över frågan om gruppen.",
        "en": "All = everyone who answered, also those who skipped the question on the group.",
    },
    "cut": {
        "sv": "… (för långt för ett meddelande: se diagrammet eller /export)",
        "en": "… (too long for one message: see the chart or /export)",
    },
}


def _w(key: str, language: str, **values: object) -> str:
    words = _WORDS[key]
    text = words.get(language, words["en"])
    return text.format(**values) if values else text


def count_text(count: PublishedCount | AtLeast) -> str:
    """A published count as shown: a number, "<k" or "n+"."""
    return str(count)


def _percent_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def _bar(value: float | None) -> str:
    if value is None:
        return "·" * _BAR
    filled = max(0, min(_BAR, round(value / 100 * _BAR)))
    return "█" * filled + "░" * (_BAR - filled)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _fit(text: str, width: int) -> str:
    return _cut(text, width).ljust(width)


# --- the headline ---------------------------------------------------------------------------


def headline_plain(headline: Headline) -> str:
    """The headline as plain lines: responses, waiting, in progress, dates, the rules."""
    lang = headline.language
    lines = [
        headline.title,
        f"{_w('responses', lang)}: {count_text(headline.responses)} "
        f"({count_text(headline.waiting)} {_w('waiting', lang)}; "
        f"{count_text(headline.in_progress)} {_w('in_progress', lang)})",
    ]
    if headline.first_day is not None and headline.last_day is not None:
        lines.append(f"{_w('dates', lang)}: {headline.first_day} – {headline.last_day}")
    else:
        lines.append(f"{_w('dates', lang)}: {_w('none_yet', lang)}")
    lines.append(_w("batch", lang, k=headline.min_group_size))
    lines.append(headline.caveat)
    return "\n".join(lines)


def headline_html(headline: Headline) -> str:
    """The headline for the chat (title in bold, the reminder in italics)."""
    first, _, rest = headline_plain(headline).partition("\n")
    body, _, caveat = rest.rpartition("\n")
    return f"<b>📊 {_esc(first)}</b>\n{_esc(body)}\n<i>{_esc(caveat)}</i>"


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


# --- tables ---------------------------------------------------------------------------------


def _parts(table: Table) -> tuple[str, list[str], list[str]]:
    """Title, monospace lines, notes."""
    lang = table.language
    if table.is_split:
        title = f"{table.title} — {_w('by', lang)} {table.by_title}"
        lines = _split_lines(table)
    else:
        title = table.title
        lines = _overall_lines(table)
    notes = []
    if _any_hidden(table):
        notes.append(_w("hidden", lang, k=table.min_group_size))
    if table.is_split and table.row_ids:
        notes.append(_w("shares", lang))
        notes.append(_w("all_note", lang))
    if table.kind == "multi":
        notes.append(_w("multi", lang))
    return title, lines, notes


def _any_hidden(table: Table) -> bool:
    counts = [c for row in table.cells for c in row]
    counts += [*table.row_totals, *table.column_totals, table.total]
    return any(isinstance(c, Suppressed) for c in counts)


def _overall_lines(table: Table) -> list[str]:
    """One line per choice; a long label wraps, its numbers on its last line."""
    width = min(_LABEL, max((len(label) for label in table.row_labels), default=0))
    lines = []
    for r, label in enumerate(table.row_labels):
        share = table.row_percent(r)
        count = count_text(table.row_totals[r])
        *above, last = textwrap.wrap(label, width, break_long_words=True) or [""]
        lines += above
        lines.append(f"{last:<{width}} {count:>5} {_percent_text(share):>4} {_bar(share)}")
    lines.append(f"{_w('total', table.language)}: {count_text(table.total)}")
    return lines


def _split_lines(table: Table) -> list[str]:
    assert table.column_labels is not None
    lang = table.language
    groups = [*table.column_labels, _w("all", lang)]
    sizes = [*table.column_totals, table.total]
    width = min(_GROUP, max(len(g) for g in groups))
    if not table.row_ids:  # a number question: how many answered in each group
        return [f"{_fit(g, width)} {count_text(n):>5}" for g, n in zip(groups, sizes, strict=True)]
    lines: list[str] = []
    for start in range(0, len(table.row_ids), _PER_GRID):
        rows = range(start, min(start + _PER_GRID, len(table.row_ids)))
        if lines:
            lines.append("")
        lines.append(" " * width + f" {'n':>5}" + "".join(f" {r + 1:>4}" for r in rows))
        for g, group in enumerate(groups):
            cells = "".join(f" {_cell(table, r, g):>4}" for r in rows)
            lines.append(f"{_fit(group, width)} {count_text(sizes[g]):>5}{cells}")
    lines.append("")
    lines += [f"{r + 1} = {label}" for r, label in enumerate(table.row_labels)]
    return lines


def _cell(table: Table, row: int, group: int) -> str:
    """A split's cell: the share of the group, "<k", or "(count)" when the share is hidden."""
    assert table.column_ids is not None
    if group == len(table.column_ids):  # the "all" line
        count, share = table.row_totals[row], table.row_percent(row)
    else:
        count, share = table.cells[row][group], table.percent(row, group)
    if isinstance(count, Suppressed):
        return str(count)
    return f"({count})" if share is None else f"{share:.0f}%"


def table_plain(table: Table) -> str:
    """A table as plain lines: the title, the numbers, the notes."""
    title, lines, notes = _parts(table)
    return "\n".join([title, *lines, *notes])


def table_html(table: Table) -> str:
    """A table for the chat: the title in bold, the numbers in a monospace block, the notes in
    italics; at most 4096 characters (a table too long is cut, saying so)."""
    title, lines, notes = _parts(table)
    head = f"<b>{_esc(_cut(title, _TITLE))}</b>\n"
    tail = "".join(f"\n<i>{_esc(note)}</i>" for note in notes)

    def text(body: list[str]) -> str:
        return f"{head}<pre>{_esc(chr(10).join(body))}</pre>{tail}"

    if len(text(lines)) <= TELEGRAM_LIMIT:
        return text(lines)
    cut = _w("cut", table.language)
    while lines and len(text([*lines, cut])) > TELEGRAM_LIMIT:
        lines = lines[:-1]
    return text([*lines, cut])


# --- JSON -----------------------------------------------------------------------------------


def _json_count(count: PublishedCount | AtLeast) -> int | str:
    return count if isinstance(count, int) else str(count)


def table_json(table: Table) -> dict[str, Any]:
    """A table as JSON-able data (suppressed counts as strings like "<5", percentages as
    numbers or null)."""
    rows = []
    for r, (choice_id, label) in enumerate(zip(table.row_ids, table.row_labels, strict=True)):
        row: dict[str, Any] = {
            "choice": choice_id,
            "label": label,
            "count": _json_count(table.row_totals[r]),
            "percent": table.row_percent(r),
            "cells": None,
            "percents": None,
        }
        if table.column_ids is not None:
            row["cells"] = {
                g: _json_count(table.cells[r][j]) for j, g in enumerate(table.column_ids)
            }
            row["percents"] = {g: table.percent(r, j) for j, g in enumerate(table.column_ids)}
        rows.append(row)
    groups = group_labels = None
    if table.column_ids is not None and table.column_labels is not None:
        groups = {
            g: _json_count(n) for g, n in zip(table.column_ids, table.column_totals, strict=True)
        }
        group_labels = dict(zip(table.column_ids, table.column_labels, strict=True))
    return {
        "survey": table.survey_id,
        "question": table.question_id,
        "kind": table.kind,
        "title": table.title,
        "by": table.by_question_id,
        "by_title": table.by_title,
        "language": table.language,
        "rows": rows,
        "groups": groups,
        "group_labels": group_labels,
        "total": _json_count(table.total),
        "suppressed_below": table.min_group_size,
    }


def headline_json(headline: Headline) -> dict[str, Any]:
    """The headline as JSON-able data."""
    return {
        "survey": headline.survey_id,
        "title": headline.title,
        "responses": _json_count(headline.responses),
        "waiting": _json_count(headline.waiting),
        "in_progress": _json_count(headline.in_progress),
        "first_day": headline.first_day.isoformat() if headline.first_day else None,
        "last_day": headline.last_day.isoformat() if headline.last_day else None,
        "suppressed_below": headline.min_group_size,
        "caveat": headline.caveat,
    }


#: The name the design notes use.
as_json = table_json

__all__ = [
    "as_json",
    "count_text",
    "headline_html",
    "headline_json",
    "headline_plain",
    "table_html",
    "table_json",
    "table_plain",
]
