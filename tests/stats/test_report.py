"""The lägesbild report: its PDF shows exactly the figures of its JSON, and never free text.

Built on 300 realistic responses of the shipped survey (`benchmarks.realistic`) with the
example 2022 round; the PDF's text comes from `pdftotext` (Debian's poppler-utils).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from benchmarks.answers import shipped_survey
from benchmarks.example_report import example_report
from bot.stats.document import WORDS, count, percent, report_html, report_pdf
from bot.stats.report import Report, report_json
from tests.tools import require_command


@pytest.fixture(scope="module")
def report() -> Report:
    return asyncio.run(example_report(shipped_survey(), 300))


@pytest.fixture(scope="module")
def pdf_text(report: Report, tmp_path_factory: pytest.TempPathFactory) -> str:
    require_command("pdftotext", "poppler-utils")
    folder = tmp_path_factory.mktemp("report")
    pdf = folder / "report.pdf"
    pdf.write_bytes(report_pdf(report))
    subprocess.run(["pdftotext", "-layout", str(pdf), str(folder / "r.txt")], check=True)
    return (folder / "r.txt").read_text(encoding="utf-8")


def _json_percents(data: Any) -> set[str]:
    """Every share in the JSON, formatted as the document formats it."""
    found: set[str] = set()
    for question in data["questions"]:
        for table in (question["overall"], *question["splits"]):
            for row in table["rows"]:
                values = [row["percent"], *(row["percents"] or {}).values()]
                found |= {percent(v / 100, "sv") for v in values if v is not None}
    for indicator in data["indicators"]:
        for figure in (indicator["now"], *indicator["earlier"]):
            if figure and indicator["kind"] == "share":
                found.add(percent(figure["value"], "sv"))
    return found


def test_every_percentage_in_the_pdf_is_a_figure_of_the_json(report: Report, pdf_text: str) -> None:
    allowed = _json_percents(report_json(report))
    flat = re.sub(r"\s+", " ", pdf_text).replace(WORDS["sv"]["multi_note"], "")
    shown = {f"{m} %" for m in re.findall(r"(?<![\d,])(\d{1,3}) %(?!-)", flat)}
    assert shown, "no percentages found in the PDF text"
    assert shown <= allowed, shown - allowed


def test_every_indicator_and_overall_figure_of_the_json_is_in_the_pdf(
    report: Report, pdf_text: str
) -> None:
    data = report_json(report)
    flat = re.sub(r"\s+", " ", pdf_text)
    for indicator in data["indicators"]:
        now = indicator["now"]
        if now is None:  # a count it needs is hidden: the row says so
            assert re.search(re.escape(indicator["label"][:30]) + r".*?dolt", flat)
            continue
        if indicator["kind"] == "share":
            assert percent(now["value"], "sv") in flat
            low, high = now["interval"]
            assert f"({round(low * 100)}–{round(high * 100)})" in flat
            assert f"n={count(now['base'], 'sv')}" in flat
        else:
            assert f"{now['value']:.1f}".replace(".", ",") in flat
        for change in indicator["changes"]:
            assert change["since"] in flat
    for question in data["questions"]:
        overall = question["overall"]
        assert count(overall["total"], "sv") in flat, overall["question"]
        for row in overall["rows"]:
            if row["percent"] is not None:
                assert percent(row["percent"] / 100, "sv") in flat


def test_the_report_says_how_to_read_a_self_selected_sample(pdf_text: str) -> None:
    flat = re.sub(r"\s+", " ", pdf_text)
    assert "inte ett slumpmässigt urval" in flat
    assert "inte en felmarginal" in flat
    assert "Fritextsvar ingår aldrig" in flat


def test_no_free_text_reaches_the_report(report: Report) -> None:
    survey = report.survey
    text_questions = [q.id for q in survey.questions if q.kind == "text"]
    assert text_questions
    html = report_html(report)
    assert all(f"<h2>{q}" not in html for q in text_questions)
    assert all(s.overall.kind != "text" for s in report.questions)


def test_english_on_request(report: Report) -> None:
    english = Report(**{**report.__dict__, "language": "en"})
    html = report_html(english)
    assert WORDS["en"]["self_selected"] in html.replace("&#39;", "'")
    assert "Antal svarande" not in html


def test_the_example_in_docs_is_a_pdf() -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "example-report.pdf"
    assert example.read_bytes()[:5] == b"%PDF-"
