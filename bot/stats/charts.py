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

from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.stats.tables import PublishedCount, Suppressed, Table
from bot.stats.text import hidden_note, hidden_word, split_title, wrap_words
from bot.survey.model import Survey
from bot.survey.questions import ScaleQuestion, SingleQuestion

Colour = tuple[float, float, float, float]
_WIDTH_IN, _DPI = 7.2, 150  # 1080 px
_BLUE, _GREY, _INK = "#1f5f8b", "#8a8a8a", "#222222"
_HATCH = "#b0b0b0"
_OUTSIDE = ("#bdbdbd", "#d9d9d9", "#a3a3a3", "#e6e6e6")  # answers outside the scale
_WORDS = {
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
    "row_hidden": {
        "sv": "dolt: minst ett svar i gruppen är dolt",
        "en": "hidden: at least one answer in the group is hidden",
    },
}


def _w(key: str, language: str, **values: object) -> str:
    words = _WORDS[key]
    return words.get(language, words["en"]).format(**values)


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
        return _diverging(table, steps or len(table.row_ids))
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


# --- shared ---------------------------------------------------------------------------------


def _figure(height_in: float) -> Figure:
    figure = Figure(figsize=(_WIDTH_IN, height_in), dpi=_DPI)
    FigureCanvasAgg(figure)
    return figure


def _wrap(text: str, width: int) -> str:
    return "\n".join(wrap_words(text, width))


def _title(table: Table) -> str:
    """The question, and for a split the sentence naming the breakdown question (in `_head`
    the first is bold, the second plain)."""
    title = _wrap(table.title, 50)
    if table.is_split and table.by_title:
        title += "\n\n" + _wrap(split_title(table.language, table.by_title), 70)
    return title


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _head(figure: Figure, height: float, title: str) -> None:
    question, _, split = title.partition("\n\n")
    y = 1 - 0.2 / height
    figure.text(0.03, y, question, fontsize=13, weight="bold", va="top", color=_INK)
    if split:
        below = y - (0.24 * _lines(question) + 0.08) / height
        figure.text(0.03, below, split, fontsize=11, va="top", color=_INK)


def _foot(figure: Figure, height: float, lines: list[str]) -> None:
    text = "\n".join(_wrap(line, 95) for line in lines)
    figure.text(0.03, 0.12 / height, text, fontsize=9, color=_GREY, va="bottom")


def _notes(table: Table, extra: list[str]) -> list[str]:
    notes = list(extra)
    counts = [c for row in table.cells for c in row]
    counts += [*table.row_totals, *table.column_totals, table.total]
    if any(isinstance(c, Suppressed) for c in counts):
        notes.append(hidden_note(table.language, table.min_group_size))
    if table.kind == "multi":
        notes.append(_w("multi", table.language))
    return notes


def _size_label(count: PublishedCount, language: str) -> str:
    """A group's size as published: "n = 13", or "n hidden" (never "<5" for a group that may
    be large and hidden only to protect another count)."""
    if isinstance(count, Suppressed):
        return _w("n_hidden", language)
    return f"n = {count}"


def _groups(table: Table) -> tuple[list[str], list[PublishedCount]]:
    """The bars of a split: each group and "all"; of an overall table: one bar."""
    if table.column_labels is None:
        return [_w("all", table.language)], [table.total]
    return [*table.column_labels, _w("all", table.language)], [*table.column_totals, table.total]


def _value(table: Table, row: int, group: int) -> tuple[PublishedCount, float | None]:
    """Count and share of choice `row` in bar `group` (the last is "all")."""
    if table.column_ids is None or group == len(table.column_ids):
        return table.row_totals[row], table.row_percent(row)
    return table.cells[row][group], table.percent(row, group)


# --- a scale: diverging bars ----------------------------------------------------------------


