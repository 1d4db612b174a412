"""The chart of a scale question (very safe .. very unsafe): a bar per group (or one, overall)
diverging from the middle of the scale, as Swedish safety-survey reports draw it, the favourable
steps to the left; the answers outside the scale (`steps` in the survey file) stacked in a panel
beside it.

What must hold: a bar is drawn only from published shares, so a group with any step hidden has
no bar beyond it: segments are drawn from the middle outwards up to the first hidden share,
which reads "hidden" (likewise the answers outside the scale); shares are of everyone
in the group who answered, "don't know" included.
"""

from __future__ import annotations

from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.stats.chart_parts import (
    GREY,
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
from bot.stats.tables import Table
from bot.stats.text import hidden_word
from bot.stats.wrapping import wrap_words

Colour = tuple[float, float, float, float]
_OUTSIDE = ("#bdbdbd", "#d9d9d9", "#a3a3a3", "#e6e6e6")  # answers outside the scale


def diverging_chart(table: Table, steps: int) -> Figure:
    """The chart; the first `steps` choices are the scale, the rest are outside it."""
    lang = table.language
    names, sizes = bar_groups(table)
    outside = list(range(steps, len(table.row_ids)))
    labels = [
        f"{wrap(name, 18)}\n{size_label(size, lang)}"
        for name, size in zip(names, sizes, strict=True)
    ]
    colours = _step_colours(steps)
    title = chart_title(table)
    legend = [wrap(label, 32) for label in table.row_labels]
    split_at = steps if outside else (len(legend) + 1) // 2
    legend_in = 0.21 * max(
        sum(line_count(label) for label in legend[:split_at]),
        sum(line_count(label) for label in legend[split_at:]),
    )
    row_in = max(0.62, 0.2 * max(line_count(label) for label in labels))
    top = 0.45 + 0.24 * line_count(title) + legend_in + 0.3
    notes = chart_notes(table, [])
    bottom = 0.75 + 0.17 * sum(len(wrap_words(n, 95)) for n in notes)
    middle = row_in * len(names)
    height = top + middle + bottom
    figure = new_figure(height)
    right = 0.72 if outside else 0.97
    axes = figure.add_axes((0.25, bottom / height, right - 0.25, middle / height))
    side = figure.add_axes((0.76, bottom / height, 0.21, middle / height)) if outside else None
    reach = 0.0
    for g in range(len(names)):
        values = [bar_value(table, r, g) for r in range(len(table.row_ids))]
        shares = [share for _, share in values]
        reach = max(reach, _diverging_bar(axes, g, shares[:steps], colours, lang))
        if side is not None:
            _outside_bar(side, g, shares[steps:], lang)
    limit = max(50.0, min(100.0, reach + 8))
    axes.set_xlim(-limit, limit)
    axes.axvline(0, color=INK, linewidth=0.8)
    ticks = [t for t in (-100, -75, -50, -25, 0, 25, 50, 75, 100) if abs(t) <= limit]
    axes.set_xticks(ticks, [f"{abs(t)}" for t in ticks], fontsize=9)
    axes.set_yticks(range(len(names)), labels, fontsize=10)
    if table.is_split:
        axes.get_yticklabels()[-1].set_fontweight("bold")  # "all"
    axes.set_ylim(len(names) - 0.5, -0.5)
    axes.set_xlabel(chart_word("axis" if not table.is_split else "group_axis", lang), fontsize=10)
    axes.spines[["top", "right", "left"]].set_visible(False)
    axes.tick_params(axis="y", length=0)
    if side is not None:
        side.set_xlim(0, 100)
        side.set_ylim(len(names) - 0.5, -0.5)
        side.set_yticks([])
        side.set_xticks([0, 50, 100], ["0", "50", "100"], fontsize=9)
        side.set_title(chart_word("outside", lang), fontsize=9, color=GREY)
        side.spines[["top", "right", "left"]].set_visible(False)
    # The steps in the first column of the legend, the answers outside the scale in the second.
    rows = max(steps, len(outside)) if outside else (steps + 1) // 2
    blank = Patch(visible=False)
    handles = [Patch(facecolor=colours[r], edgecolor="#cccccc") for r in range(steps)]
    handles += [blank] * (rows - steps) if outside else []
    handles += [Patch(facecolor=_OUTSIDE[i % len(_OUTSIDE)]) for i in range(len(outside))]
    texts = [*legend[:steps], *([""] * (rows - steps) if outside else []), *legend[steps:]]
    figure.legend(
        handles,
        texts,
        loc="upper left",
        bbox_to_anchor=(0.03, 1 - (0.35 + 0.24 * line_count(title)) / height),
        ncol=2,
        fontsize=9,
        frameon=False,
        handlelength=1.2,
        columnspacing=1.5,
    )
    draw_head(figure, height, title)
    draw_foot(figure, height, notes)
    return figure


def _step_colours(steps: int) -> list[Colour]:
    """Blue for the favourable end, red for the other, pale in the middle."""
    palette = colormaps["RdBu"]
    if steps == 1:
        return [palette(0.85)]
    return [palette(0.9 - 0.8 * i / (steps - 1)) for i in range(steps)]


def _diverging_bar(
    axes: Axes, row: int, shares: list[float | None], colours: list[Colour], language: str
) -> float:
    """Steps left of zero (the first half), right of it (the second), a middle step across
    it; each labelled with its share where it fits. A segment is drawn only where its place is
    known: from the middle outwards, up to the first hidden share, which is marked "hidden"
    (a hidden middle step hides the whole bar). Returns how far the bar reaches."""
    steps = len(shares)
    half = steps // 2
    middle = shares[half] if steps % 2 else 0.0
    inner = (shares[half - 1], shares[steps - half]) if half else (None, None)
    if middle is None or (not middle and inner == (None, None)):  # nothing can be placed
        _hidden(axes, 0, row, "center", language)
        return 0.0
    if steps % 2:
        _segment(axes, row, -middle / 2, middle, colours[half])
    reach = middle / 2
    left = [(shares[i], colours[i]) for i in reversed(range(half))]
    right = [(shares[i], colours[i]) for i in range(steps - half, steps)]
    for side, direction in ((left, -1), (right, 1)):
        edge = middle / 2
        for share, colour in side:
            if share is None:
                _hidden(
                    axes,
                    direction * (edge + 1),
                    row,
                    "left" if direction > 0 else "right",
                    language,
                )
                break
            _segment(axes, row, edge if direction > 0 else -edge - share, share, colour)
            edge += share
        reach = max(reach, edge)
    return reach


def _segment(axes: Axes, row: int, start: float, share: float, colour: Colour) -> None:
    axes.barh(row, share, left=start, height=0.62, color=colour, edgecolor="white")
    if share >= 7:
        dark = sum(colour[:3]) / 3 < 0.55
        axes.text(
            start + share / 2,
            row,
            f"{share:.0f}",
            ha="center",
            va="center",
            fontsize=9,
            color="white" if dark else INK,
        )


def _hidden(axes: Axes, x: float, row: int, align: str, language: str) -> None:
    axes.text(
        x,
        row,
        hidden_word(language),
        ha=align,
        va="center",
        fontsize=10,
        color=GREY,
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 2},
    )


def _outside_bar(axes: Axes, row: int, shares: list[float | None], language: str) -> None:
    """The answers outside the scale, stacked from 0 up to the first hidden one."""
    start = 0.0
    for i, share in enumerate(shares):
        if share is None:
            axes.text(start + 2, row, hidden_word(language), va="center", fontsize=10, color=GREY)
            return
        colour = _OUTSIDE[i % len(_OUTSIDE)]
        axes.barh(row, share, left=start, height=0.62, color=colour, edgecolor="white")
        if share >= 9:
            axes.text(start + share / 2, row, f"{share:.0f}", ha="center", va="center", fontsize=8)
        start += share
    axes.text(start + 2, row, f"{start:.0f}%", va="center", fontsize=9, color=INK)
