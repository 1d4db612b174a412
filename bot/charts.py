"""Charts of published tallies as PNG images, for the staff's phones.

What must hold: a chart shows only what a `bot.stats.Table` publishes (a suppressed count is an
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

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from bot.stats import PublishedCount, Suppressed, Table

_WIDTH_IN, _DPI = 7.2, 150  # 1080 px
_BLUE, _GREY, _INK = "#1f5f8b", "#9a9a9a", "#222222"
_WORDS = {
    "axis": {"sv": "Andel av dem som svarade (%)", "en": "Share of those who answered (%)"},
    "answered": {"sv": "Svar", "en": "Answered"},
    "by": {"sv": "per", "en": "by"},
    "all": {"sv": "Alla", "en": "All"},
    "hidden": {"sv": "<{k} = dolt (färre än {k})", "en": "<{k} = hidden (fewer than {k})"},
    "cells": {"sv": "Andel av gruppen (%)", "en": "Share of the group (%)"},
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
    figure = Figure(figsize=(_WIDTH_IN, max(3.0, min(height_in, 18.0))), dpi=_DPI)
    FigureCanvasAgg(figure)
    return figure


def _title(table: Table) -> str:
    title = textwrap.fill(table.title, 48)
    if table.by_title:
        title += "\n" + textwrap.fill(f"{_w('by', table.language)} {table.by_title}", 56)
    return title


def _footer(table: Table) -> str:
    lang = table.language
    return (
        f"{_w('answered', lang)}: {table.total}   ·   {_w('hidden', lang, k=table.min_group_size)}"
    )


def _bars(table: Table) -> Figure:
    lang = table.language
    labels = [textwrap.fill(label, 22) for label in table.row_labels]
    lines = sum(label.count("\n") + 1 for label in labels)
    figure = _figure(1.9 + 0.42 * max(lines, 2))
    axes = figure.add_axes((0.36, 0.16, 0.6, 0.68))
    for r in range(len(table.row_ids)):
        _bar(axes, r, table.row_totals[r], table.row_percent(r))
    axes.set_yticks(range(len(labels)), labels, fontsize=11)
    axes.set_ylim(len(labels) - 0.5 if labels else 0.5, -0.5)
    axes.set_xlim(0, 118)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.tick_params(axis="x", labelsize=10)
    axes.set_xlabel(_w("axis", lang), fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    if not table.row_ids:
        axes.set_yticks([])
        axes.text(50, 0, f"{_w('answered', lang)}: {table.total}", ha="center", fontsize=16)
    figure.text(0.03, 0.97, _title(table), fontsize=14, weight="bold", va="top", color=_INK)
    figure.text(0.03, 0.02, _footer(table), fontsize=10, color=_GREY)
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
        text = f"{share:.0f}% ({count})"
        axes.text(share + 1.5, row, text, va="center", fontsize=11, color=_INK)


def _grid(table: Table) -> Figure:
    assert table.column_labels is not None
    lang = table.language
    groups = [*table.column_labels, _w("all", lang)]
    columns = len(table.row_ids)
    figure = _figure(2.6 + 0.42 * len(groups) + 0.3 * columns)
    legend_share = min(0.45, (0.3 * columns + 0.3) / (2.6 + 0.42 * len(groups) + 0.3 * columns))
    axes = figure.add_axes((0.3, legend_share + 0.08, 0.66, 0.8 - legend_share - 0.08))
    for g in range(len(groups)):
        for r in range(columns):
            _grid_cell(axes, table, g, r)
    axes.set_xlim(-0.5, columns - 0.5)
    axes.set_ylim(len(groups) - 0.5, -0.5)
    axes.set_xticks(range(columns), [str(r + 1) for r in range(columns)], fontsize=11)
    axes.xaxis.tick_top()
    sizes = [*table.column_totals, table.total]
    names = [
        f"{textwrap.shorten(g, 22, placeholder='…')} ({n})"
        for g, n in zip(groups, sizes, strict=True)
    ]
    axes.set_yticks(range(len(groups)), names, fontsize=10)
    axes.tick_params(length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)
    legend = "\n".join(
        textwrap.shorten(f"{r + 1} = {label}", 70, placeholder="…")
        for r, label in enumerate(table.row_labels)
    )
    figure.text(0.03, legend_share + 0.02, legend, fontsize=10, va="top", color=_INK)
    figure.text(0.03, 0.97, _title(table), fontsize=14, weight="bold", va="top", color=_INK)
    footer = f"{_w('cells', lang)}   ·   {_w('hidden', lang, k=table.min_group_size)}"
    figure.text(0.03, 0.01, footer, fontsize=9, color=_GREY)
    return figure


def _grid_cell(axes: Axes, table: Table, group: int, row: int) -> None:
    assert table.column_ids is not None
    if group == len(table.column_ids):
        count, share = table.row_totals[row], table.row_percent(row)
    else:
        count, share = table.cells[row][group], table.percent(row, group)
    corner = (row - 0.48, group - 0.46)
    if isinstance(count, Suppressed):
        face, alpha, edge, hatch = "none", 1.0, _GREY, "///"
        text, colour = str(count), _GREY
    elif share is None:
        face, alpha, edge, hatch = "#f2f2f2", 1.0, "white", None
        text, colour = f"({count})", _INK
    else:
        face, alpha, edge, hatch = _BLUE, 0.08 + 0.82 * share / 100, "white", None
        text, colour = f"{share:.0f}%", "white" if share > 55 else _INK
    patch = Rectangle(
        corner, 0.96, 0.92, facecolor=face, alpha=alpha, edgecolor=edge, hatch=hatch, linewidth=0.5
    )
    axes.add_patch(patch)
    axes.text(row, group, text, ha="center", va="center", fontsize=10, color=colour)