def _diverging(table: Table, steps: int) -> Figure:
    lang = table.language
    names, sizes = _groups(table)
    outside = list(range(steps, len(table.row_ids)))
    labels = [
        f"{_wrap(name, 18)}\n{_size_label(size, lang)}"
        for name, size in zip(names, sizes, strict=True)
    ]
    colours = _step_colours(steps)
    title = _title(table)
    legend = [_wrap(label, 32) for label in table.row_labels]
    split_at = steps if outside else (len(legend) + 1) // 2
    legend_in = 0.21 * max(
        sum(_lines(label) for label in legend[:split_at]),
        sum(_lines(label) for label in legend[split_at:]),
    )
    row_in = max(0.62, 0.2 * max(_lines(label) for label in labels))
    top = 0.45 + 0.24 * _lines(title) + legend_in + 0.3
    notes = _notes(table, [])
    bottom = 0.75 + 0.17 * sum(len(wrap_words(n, 95)) for n in notes)
    middle = row_in * len(names)
    height = top + middle + bottom
    figure = _figure(height)
    right = 0.72 if outside else 0.97
    axes = figure.add_axes((0.25, bottom / height, right - 0.25, middle / height))
    side = figure.add_axes((0.76, bottom / height, 0.21, middle / height)) if outside else None
    reach = 0.0
    for g in range(len(names)):
        values = [_value(table, r, g) for r in range(len(table.row_ids))]
        shares = [share for _, share in values]
        if any(s is None for s in shares[:steps]):
            axes.text(
                0,
                g,
                hidden_word(lang),
                ha="center",
                va="center",
                fontsize=10,
                color=_GREY,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 2},
            )
        else:
            known = [s or 0.0 for s in shares[:steps]]
            reach = max(reach, _diverging_bar(axes, g, known, colours))
        if side is not None:
            _outside_bar(side, g, shares[steps:], lang)
    limit = max(50.0, min(100.0, reach + 8))
    axes.set_xlim(-limit, limit)
    axes.axvline(0, color=_INK, linewidth=0.8)
    ticks = [t for t in (-100, -75, -50, -25, 0, 25, 50, 75, 100) if abs(t) <= limit]
    axes.set_xticks(ticks, [f"{abs(t)}" for t in ticks], fontsize=9)
    axes.set_yticks(range(len(names)), labels, fontsize=10)
    if table.is_split:
        axes.get_yticklabels()[-1].set_fontweight("bold")  # "all"
    axes.set_ylim(len(names) - 0.5, -0.5)
    axes.set_xlabel(_w("axis" if not table.is_split else "group_axis", lang), fontsize=10)
    axes.spines[["top", "right", "left"]].set_visible(False)
    axes.tick_params(axis="y", length=0)
    if side is not None:
        side.set_xlim(0, 100)
        side.set_ylim(len(names) - 0.5, -0.5)
        side.set_yticks([])
        side.set_xticks([0, 50, 100], ["0", "50", "100"], fontsize=9)
        side.set_title(_w("outside", lang), fontsize=9, color=_GREY)
        side.spines[["top", "right", "left"]].set_visible(False)
    # The steps in the first column of the legend, the answers outside the scale in the second.
    rows = max(steps, len(outside)) if outside else (steps + 1) // 2
    blank = Patch(visible=False)
    handles = [Patch(facecolor=colours[r]) for r in range(steps)]
    handles += [blank] * (rows - steps) if outside else []
    handles += [Patch(facecolor=_OUTSIDE[i % len(_OUTSIDE)]) for i in range(len(outside))]
    texts = [*legend[:steps], *([""] * (rows - steps) if outside else []), *legend[steps:]]
    figure.legend(
        handles,
        texts,
        loc="upper left",
        bbox_to_anchor=(0.03, 1 - (0.35 + 0.24 * _lines(title)) / height),
        ncol=2,
        fontsize=9,
        frameon=False,
        handlelength=1.2,
        columnspacing=1.5,
    )
    _head(figure, height, title)
    _foot(figure, height, notes)
    return figure


def _step_colours(steps: int) -> list[Colour]:
    """Blue for the favourable end, red for the other, pale in the middle."""
    palette = colormaps["RdBu"]
    if steps == 1:
        return [palette(0.85)]
    return [palette(0.9 - 0.8 * i / (steps - 1)) for i in range(steps)]


def _diverging_bar(axes: Axes, row: int, shares: list[float], colours: list[Colour]) -> float:
    """Steps left of zero (the first half), right of it (the second), a middle step across
    it; each labelled with its share where it fits. Returns how far the bar reaches."""
    steps = len(shares)
    half = steps // 2
    left = -sum(shares[:half]) - (shares[half] / 2 if steps % 2 else 0.0)
    start = left
    for share, colour in zip(shares, colours, strict=True):
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
                color="white" if dark else _INK,
            )
        start += share
    return max(-left, start)


def _outside_bar(axes: Axes, row: int, shares: list[float | None], language: str) -> None:
    """The answers outside the scale, stacked from 0, or "hidden" if any is."""
    if any(s is None for s in shares):
        axes.text(2, row, hidden_word(language), va="center", fontsize=10, color=_GREY)
        return
    start = 0.0
    for i, share in enumerate(s or 0.0 for s in shares):
        colour = _OUTSIDE[i % len(_OUTSIDE)]
        axes.barh(row, share, left=start, height=0.62, color=colour, edgecolor="white")
        if share >= 9:
            axes.text(start + share / 2, row, f"{share:.0f}", ha="center", va="center", fontsize=8)
        start += share
    axes.text(start + 2, row, f"{start:.0f}%", va="center", fontsize=9, color=_INK)


# --- a choice question overall: sorted bars -------------------------------------------------


