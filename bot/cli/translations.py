"""`survey-bot translations export|import|confirm`: the survey's texts out to PO catalogs for
translators and back, and the per-language status `validate` prints.

What must hold: export and import name the file they wrote and what they did in one line each;
a broken PO file or survey ends in one clear line (`CliError`), never a traceback.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from babel.messages.pofile import PoFileError, read_po, write_po

from bot.cli.bootstrap import CliError, load_survey_or_fail
from bot.config import load_settings
from bot.survey.loader import SurveyError, load_survey
from bot.survey.model import Survey
from bot.survey.translations import (
    confirm,
    export_catalog,
    import_catalog,
    read_record,
    record_path,
    status,
    write_record,
)


def add_translation_commands(sub: Any) -> None:
    """Register `translations export|import|confirm` on the `survey-bot` parser."""
    parser = sub.add_parser("translations", help="survey texts to and from PO files")
    verbs = parser.add_subparsers(dest="verb", required=True)
    export = verbs.add_parser("export", help="write a PO file for translating one language")
    export.add_argument("--language", required=True, help="e.g. ar, fa_AF (Dari), bs, pl")
    export.add_argument("--out", required=True, help="the .po file to write")
    export.add_argument("--survey", default=None, help="survey file (default: SURVEYBOT_SURVEY)")
    export.set_defaults(func=_export)
    imported = verbs.add_parser("import", help="put a translated PO file into the survey")
    imported.add_argument("po", help="the translated .po file")
    imported.add_argument("--language", required=True)
    imported.add_argument("--survey", default=None)
    imported.set_defaults(func=_import)
    confirmed = verbs.add_parser(
        "confirm", help="mark a language's translations as checked against the current source"
    )
    confirmed.add_argument("--language", required=True)
    confirmed.add_argument("--survey", default=None)
    confirmed.set_defaults(func=_confirm)


def status_lines(survey: Survey, path: Path) -> list[str]:
    """One line per translated language: complete, or how many are stale/unconfirmed."""
    lines = []
    for language, state in status(survey, read_record(path)).items():
        parts = []
        if state.missing:
            parts.append(f"{len(state.missing)} missing")
        if state.stale:
            shown = ", ".join(state.stale[:3]) + (" ..." if len(state.stale) > 3 else "")
            parts.append(f"{len(state.stale)} stale (source changed since translated): {shown}")
        if state.unconfirmed:
            parts.append(f"{len(state.unconfirmed)} not confirmed against the source")
        lines.append(f"  {language:<11} {'; '.join(parts) if parts else 'up to date'}")
    if lines:
        lines.insert(0, f"  Translations (record: {record_path(path).name})")
    return lines


def missing_by_language(err: SurveyError) -> list[str]:
    """For a survey that failed: how many texts each language lacks (paths end in the
    language code), so an admin adding a language sees how far along it is."""
    counts: dict[str, int] = {}
    for problem in err.problems:
        if problem.message.startswith(("missing ", "empty ")) and "." in problem.path:
            language = problem.path.rsplit(".", 1)[1]
            counts[language] = counts.get(language, 0) + 1
    return [f"  {lang}: {n} text(s) missing or empty" for lang, n in sorted(counts.items())]


def _survey_path(args: argparse.Namespace) -> Path:
    return Path(args.survey) if args.survey else load_settings().survey


def _export(args: argparse.Namespace) -> int:
    path = _survey_path(args)
    survey = load_survey_or_fail(path)
    catalog = export_catalog(survey, args.language, read_record(path))
    with Path(args.out).open("wb") as stream:
        write_po(stream, catalog, width=100, include_previous=False)
    print(f"{args.out}: {len(catalog)} texts from {path} for '{args.language}'")
    return 0


def _import(args: argparse.Namespace) -> int:
    path = _survey_path(args)
    try:
        with Path(args.po).open("rb") as stream:
            catalog = read_po(stream, abort_invalid=True)
    except (OSError, PoFileError) as err:
        raise CliError(f"cannot read {args.po}: {err}") from err
    written, _ = import_catalog(path, catalog, args.language)
    print(f"{path}: {written} '{args.language}' texts written; record: {record_path(path)}")
    try:
        load_survey(path)
    except SurveyError as err:
        print(f"{path}: not valid yet ({len(err.problems)} problem(s)); run survey-bot validate")
        return 1
    return 0


def _confirm(args: argparse.Namespace) -> int:
    path = _survey_path(args)
    survey = load_survey_or_fail(path)
    if args.language not in survey.languages[1:]:
        raise CliError(f"'{args.language}' is not a translated language of {path}")
    write_record(path, confirm(survey, read_record(path), args.language))
    print(f"{record_path(path)}: every '{args.language}' text confirmed against the source")
    return 0
