"""Charts of published tallies as PNG images, for the staff's phones.

What must hold: a chart shows only what a `bot.stats.tables.Table` publishes (a suppressed count is
an
empty hatched bar or cell labelled "<k", never a number, and bars are drawn only for published
percentages); it uses matplotlib's Agg backend through `Figure` directly (no pyplot: no global
state, safe in threads); its words and labels are in the table's language; it is readable on a
phone: 1080 px wide, large type, long labels wrapped.

An overall tally is a horizontal bar per choice (share of those who answered). A split is a
grid like the chat text: one line per group, one column per choice (numbered, with a legend),
each cell the share of its group, shaded by size.
"""

from __future__ import annotations

import io
import textwrap

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from bot.stats.tables import PublishedCount, Suppressed, Table

_WIDTH_IN, _DPI = 7.2, 150  # 1080 px
_BLUE, _GREY, _INK = "#1f5f8b", "#9a9a9a", "#222222"
_BLUE_RGB = (0x1F / 255, 0x5F / 255, 0x8B / 255)
_HATCH = "#c4c4c4"
_WORDS = {
    "axis": {"sv": "Andel av dem som svarade (%)", "en": "Share of those who answered (%)"},
    "answered": {"sv": "Svar", "en": "Answered"},
    "by": {"sv": "per", "en": "by"},
    "all": {"sv": "Alla", "en": "All"},
    "hidden": {"sv": "<{k} = dolt (färre än {k})", "en": "<{k} = hidden (fewer than {k})"},
    "cells": {"sv": "Andel av gruppen (%)", "en": "Share of the group (%)"},
    "multi": {
        "sv": "Flera val möjliga: andelarna kan bli över 100 %.",
        "en": "Several choices allowed: shares may add up to over 100%.",
    },
}


def _w(key: str, language: str, **values: object) -> str:
    words = _WORDS[key]
    return words.get(language, words["en"]).format(**values)


def chart_png(table: Table) -> bytes:
    """The table as a PNG image (see the module docstring)."""
    figure = chart_figure(table)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def chart_figure(table: Table) -> Figure:
    """The chart as a matplotlib `Figure` (for tests; `chart_png` renders it)."""
    if table.is_split and table.row_ids:
        return _grid(table)
    return _bars(table)


def _figure(height_in: float) -> Figure:
    figure = Figure(figsize=(_WIDTH_IN, height_in), dpi=_DPI)
    FigureCanvasAgg(figure)
    return figure


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _title(table: Table) -> str:
    title = textwrap.fill(table.title, 48)
    if table.by_title:
        title += "\n" + textwrap.fill(f"{_w('by', table.language)} {table.by_title}", 56)
    return title


def _hidden_note(table: Table) -> str:
    return _w("hidden", table.language, k=table.min_group_size)


