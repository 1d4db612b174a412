"""What every chart of `bot.stats.charts` shares: the figure for a phone, words in the table's
language, titles as sentences, the footer's notes, group sizes as published.

What must hold: a group's size reads as published ("n = 13", or "n hidden": never "<5" for a
group that may be large and hidden only to protect another count); labels wrap between words
(`bot.stats.wrapping`); figures use the Agg canvas directly (no pyplot).
"""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.stats.tables import PublishedCount, Suppressed, Table
from bot.stats.text import hidden_note, split_title
from bot.stats.wrapping import wrap_words

_WIDTH_IN, _DPI = 7.2, 150  # 1080 px
BLUE, GREY, INK = "#1f5f8b", "#8a8a8a", "#222222"
HATCH = "#b0b0b0"
WORDS = {
    "axis": {"sv": "Andel av dem som svarade (%)", "en": "Share of those who answered (%)"},
    "group_axis": {"sv": "Andel av gruppen (%)", "en": "Share of the group (%)"},
    "answered": {"sv": "Antal svarande", "en": "Number who answered"},
    "all": {"sv": "Alla", "en": "All"},
    "n_hidden": {"sv": "n dolt", "en": "n hidden"},
    "outside": {"sv": "Utanför skalan", "en": "Outside the scale"},
    "multi": {
        "sv": "Flera val möjliga: andelarna kan bli över 100 %.",
        "en": "Several choices allowed: shares may add up to over 100%.",
    },
}


def chart_word(key: str, language: str, **values: object) -> str:
    """A chart's own word or phrase in `language` (English if it has none)."""
    words = WORDS[key]
    return words.get(language, words["en"]).format(**values)


def new_figure(height_in: float) -> Figure:
    """A figure 1080 px wide on an Agg canvas."""
    figure = Figure(figsize=(_WIDTH_IN, height_in), dpi=_DPI)
    FigureCanvasAgg(figure)
    return figure


def wrap(text: str, width: int) -> str:
    """`text` wrapped between words, as one string with newlines."""
    return "\n".join(wrap_words(text, width))


def chart_title(table: Table) -> str:
    """The question, and for a split the sentence naming the breakdown question (in `draw_head`
    the first is bold, the second plain)."""
    title = wrap(table.title, 50)
    if table.is_split and table.by_title:
        title += "\n\n" + wrap(split_title(table.language, table.by_title), 70)
    return title


def line_count(text: str) -> int:
    """How many lines `text` has."""
    return text.count("\n") + 1


def draw_head(figure: Figure, height: float, title: str) -> None:
    """The title at the top: the question in bold, the split's sentence under it."""
    question, _, split = title.partition("\n\n")
    y = 1 - 0.2 / height
    figure.text(0.03, y, question, fontsize=13, weight="bold", va="top", color=INK)
    if split:
        below = y - (0.24 * line_count(question) + 0.08) / height
        figure.text(0.03, below, split, fontsize=11, va="top", color=INK)


def draw_foot(figure: Figure, height: float, lines: list[str]) -> None:
    """The notes at the bottom, small and grey."""
    text = "\n".join(wrap(line, 95) for line in lines)
    figure.text(0.03, 0.12 / height, text, fontsize=9, color=GREY, va="bottom")


def chart_notes(table: Table, extra: list[str]) -> list[str]:
    """The footer: `extra`, what "hidden" means if anything is, and the multi caveat."""
    notes = list(extra)
    counts = [c for row in table.cells for c in row]
    counts += [*table.row_totals, *table.column_totals, table.total]
    if any(isinstance(c, Suppressed) for c in counts):
        notes.append(hidden_note(table.language, table.min_group_size))
    if table.kind == "multi":
        notes.append(chart_word("multi", table.language))
    return notes


def size_label(count: PublishedCount, language: str) -> str:
    """A group's size as published: "n = 13", or "n hidden" (never "<5" for a group that may
    be large and hidden only to protect another count)."""
    if isinstance(count, Suppressed):
        return chart_word("n_hidden", language)
    return f"n = {count}"


def bar_groups(table: Table) -> tuple[list[str], list[PublishedCount]]:
    """The bars of a split: each group and "all"; of an overall table: one bar."""
    if table.column_labels is None:
        return [chart_word("all", table.language)], [table.total]
    return [*table.column_labels, chart_word("all", table.language)], [
        *table.column_totals,
        table.total,
    ]


def bar_value(table: Table, row: int, group: int) -> tuple[PublishedCount, float | None]:
    """Count and share of choice `row` in bar `group` (the last is "all")."""
    if table.column_ids is None or group == len(table.column_ids):
        return table.row_totals[row], table.row_percent(row)
    return table.cells[row][group], table.percent(row, group)
