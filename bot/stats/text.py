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
from typing import Any

from bot.stats.tables import AtLeast, Headline, PublishedCount, Suppressed, Table
from bot.stats.wrapping import longest_word, wrap_words

TELEGRAM_LIMIT = 4096
PHONE_WIDTH = 40  # monospace characters a phone shows in a chat
TERMINAL_WIDTH = 80  # the default for plain text when no width is given
_BAR = 10
_TITLE = 300  # a question text longer than this is cut in the chat (survey texts may be long)
_MIN_LABEL = 12  # a label column is never narrower, whatever the width
_MIN_CELL = 4  # "100%"
_WIDE = 14  # a split's columns are at most this wide, unless a word is longer

_WORDS = {
    "responses": {"sv": "Svar", "en": "Responses"},
    "waiting": {"sv": "väntar på nästa omgång", "en": "waiting for the next batch"},
    "in_progress": {"sv": "påbörjade", "en": "in progress"},
    "dates": {"sv": "Datum", "en": "Dates"},
    "none_yet": {"sv": "inga publicerade svar än", "en": "no published responses yet"},
    "batch": {
        "sv": "Siffrorna publiceras vid fasta antal svar, inte när någon tittar (<{k} = färre "
        "än {k}). Nästa publicering: vid cirka {n} svar.",
        "en": "Numbers are released at set numbers of responses, not when someone looks (<{k} "
        "= fewer than {k}). Next release: at about {n} responses.",
    },
    "closed": {
        "sv": "Enkäten är stängd: de sista svaren publiceras om de är tillräckligt många (<{k} "
        "= färre än {k}).",
        "en": "The survey has closed: the last responses are released if there are enough of "
        "them (<{k} = fewer than {k}).",
    },
    "total": {"sv": "Antal svarande", "en": "Number who answered"},
    "all": {"sv": "Alla", "en": "All"},
    "split": {
        "sv": "Svaren uppdelade efter frågan ”{by}”",
        "en": "Answers split by the question “{by}”",
    },
    "hidden_cell": {"sv": "dolt", "en": "hidden"},
    "hidden": {
        "sv": "dolt: färre än {k} svar, eller dolt så att ett litet tal inte kan räknas fram.",
        "en": "hidden: fewer than {k} answers, or hidden so that a small number cannot be "
        "worked out.",
    },
    "multi": {
        "sv": "Flera val möjliga: andelarna kan bli över 100 %.",
        "en": "Several choices allowed: shares may add up to over 100%.",
    },
    "shares": {
        "sv": "% = andel av gruppen; n = antal som svarade i gruppen.",
        "en": "% = share of the group; n = number in the group who answered.",
    },
    "counts": {
        "sv": "En grupp vars n är dolt visar antal, inte andelar.",
        "en": "A group whose n is hidden shows counts, not shares.",
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
    """A headline count as shown: a number, "<k" or "n+"."""
    return str(count)


def hidden_word(language: str) -> str:
    """What a hidden count reads as in a table ("dolt", "hidden"); `hidden_note` explains it."""
    return _w("hidden_cell", language)


def hidden_note(language: str, k: int) -> str:
    """The legend of a hidden count: true whether it was small or hidden to protect another."""
    return _w("hidden", language, k=k)


def split_title(language: str, by_title: str) -> str:
    """The sentence under a split's title that names the breakdown question."""
    return _w("split", language, by=by_title.strip())


def _percent_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def _bar(value: float | None) -> str:
    if value is None:
        return "·" * _BAR
    filled = max(0, min(_BAR, round(value / 100 * _BAR)))
    return "█" * filled + "░" * (_BAR - filled)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _count(count: PublishedCount, language: str) -> str:
    return hidden_word(language) if isinstance(count, Suppressed) else str(count)


# --- the headline ---------------------------------------------------------------------------


def headline_plain(headline: Headline, width: int | None = None) -> str:
    """The headline as plain lines: responses, waiting, in progress, dates, the rules (each
    wrapped at word boundaries to `width`, if given)."""
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
    k, next_release = headline.min_group_size, headline.next_release
    closed = next_release is None
    lines.append(_w("closed", lang, k=k) if closed else _w("batch", lang, k=k, n=next_release))
    lines.append(headline.caveat)
    if width is not None:
        lines = [part for line in lines for part in wrap_words(line, width)]
    return "\n".join(lines)


def headline_html(headline: Headline) -> str:
    """The headline for the chat (title in bold, the reminder in italics)."""
    first, _, rest = headline_plain(headline).partition("\n")
    body, _, caveat = rest.rpartition("\n")
    return f"<b>📊 {_esc(first)}</b>\n{_esc(body)}\n<i>{_esc(caveat)}</i>"


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


# --- tables ---------------------------------------------------------------------------------


def _parts(table: Table, width: int) -> tuple[list[str], list[str], list[str]]:
    """Title lines, monospace lines, notes."""
    lang = table.language
    title = [table.title]
    if table.is_split and table.by_title:
        title.append(split_title(lang, table.by_title))
    lines = _split_lines(table, width) if table.is_split else _overall_lines(table, width)
    notes = []
    if _any_hidden(table):
        notes.append(hidden_note(lang, table.min_group_size))
    if table.is_split and table.row_ids:
        notes.append(_w("shares", lang))
        if any(isinstance(n, Suppressed) for n in [*table.column_totals, table.total]):
            notes.append(_w("counts", lang))
        notes.append(_w("all_note", lang))
    if table.kind == "multi":
        notes.append(_w("multi", lang))
    return title, lines, notes


def _any_hidden(table: Table) -> bool:
    counts = [c for row in table.cells for c in row]
    counts += [*table.row_totals, *table.column_totals, table.total]
    return any(isinstance(c, Suppressed) for c in counts)


def _overall_lines(table: Table, width: int) -> list[str]:
    """One line per choice (label, count, share, bar); a long label wraps at word boundaries,
    its numbers on its last line."""
    lang = table.language
    counts = [_count(c, lang) for c in table.row_totals]
    number = max([5, *(len(c) for c in counts)])
    room = width - (number + 1) - 5 - (_BAR + 1)
    longest = max((len(label) for label in table.row_labels), default=0)
    label_width = max(min(longest, room), min(longest, _MIN_LABEL), longest_word(table.row_labels))
    lines = []
    for r, label in enumerate(table.row_labels):
        share = table.row_percent(r)
        *above, last = wrap_words(label, label_width)
        lines += above
        lines.append(
            f"{last:<{label_width}} {counts[r]:>{number}} {_percent_text(share):>4} {_bar(share)}"
        )
    lines.append(f"{_w('total', lang)}: {_count(table.total, lang)}")
    return lines


def _split_lines(table: Table, width: int) -> list[str]:
    """One line per group (and "all"), one column per choice headed by its label (wrapped at
    word boundaries), as many columns side by side as `width` allows."""
    assert table.column_labels is not None
    lang = table.language
    groups = [*table.column_labels, _w("all", lang)]
    sizes = [_count(n, lang) for n in [*table.column_totals, table.total]]
    n_width = max(3, *(len(s) for s in sizes))
    longest = max(len(g) for g in groups)
    group_width = max(min(longest, max(_MIN_LABEL, width // 3)), longest_word(groups))
    if not table.row_ids:  # a number question: how many answered in each group
        return _rows(groups, group_width, [f"{s:>{n_width}}" for s in sizes])
    cells = [[_cell(table, r, g) for r in range(len(table.row_ids))] for g in range(len(groups))]
    room = width - group_width - 1 - n_width
    narrowest = max(
        _MIN_CELL, longest_word(table.row_labels), *(len(c) for row in cells for c in row)
    )
    # Widen the columns (up to _WIDE) while they all still fit: fewer lines of column heads.
    cell_width = max(narrowest, min(_WIDE, room // len(table.row_ids) - 1))
    heads = [wrap_words(label, cell_width) for label in table.row_labels]
    per_block = max(1, room // (cell_width + 1))
    lines: list[str] = []
    for start in range(0, len(table.row_ids), per_block):
        block = range(start, min(start + per_block, len(table.row_ids)))
        if lines:
            lines.append("")
        depth = max(len(heads[r]) for r in block)
        for h in range(depth):
            words = [_head_line(heads[r], h, depth) for r in block]
            n_head = "n" if h == depth - 1 else ""
            lines.append(
                (
                    " " * group_width
                    + f" {n_head:>{n_width}}"
                    + "".join(f" {w:>{cell_width}}" for w in words)
                ).rstrip()
            )
        numbers = [
            f"{sizes[g]:>{n_width}}" + "".join(f" {cells[g][r]:>{cell_width}}" for r in block)
            for g in range(len(groups))
        ]
        lines += _rows(groups, group_width, numbers)
    return lines


def _head_line(lines: list[str], index: int, depth: int) -> str:
    """Line `index` of a column head, the head aligned to the bottom."""
    at = index - (depth - len(lines))
    return lines[at] if at >= 0 else ""


def _rows(labels: list[str], width: int, numbers: list[str]) -> list[str]:
    """Label and numbers per line; a long label wraps, the numbers on its first line."""
    lines = []
    for label, values in zip(labels, numbers, strict=True):
        first, *rest = wrap_words(label, width)
        lines.append(f"{first:<{width}} {values}")
        lines += rest
    return lines


def _cell(table: Table, row: int, group: int) -> str:
    """A split's cell: the share of the group; "hidden"; or the count when the group's size is
    hidden (the row's n says so)."""
    assert table.column_ids is not None
    if group == len(table.column_ids):  # the "all" line
        count, share = table.row_totals[row], table.row_percent(row)
    else:
        count, share = table.cells[row][group], table.percent(row, group)
    if isinstance(count, Suppressed):
        return hidden_word(table.language)
    return str(count) if share is None else f"{share:.0f}%"


def table_plain(table: Table, width: int = TERMINAL_WIDTH) -> str:
    """A table as plain lines, at most `width` characters where the words allow: the title,
    the numbers, the notes (title and notes wrapped at word boundaries)."""
    title, lines, notes = _parts(table, width)
    wrapped = [line for text in [*title] for line in wrap_words(text, width)]
    legend = [line for text in notes for line in wrap_words(text, width)]
    return "\n".join([*wrapped, *lines, *legend])


def table_html(table: Table, width: int = PHONE_WIDTH) -> str:
    """A table for the chat: the title in bold, the numbers in a monospace block `width`
    characters wide, the notes in italics; at most 4096 characters (a table too long is cut,
    saying so)."""
    title, lines, notes = _parts(table, width)
    head = f"<b>{_esc(_cut(title[0], _TITLE))}</b>\n"
    head += "".join(f"{_esc(_cut(t, _TITLE))}\n" for t in title[1:])
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
        "next_release": headline.next_release,
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
    "hidden_note",
    "hidden_word",
    "split_title",
    "table_html",
    "table_json",
    "table_plain",
]
