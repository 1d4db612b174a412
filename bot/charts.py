"""Charts of published tallies as PNG images, for the staff's phones.

What must hold: a chart shows only what a `bot.stats.Table` publishes (a suppressed cell is
drawn as an empty hatched bar labelled "<k", never as a number); it uses matplotlib's Agg
backend through `Figure` directly (no pyplot: no global state, safe in threads); labels come in
the table's language; it is readable on a phone (1080 px wide, large type).
"""

from __future__ import annotations

import io
import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.stats import Table

_WIDTH_IN, _DPI = 7.2, 150  # 1080 px
_COLOURS = ("#1f5f8b", "#e07b39", "#3a9d5d", "#b04a6f", "#7a6fb0", "#8c8c3a", "#4a8fa8")
_AXIS = {"sv": "Andel av de som svarade (%)", "en": "Share of those who answered (%)"}


def chart_png(table: Table) -> bytes:
    """The table as a horizontal bar chart (grouped by breakdown group for a split)."""
    rows = list(table.row_labels) or ["—"]
    groups = list(table.column_labels) if table.column_labels else [None]
    height = max(3.0, 1.2 + 0.45 * len(rows) * max(1, min(len(groups), 4)))
    figure = Figure(figsize=(_WIDTH_IN, min(height, 14.0)), dpi=_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bar_height = 0.8 / len(groups)
    for g, group in enumerate(groups):
        positions = [r + g * bar_height for r in range(len(rows))]
        for r, y in enumerate(positions):
            if not table.row_labels:
                continue
            share = table.row_percent(r) if group is None else table.percent(r, g)
            count = table.row_totals[r] if group is None else table.cells[r][g]
            colour = _COLOURS[g % len(_COLOURS)]
            if share is None:
                axes.barh(
                    y,
                    100,
                    height=bar_height * 0.9,
                    color="none",
                    edgecolor="#bbbbbb",
                    hatch="//",
                    linewidth=0.5,
                )
                axes.text(1, y, str(count), va="center", fontsize=9, color="#666666")
            else:
                axes.barh(
                    y, share, height=bar_height * 0.9, color=colour, label=group if r == 0 else None
                )
                axes.text(share + 1, y, f"{share:.0f}% ({count})", va="center", fontsize=9)
    axes.set_yticks([r + bar_height * (len(groups) - 1) / 2 for r in range(len(rows))])
    axes.set_yticklabels([textwrap.fill(label, 22) for label in rows], fontsize=10)
    axes.invert_yaxis()
    axes.set_xlim(0, 115)
    axes.set_xlabel(_AXIS.get(table.language, _AXIS["en"]), fontsize=10)
    title = table.title if table.by_title is None else f"{table.title} / {table.by_title}"
    axes.set_title(textwrap.fill(title, 55), fontsize=12, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    if table.column_labels:
        axes.legend(fontsize=8, loc="lower right", frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
