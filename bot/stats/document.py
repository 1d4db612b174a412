"""The lägesbild report as a document: HTML from one template, and PDF from that HTML.

`report_html(report)` renders `templates/report.html` (Jinja2, autoescaped) with the charts
embedded; `report_pdf(report)` prints that HTML to A4 with WeasyPrint (no browser needed). The
words are Swedish or English (`WORDS`); numbers are formatted by `percent` and `count` only, so a
test can find every figure of `bot.stats.report.report_json` in the PDF's text.

What must hold: the document shows only what the report holds (published tables, indicators,
earlier rounds, weighting) and says how to read it: a self-selected sample, intervals that are
not a margin of error, what is hidden and why. No free text, ever.
"""

from __future__ import annotations

import base64
import io
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from ruamel.yaml import YAML

from bot.stats.intervals import Interval
from bot.stats.lagesbild import Figure, IndicatorResult
from bot.stats.report import QuestionSection, Report
from bot.stats.tables import PublishedCount, Table
from bot.survey.model import Survey

#: The report's words per language, from templates/report_words.yaml.
WORDS: dict[str, dict[str, str]] = YAML(typ="safe").load(
    resources.files("bot.stats").joinpath("templates/report_words.yaml").read_text("utf-8")
)


def percent(value: float, language: str, *, signed: bool = False) -> str:
    """A share (0..1) as a whole percent, or percentage points with `signed`."""
    number = round(value * 100)
    sign = "+" if signed and number > 0 else ("−" if number < 0 else "")
    unit = (
        (" %-enh." if language == "sv" else " pts")
        if signed
        else (" %" if language == "sv" else "%")
    )
    return f"{sign}{abs(number)}{unit}"


def count(value: PublishedCount, language: str) -> str:
    if not isinstance(value, int):
        return WORDS[language]["hidden"]
    return f"{value:,}".replace(",", "\u00a0" if language == "sv" else ",")


def interval(value: Interval | None, language: str) -> str:
    if value is None:
        return ""
    return f"({round(value.low * 100)}–{round(value.high * 100)})"


def report_html(report: Report) -> str:
    language = report.language if report.language in WORDS else "sv"
    environment = Environment(
        loader=PackageLoader("bot.stats", "templates"), autoescape=select_autoescape(["html"])
    )
    return environment.get_template("report.html").render(**_context(report, language))


def report_pdf(report: Report) -> bytes:
    from weasyprint import HTML  # a second or two to import: only when a PDF is made

    return bytes(HTML(string=report_html(report)).write_pdf())


def _context(report: Report, language: str) -> dict[str, Any]:
    w = WORDS[language]
    h = report.headline
    first = h.first_day.isoformat() if h.first_day else "–"
    last = h.last_day.isoformat() if h.last_day else "–"
    responses = count(h.responses, language)
    name = report.survey.title.get(language) or report.survey.title[report.survey.default_language]
    with ThreadPoolExecutor(max_workers=2) as pool:
        tables = [s.overall for s in report.questions]
        charts = list(pool.map(_chart_svg, tables, [report.survey] * len(tables)))
    k = report.survey.min_group_size
    words = {**w, "split_note": w["split_note"].format(k=k)}
    return {
        "lang": language,
        "w": words,
        "title": w["title"].format(name=name),
        "generated": report.generated.isoformat(),
        "facts": w["facts"].format(n=responses, first=first, last=last),
        "rounds": [r.label for r in report.rounds],
        "indicators": [_indicator(i, report, language) for i in report.indicators],
        "weighting": _weighting(report, language),
        "questions": [
            _question(section, png, language, k)
            for section, png in zip(report.questions, charts, strict=True)
        ],
        "method": _method(report, language, responses, first, last),
    }


def _chart_svg(table: Table, survey: Survey) -> bytes:
    """The table's chart as SVG: vector graphics keep the PDF small and sharp in print."""
    # matplotlib takes a second to import: only when a chart is drawn, not in every command
    # (`survey-bot run` imports this module for the staff's /report)
    from bot.stats.charts import chart_figure

    buffer = io.BytesIO()
    chart_figure(table, survey).savefig(buffer, format="svg")
    return buffer.getvalue()