def _bars(table: Table, ordered: bool) -> Figure:
    """Overall: a bar per choice, its share of those who answered, largest first."""
    lang = table.language
    title = _title(table)
    order = _order(table, ordered)
    labels = [_wrap(table.row_labels[r], 24) for r in order]
    lines = sum(_lines(label) for label in labels) or 1
    notes = _notes(table, [f"{_w('answered', lang)}: {_count(table.total, lang)}"])
    top = 0.4 + 0.24 * _lines(title)
    middle = 0.1 + 0.3 * lines + 0.12 * len(labels)
    bottom = 0.7 + 0.17 * sum(len(wrap_words(n, 95)) for n in notes)
    height = top + middle + bottom
    figure = _figure(height)
    axes = figure.add_axes((0.34, bottom / height, 0.6, middle / height))
    for y, r in enumerate(order):
        _bar(axes, y, table.row_totals[r], table.row_percent(r), lang)
    axes.set_yticks(range(len(labels)), labels, fontsize=10)
    axes.set_ylim(max(len(labels), 1) - 0.5, -0.5)
    axes.set_xlim(0, 118)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.tick_params(axis="x", labelsize=9)
    axes.tick_params(axis="y", length=0)
    axes.set_xlabel(_w("axis", lang), fontsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    if not table.row_ids:  # a number question: only how many answered
        axes.set_axis_off()
    _head(figure, height, title)
    _foot(figure, height, notes)
    return figure


def _count(count: PublishedCount, language: str) -> str:
    return hidden_word(language) if isinstance(count, Suppressed) else str(count)


def _bar(axes: Axes, row: int, count: PublishedCount, share: float | None, lang: str) -> None:
    """One choice: a filled bar with "37% (110)", a hatched stub with "hidden", or the count
    alone when its base is hidden."""
    if isinstance(count, Suppressed):
        axes.barh(row, 5, height=0.62, color="none", edgecolor=_HATCH, hatch="///", linewidth=0.8)
        axes.text(6.5, row, hidden_word(lang), va="center", fontsize=10, color=_GREY)
    elif share is None:
        axes.text(1, row, str(count), va="center", fontsize=10, color=_INK)
    else:
        axes.barh(row, share, height=0.62, color=_BLUE)
        axes.text(share + 1.5, row, f"{share:.0f}% ({count})", va="center", fontsize=10)


# --- a choice question split: a labelled grid -----------------------------------------------


def _grid(table: Table, ordered: bool) -> Figure:
    """Shares of each choice in each group; the longer list of names down the side."""
    lang = table.language
    names, sizes = _groups(table)
    groups = [(name, _size_label(size, lang)) for name, size in zip(names, sizes, strict=True)]
    order = _order(table, ordered)
    choices = [(table.row_labels[r], "") for r in order]
    groups_down = len(groups) > len(choices)
    down, across = (groups, choices) if groups_down else (choices, groups)
    width = max(6, min(16, 60 // max(1, len(across))))
    heads = [_named(name, size, width) for name, size in across]
    sides = [_named(name, size, 22) for name, size in down]
    title = _title(table)
    notes = _notes(table, [_w("group_axis", lang)])
    top = 0.4 + 0.24 * _lines(title) + 0.17 * max(_lines(h) for h in heads)
    middle = sum(max(0.42, 0.19 * _lines(s)) for s in sides)
    bottom = 0.3 + 0.17 * sum(len(wrap_words(n, 95)) for n in notes)
    height = top + middle + bottom
    figure = _figure(height)
    axes = figure.add_axes((0.3, bottom / height, 0.67, middle / height))
    size = 8 if len(across) > 6 else 9
    for d in range(len(down)):
        for a in range(len(across)):
            row, group = (order[a], d) if groups_down else (order[d], a)
            _grid_cell(axes, (a, d), *_value(table, row, group), lang, size)
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
    _head(figure, height, title)
    _foot(figure, height, notes)
    return figure


def _named(name: str, size: str, width: int) -> str:
    """A wrapped name, and under it the group's size if any ("n = 34", "n hidden")."""
    return _wrap(name, width) + (f"\n{size}" if size else "")


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
            edgecolor=_HATCH,
            hatch="///",
            linewidth=0.5,
        )
        text, colour = hidden_word(lang), "#555555"
    elif share is None:
        axes.barh(y, 0.94, height=0.94, left=left, color="#f0f0f0")
        text, colour = str(count), _INK
    else:
        strength = 0.1 + 0.8 * share / 100
        axes.barh(y, 0.94, height=0.94, left=left, color=_BLUE, alpha=strength)
        text, colour = f"{share:.0f}%", "white" if share > 70 else _INK
    axes.text(x, y, text, ha="center", va="center", fontsize=size, color=colour)
