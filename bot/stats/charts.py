"""Charts of published tallies as PNG images, for the staff's phones.

What must hold: a chart shows only what a `bot.stats.tables.Table` publishes: a hidden count is
drawn as a hatched stub or cell with the word "hidden" in the table's language (the footer says
what that means, true whether the count was small or hidden to protect another), never a
number, and a bar is drawn only from published percentages; a group's label never shows a size
that is not published. It uses matplotlib's Agg backend through `Figure` directly (no pyplot:
no global state, safe in threads); its words and labels are in the table's language; it is
readable on a phone: 1080 px wide, large type, labels wrapped between words, never inside one.

Which chart:
- a scale question (very safe .. very unsafe): a bar per group (or one, overall) diverging from
  the middle of the scale, the favourable steps to the left, as Swedish safety-survey reports
  draw them; the answers outside the scale (`steps` in the survey file) in a panel beside it.
  A group with any step hidden has no bar, only the word "hidden";
- a choice question overall: horizontal bars sorted by share, hidden ones last;
- a choice question split by a group: a grid of shares, choices and groups named in full (the
  longer list down the side), shaded by share.
"""

from __future__ import annotations

import io

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bot.stats.chart_parts import (
    BLUE,
    GREY,
    HATCH,
    INK,
    bar_groups,
    bar_value,
    chart_notes,
    chart_title,
    chart_word,
    draw_foot,
    draw_head,
    line_count,
    new_figure,
    size_label,
    wrap,
)
from bot.stats.scale_chart import diverging_chart
from bot.stats.tables import PublishedCount, Suppressed, Table
from bot.stats.text import hidden_word
from bot.stats.wrapping import wrap_words
from bot.survey.model import Survey
from bot.survey.questions import ScaleQuestion, SingleQuestion


def chart_png(table: Table, survey: Survey | None = None) -> bytes:
    """The table as a PNG image (see the module docstring and `chart_figure`)."""
    figure = chart_figure(table, survey)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def chart_figure(table: Table, survey: Survey | None = None) -> Figure:
    """The chart as a matplotlib `Figure`. The survey, if given, says which choices of a scale
    are its steps, and that a breakdown question's choices (age bands) keep their order;
    without it, every choice of a scale is a step and choices are sorted by share."""
    question = survey.question(table.question_id) if survey is not None else None
    if table.kind == "scale" and table.row_ids:
        steps = question.step_count if isinstance(question, ScaleQuestion) else None
        return diverging_chart(table, steps or len(table.row_ids))
    ordered = isinstance(question, SingleQuestion | ScaleQuestion) and question.breakdown
    if table.is_split and table.row_ids:
        return _grid(table, ordered)
    return _bars(table, ordered)


def _order(table: Table, ordered: bool) -> list[int]:
    """The choices largest share first (hidden ones last), or as listed when `ordered`."""
    if ordered:
        return list(range(len(table.row_ids)))
    return sorted(
        range(len(table.row_ids)),
        key=lambda r: (table.row_percent(r) is None, -(table.row_percent(r) or 0.0), r),
    )


# --- a choice question overall: sorted bars -------------------------------------------------