def _bars(table: Table) -> Figure:
    """Overall: a bar per choice, its share of those who answered."""
    lang = table.language
    title = _title(table)
    labels = [textwrap.fill(label, 22) for label in table.row_labels]
    lines = sum(label.count("\n") + 1 for label in labels) or 1
    top, middle, bottom = 0.45 + 0.3 * (title.count("\n") + 1), 0.1 + 0.36 * lines, 1.15
    height = top + middle + bottom
    figure = _figure(height)
    axes = figure.add_axes((0.36, bottom / height, 0.6, middle / height))
    for r in range(len(table.row_ids)):
        _bar(axes, r, table.row_totals[r], table.row_percent(r))
    axes.set_yticks(range(len(labels)), labels, fontsize=11)
    axes.set_ylim(max(len(labels), 1) - 0.5, -0.5)
    axes.set_xlim(0, 118)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.tick_params(axis="x", labelsize=10)
    axes.set_xlabel(_w("axis", lang), fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    if not table.row_ids:  # a number question: only how many answered
        axes.set_yticks([])
        axes.set_xticks([])
        axes.set_xlabel("")
    figure.text(0.03, 1 - 0.25 / height, title, fontsize=14, weight="bold", va="top", color=_INK)
    footer = f"{_w('answered', lang)}: {table.total}   ·   {_hidden_note(table)}"
    if table.kind == "multi":
        footer += f"\n{_w('multi', lang)}"
    figure.text(0.03, 0.1 / height, footer, fontsize=10, color=_GREY)
    return figure


def _bar(axes: Axes, row: int, count: PublishedCount, share: float | None) -> None:
    """One choice: a filled bar with "37% (110)", a hatched stub with "<5", or "(12)" alone
    when the count is shown but its base is not."""
    if isinstance(count, Suppressed):
        axes.barh(row, 6, height=0.7, color="none", edgecolor=_GREY, hatch="///", linewidth=0.8)
        axes.text(7.5, row, str(count), va="center", fontsize=11, color=_GREY)
    elif share is None:
        axes.text(1, row, f"({count})", va="center", fontsize=11, color=_INK)
    else:
        axes.barh(row, share, height=0.7, color=_BLUE)
        axes.text(share + 1.5, row, f"{share:.0f}% ({count})", va="center", fontsize=11)


def _grid(table: Table) -> Figure:
    """Split: a line per group (and "all"), a column per choice, cells shaded by share."""
    assert table.column_labels is not None
    lang = table.language
    groups = [*table.column_labels, _w("all", lang)]
    sizes = [*table.column_totals, table.total]
    rows, columns = len(groups), len(table.row_ids)
    title = _title(table)
    legend = [_short(f"{r + 1} = {label}", 64) for r, label in enumerate(table.row_labels)]
    top = 0.55 + 0.3 * (title.count("\n") + 1)
    middle, below = 0.42 * rows, 0.3 + 0.2 * len(legend) + 0.45
    height = top + middle + below
    figure = _figure(height)
    axes = figure.add_axes((0.34, below / height, 0.63, middle / height))
    shade = np.ones((rows, columns, 3))
    hidden: list[Rectangle] = []
    for g in range(rows):
        for r in range(columns):
            count, share = _grid_value(table, g, r)
            if isinstance(count, Suppressed):
                hidden.append(Rectangle((r - 0.5, g - 0.5), 1, 1))
                text, colour = str(count), "#555555"
            elif share is None:
                shade[g, r] = 0.93
                text, colour = f"({count})", _INK
            else:
                strength = 0.08 + 0.8 * share / 100
                shade[g, r] = 1 - (1 - np.array(_BLUE_RGB)) * strength
                text, colour = f"{share:.0f}%", "white" if share > 55 else _INK
            axes.text(r, g, text, ha="center", va="center", fontsize=10, color=colour)
    extent = (-0.5, columns - 0.5, rows - 0.5, -0.5)
    axes.imshow(shade, aspect="auto", interpolation="nearest", extent=extent)
    axes.add_collection(
        PatchCollection(hidden, facecolor="none", edgecolor=_HATCH, hatch="///", linewidth=0.5)
    )
    axes.hlines(np.arange(rows - 1) + 0.5, -0.5, columns - 0.5, color="white", linewidth=2)
    axes.vlines(np.arange(columns - 1) + 0.5, -0.5, rows - 0.5, color="white", linewidth=2)
    axes.set_xticks(range(columns), [str(r + 1) for r in range(columns)], fontsize=11)
    axes.xaxis.tick_top()
    names = [f"{_short(g, 22)} ({n})" for g, n in zip(groups, sizes, strict=True)]
    axes.set_yticks(range(rows), names, fontsize=10)
    axes.tick_params(length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)
    figure.text(0.03, 1 - 0.25 / height, title, fontsize=14, weight="bold", va="top", color=_INK)
    figure.text(0.03, (below - 0.3) / height, "\n".join(legend), fontsize=10, va="top", color=_INK)
    footer = f"{_w('cells', lang)}   ·   {_hidden_note(table)}"
    if table.kind == "multi":
        footer += f"\n{_w('multi', lang)}"
    figure.text(0.03, 0.1 / height, footer, fontsize=9, color=_GREY)
    return figure


def _grid_value(table: Table, group: int, row: int) -> tuple[PublishedCount, float | None]:
    assert table.column_ids is not None
    if group == len(table.column_ids):  # the "all" line
        return table.row_totals[row], table.row_percent(row)
    return table.cells[row][group], table.percent(row, group)
