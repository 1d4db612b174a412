"""The survey's translation workflow: export to PO, import back, stale and missing reports,
and adding a language (Polish here) without code."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from bot.cli.main import main
from bot.survey.loader import load_survey
from bot.survey.translations import (
    export_catalog,
    import_catalog,
    read_record,
    status,
    text_paths,
)

SHIPPED = Path("surveys/questions.yaml")


@pytest.fixture
def survey_file(tmp_path: Path) -> Path:
    path = tmp_path / "questions.yaml"
    shutil.copy(SHIPPED, path)
    shutil.copy(SHIPPED.with_name("questions.translations.yaml"), tmp_path)
    return path


def test_the_shipped_translations_are_all_confirmed_and_current() -> None:
    survey = load_survey(SHIPPED)
    report = status(survey, read_record(SHIPPED))
    assert set(report) == {"en", "ar", "fa", "so", "ti"}
    assert all(not (s.missing or s.stale or s.unconfirmed) for s in report.values())


def test_export_then_import_changes_nothing(survey_file: Path) -> None:
    survey = load_survey(survey_file)
    before = survey_file.read_text(encoding="utf-8")
    catalog = export_catalog(survey, "ar", read_record(survey_file))
    assert len(catalog) == len(text_paths(survey))
    buffer = io.BytesIO()
    write_po(buffer, catalog)
    buffer.seek(0)
    written, _ = import_catalog(survey_file, read_po(buffer), "ar")
    assert written == len(text_paths(survey))
    assert survey_file.read_text(encoding="utf-8") == before


def test_a_changed_source_text_makes_each_translation_stale(survey_file: Path) -> None:
    text = survey_file.read_text(encoding="utf-8")
    changed = text.replace('sv: "Hur gammal är du?"', 'sv: "Hur gammal är du i dag?"')
    survey_file.write_text(changed, encoding="utf-8")
    survey = load_survey(survey_file)
    report = status(survey, read_record(survey_file))
    assert {lang: s.stale for lang, s in report.items()} == {
        lang: ["questions.age.text"] for lang in ("en", "ar", "fa", "so", "ti")
    }
    catalog = export_catalog(survey, "fa", read_record(survey_file))
    stale = catalog.get("Hur gammal är du i dag?", context="questions.age.text")
    assert stale is not None and stale.fuzzy, "a stale translation is exported as fuzzy"


def test_validate_reports_stale_translations_per_language(
    survey_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = survey_file.read_text(encoding="utf-8")
    survey_file.write_text(text.replace("Vilket kön har du?", "Vilket kön har du nu?"), "utf-8")
    assert main(["validate", str(survey_file)]) == 0
    out = capsys.readouterr().out
    assert "  ar          1 stale (source changed since translated): questions.gender.text" in out
    assert "DRAFT       en, ar, fa, so, ti" in out


def test_an_admin_adds_polish_through_a_po_file(
    survey_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    po = tmp_path / "pl.po"
    assert (
        main(
            [
                "translations",
                "export",
                "--language",
                "pl",
                "--out",
                str(po),
                "--survey",
                str(survey_file),
            ]
        )
        == 0
    )
    with po.open("rb") as stream:
        catalog = read_po(stream)
    for message in list(catalog)[1:]:
        if message.context != "title":
            message.string = f"PL {message.id}"
    with po.open("wb") as stream:
        write_po(stream, catalog)
    # Every text but the title: the survey is not valid yet, and validate says how far along.
    assert (
        main(["translations", "import", str(po), "--language", "pl", "--survey", str(survey_file)])
        == 1
    )
    assert main(["validate", str(survey_file)]) == 1
    assert "  pl: 1 text(s) missing or empty" in capsys.readouterr().err
    catalog.get("Trygghetsenkät Halmstad", context="title").string = "Ankieta"  # type: ignore[union-attr]
    with po.open("wb") as stream:
        write_po(stream, catalog)
    assert (
        main(["translations", "import", str(po), "--language", "pl", "--survey", str(survey_file)])
        == 0
    )
    survey = load_survey(survey_file)
    assert survey.languages[-1] == "pl" and "pl" in survey.drafts
    assert survey.title["pl"] == "Ankieta"
    assert survey.question("age").text["pl"] == "PL Hur gammal är du?"  # type: ignore[union-attr]
    assert not status(survey, read_record(survey_file))["pl"].stale