def _figure(figure: Figure | None, kind: str, language: str) -> str:
    if figure is None:
        return WORDS[language]["hidden_indicator"]
    if kind == "index":
        return f"{figure.value:.1f}".replace(".", "," if language == "sv" else ".")
    return percent(figure.value, language)


def _indicator(result: IndicatorResult, report: Report, language: str) -> dict[str, Any]:
    by_round = {f.round: f for f in result.earlier}
    detail = ""
    if result.now is not None and result.now.interval is not None:
        detail = (
            f"{interval(result.now.interval, language)} n={count(result.now.base or 0, language)}"
        )
    changes = []
    for change in result.changes:
        if result.kind == "index":
            text = f"{change.difference:+.1f}".replace("-", "−")
            text = text.replace(".", "," if language == "sv" else ".")
        else:
            points = percent(change.difference, language, signed=True)
            text = f"{points} {interval(change.interval, language)}"
        changes.append(f"{change.since}: {text}")
    return {
        "label": result.label,
        "now": _figure(result.now, result.kind, language),
        "now_detail": detail,
        "earlier": [
            _figure(by_round[r.label], result.kind, language)
            if r.label in by_round
            else WORDS[language]["not_asked"]
            for r in report.rounds
        ],
        "changes": changes,
    }


def _weighting(report: Report, language: str) -> dict[str, Any] | None:
    weighting = report.weighting
    if weighting is None:
        return None
    w = WORDS[language]
    labels = {i.id: i.label for i in report.indicators}
    collapsed = ""
    if weighting.raking.collapsed:
        collapsed = w["collapsed"].format(groups="; ".join(weighting.raking.collapsed))
    note = w["weighting_note"].format(
        source=weighting.source,
        effective=count(round(weighting.raking.effective_n), language),
        n=count(len(weighting.raking.weights), language),
        collapsed=collapsed,
    )
    rows = [
        {
            "label": labels.get(i.id, i.id),
            "unweighted": percent(i.unweighted, language),
            "weighted": percent(i.weighted, language),
        }
        for i in weighting.indicators
    ]
    return {"rows": rows, "note": note}


def _question(section: QuestionSection, png: bytes, language: str, k: int) -> dict[str, Any]:
    """One question's page: the chart, then a crosstab of shares: everyone, then each group."""
    w = WORDS[language]
    overall = section.overall
    rows = [
        _row(
            w["all"],
            overall.total,
            [overall.row_percent(r) for r in range(len(overall.row_ids))],
            "all",
            language,
        )
    ]
    for split in section.splits:
        for c, label in enumerate(split.column_labels or ()):
            css = "group" if c == 0 else ""
            shares = [split.percent(r, c) for r in range(len(split.row_ids))]
            rows.append(_row(label, split.column_totals[c], shares, css, language))
    note = w["multi_note"] if overall.kind == "multi" else ""
    if section.splits:
        note = (note + " " + w["split_note"].format(k=k)).strip()
    return {
        "title": overall.title,
        "chart": base64.b64encode(png).decode(),
        "choices": list(overall.row_labels),
        "rows": rows,
        "note": note,
    }


def _row(
    label: str, n: PublishedCount, shares: list[float | None], css: str, language: str
) -> dict[str, Any]:
    hidden = WORDS[language]["hidden"]
    cells = [
        {"text": hidden, "css": "hidden"}
        if s is None
        else {"text": percent(s / 100, language), "css": ""}
        for s in shares
    ]
    return {"label": label, "n": count(n, language), "cells": cells, "css": css}


def _method(report: Report, language: str, responses: str, first: str, last: str) -> list[str]:
    w = WORDS[language]
    k = report.survey.min_group_size
    paragraphs = [
        w["method_who"].format(n=responses, first=first, last=last),
        w["self_selected"],
        w["method_hidden"].format(k=k),
        w["method_rounds"].format(rounds=", ".join(r.label for r in report.rounds))
        if report.rounds
        else w["method_no_rounds"],
    ]
    if report.weighting is None:
        paragraphs.append(w["method_weighting"])
    return paragraphs