def _bars(table: Table, ordered: bool) -> Figure:
    """Overall: a bar per choice, its share of those who answered, largest first."""
    lang = table.language
    title = chart_title(table)
    order = _order(table, ordered)
    labels = [wrap(table.row_labels[r], 24) for r in order]
    lines = sum(line_count(label) for label in labels) or 1
    notes = chart_notes(table, [f"{chart_word('answered', lang)}: {_count(table.total, lang)}"])
    top = 0.4 + 0.24 * line_count(title)
    middle = 0.1 + 0.3 * lines + 0.12 * len(labels)
    bottom = 0.7 + 0.17 * sum(len(wrap_words(n, 95)) for n in notes)
    height = top + middle + bottom
    figure = new_figure(height)
    axes = figure.add_axes((0.34, bottom / height, 0.6, middle / height))
    for y, r in enumerate(order):
        _bar(axes, y, table.row_totals[r], table.row_percent(r), lang)
    axes.set_yticks(range(len(labels)), labels, fontsize=10)
    axes.set_ylim(max(len(labels), 1) - 0.5, -0.5)
    axes.set_xlim(0, 118)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.tick_params(axis="x", labelsize=9)
    axes.tick_params(axis="y", length=0)
    axes.set_xlabel(chart_word("axis", lang), fontsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    if not table.row_ids:  # a number question: only how many answered
        axes.set_axis_off()
    draw_head(figure, height, title)
    draw_foot(figure, height, notes)
    return figure


def _count(count: PublishedCount, language: str) -> str:
    return hidden_word(language) if isinstance(count, Suppressed) else str(count)


def _bar(axes: Axes, row: int, count: PublishedCount, share: float | None, lang: str) -> None:
    """One choice: a filled bar with "37% (110)", a hatched stub with "hidden", or the count
    alone when its base is hidden."""
    if isinstance(count, Suppressed):
        axes.barh(row, 5, height=0.62, color="none", edgecolor=HATCH, hatch="///", linewidth=0.8)
        axes.text(6.5, row, hidden_word(lang), va="center", fontsize=10, color=GREY)
    elif share is None:
        axes.text(1, row, str(count), va="center", fontsize=10, color=INK)
    else:
        axes.barh(row, share, height=0.62, color=BLUE)
        axes.text(share + 1.5, row, f"{share:.0f}% ({count})", va="center", fontsize=10)


# --- a choice question split: a labelled grid -----------------------------------------------


def _grid(table: Table, ordered: bool) -> Figure:
    """Shares of each choice in each group; the longer list of names down the side."""
    lang = table.language
    names, sizes = bar_groups(table)
    groups = [(name, size_label(size, lang)) for name, size in zip(names, sizes, strict=True)]
    order = _order(table, ordered)
    choices = [(table.row_labels[r], "") for r in order]
    groups_down = len(groups) > len(choices)
    down, across = (groups, choices) if groups_down else (choices, groups)
    width = max(6, min(16, 60 // max(1, len(across))))
    heads = [_named(name, size, width) for name, size in across]
    sides = [_named(name, size, 22) for name, size in down]
    title = chart_title(table)
    notes = chart_notes(table, [chart_word("group_axis", lang)])
    top = 0.4 + 0.24 * line_count(title) + 0.17 * max(line_count(h) for h in heads)
    middle = sum(max(0.42, 0.19 * line_count(s)) for s in sides)
    bottom = 0.3 + 0.17 * sum(len(wrap_words(n, 95)) for n in notes)
    height = top + middle + bottom
    figure = new_figure(height)
    axes = figure.add_axes((0.3, bottom / height, 0.67, middle / height))
    size = 8 if len(across) > 6 else 9
    for d in range(len(down)):
        for a in range(len(across)):
            row, group = (order[a], d) if groups_down else (order[d], a)
            _grid_cell(axes, (a, d), *bar_value(table, row, group), lang, size)
    axes.set_xlim(-0.5, len(across) - 0.5)
    axes.set_ylim(len(down) - 0.5, -0.5)
    axes.set_xticks(range(len(across)), heads, fontsize=size)
    axes.xaxis.tick_top()
    axes.set_yticks(range(len(down)), sides, fontsize=9)
    labels = axes.get_yticklabels() if groups_down else axes.get_xticklabels()
    labels[-1].set_fontweight("bold")  # "all"
    axes.tick_params(length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)
    draw_head(figure, height, title)
    draw_foot(figure, height, notes)
    return figure


def _named(name: str, size: str, width: int) -> str:
    """A wrapped name, and under it the group's size if any ("n = 34", "n hidden")."""
    return wrap(name, width) + (f"\n{size}" if size else "")


def _grid_cell(
    axes: Axes,
    at: tuple[int, int],
    count: PublishedCount,
    share: float | None,
    lang: str,
    size: int,
) -> None:
    """A share shaded by size; "hidden" hatched; a count alone (no shade) when the group's
    size is hidden."""
    x, y = at
    left = x - 0.47
    if isinstance(count, Suppressed):
        axes.barh(
            y,
            0.94,
            height=0.94,
            left=left,
            color="none",
            edgecolor=HATCH,
            hatch="///",
            linewidth=0.5,
        )
        text, colour = hidden_word(lang), "#555555"
    elif share is None:
        axes.barh(y, 0.94, height=0.94, left=left, color="#f0f0f0")
        text, colour = str(count), INK
    else:
        strength = 0.1 + 0.8 * share / 100
        axes.barh(y, 0.94, height=0.94, left=left, color=BLUE, alpha=strength)
        text, colour = f"{share:.0f}%", "white" if share > 70 else INK
    axes.text(x, y, text, ha="center", va="center", fontsize=size, color=colour)
