"""Translating the survey: texts out to PO catalogs for translators, back into the survey file,
and which translations are stale (their source text changed since they were made).

The source language is the survey's first language. Every text has a stable path built from
ids (`title`, `questions.area.text`, `questions.area.choices.centrum.label`). What a
translation was made from is kept in a record beside the survey file
(`questions.translations.yaml`: language -> path -> fingerprint of the source text), written by
`import_catalog` and `confirm`.

What must hold:
- `export_catalog` then `import_catalog` of an unchanged catalog changes nothing;
- a translation is stale exactly when the source text's fingerprint differs from the recorded
  one; one never recorded is "unconfirmed", not stale;
- importing writes the file through ruamel's round-trip loader, so comments and layout stay;
  only non-fuzzy, non-empty translations are taken.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from bot.survey.model import Survey
from bot.survey.questions import SURVEY_TEXT_FIELDS, Text


def record_path(survey_path: Path) -> Path:
    """Where the record of translated source texts lives, beside the survey file."""
    return survey_path.with_name(f"{survey_path.stem}.translations.yaml")


def fingerprint(text: str) -> str:
    """A short, stable fingerprint of a source text (whitespace at the ends ignored)."""
    return hashlib.sha256(text.strip().encode()).hexdigest()[:10]


def text_paths(survey: Survey) -> dict[str, Text]:
    """Every translatable text of the survey by its stable path, in survey order."""
    paths: dict[str, Text] = {name: getattr(survey, name) for name in SURVEY_TEXT_FIELDS}
    for question in survey.declared_questions:
        paths[f"questions.{question.id}.text"] = question.text
        if question.help:
            paths[f"questions.{question.id}.help"] = question.help
        for choice in getattr(question, "choices", ()):
            paths[f"questions.{question.id}.choices.{choice.id}.label"] = choice.label
    for indicator in survey.indicators:
        paths[f"indicators.{indicator.id}.label"] = indicator.label
    for source in survey.sources:
        paths[f"sources.{source.id}.label"] = source.label
    return paths


@dataclass
class LanguageStatus:
    """How one language's translations stand against the source."""

    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)


Record = dict[str, dict[str, str]]


def read_record(survey_path: Path) -> Record:
    """The record beside the survey file (empty when there is none)."""
    path = record_path(survey_path)
    if not path.exists():
        return {}
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    return {str(lang): {str(k): str(v) for k, v in (m or {}).items()} for lang, m in data.items()}


def write_record(survey_path: Path, record: Record) -> None:
    yaml = YAML()
    buffer = io.StringIO()
    buffer.write(
        "# What each translation was made from: language -> text path -> fingerprint of the\n"
        "# source text. Written by `survey-bot translations import/confirm`; do not edit.\n"
    )
    yaml.dump({lang: dict(sorted(paths.items())) for lang, paths in sorted(record.items())}, buffer)
    record_path(survey_path).write_text(buffer.getvalue(), encoding="utf-8")


def status(survey: Survey, record: Record) -> dict[str, LanguageStatus]:
    """Missing, stale and unconfirmed translations per language (the source excluded)."""
    source = survey.default_language
    result: dict[str, LanguageStatus] = {}
    for language in survey.languages[1:]:
        state = result.setdefault(language, LanguageStatus())
        made_from = record.get(language, {})
        for path, text in text_paths(survey).items():
            if not text.get(language, "").strip():
                state.missing.append(path)
            elif path not in made_from:
                state.unconfirmed.append(path)
            elif made_from[path] != fingerprint(text[source]):
                state.stale.append(path)
    return result


def confirm(survey: Survey, record: Record, language: str) -> Record:
    """`record` with every present translation in `language` marked as made from the current
    source (after a translator checked them by hand)."""
    source = survey.default_language
    confirmed = {
        path: fingerprint(text[source])
        for path, text in text_paths(survey).items()
        if text.get(language, "").strip()
    }
    return {**record, language: confirmed}


def export_catalog(survey: Survey, language: str, record: Record) -> Catalog:
    """A PO catalog of the survey's texts for translating into `language`: msgctxt is the
    path, msgid the source text, msgstr the current translation; stale ones are fuzzy."""
    source = survey.default_language
    catalog = Catalog(locale=language.replace("-", "_"), project=survey.id, fuzzy=False)
    stale = set(status(survey, record).get(language, LanguageStatus()).stale)
    for path, text in text_paths(survey).items():
        comments = [f"{lang}: {text[lang]}" for lang in ("en",) if lang in text and lang != source]
        flags = ("fuzzy",) if path in stale else ()
        catalog.add(
            text[source],
            text.get(language, ""),
            context=path,
            auto_comments=comments,
            flags=flags,
        )
    return catalog


def import_catalog(survey_path: Path, catalog: Catalog, language: str) -> tuple[int, Record]:
    """Write the catalog's finished translations into the survey file (adding `language` to
    `languages` and `drafts` if new) and record what they were made from. Returns how many
    texts were written and the new record."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load(survey_path.read_text(encoding="utf-8"))
    if language not in data["languages"]:
        data["languages"].append(language)
        drafts = data.setdefault("drafts", CommentedSeq())
        drafts.fa.set_flow_style()
        if language not in drafts:
            drafts.append(language)
    record = read_record(survey_path)
    made_from = dict(record.get(language, {}))
    written = 0
    for message in catalog:
        if not message.id or not message.context or message.fuzzy:
            continue
        value = message.string if isinstance(message.string, str) else ""
        node = _text_node(data, message.context)
        if node is None or not value.strip():
            continue
        node[language] = (
            LiteralScalarString(value) if "\n" in value else DoubleQuotedScalarString(value)
        )
        made_from[message.context] = fingerprint(str(message.id))
        written += 1
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    survey_path.write_text(buffer.getvalue(), encoding="utf-8")
    record = {**record, language: made_from}
    write_record(survey_path, record)
    return written, record


def _text_node(data: Any, path: str) -> Any:
    """The mapping of translations at `path` in the YAML tree, or None."""
    parts = path.split(".")
    if len(parts) == 1:
        return data.get(parts[0])
    if parts[0] in ("indicators", "sources") and len(parts) == 3 and parts[2] == "label":
        item = _by_id(data.get(parts[0], ()), parts[1])
        return item.get("label") if item is not None else None
    if parts[0] != "questions" or len(parts) < 3:
        return None
    question = _by_id(data.get("questions", ()), parts[1])
    if question is None:
        return None
    if parts[2] in ("text", "help") and len(parts) == 3:
        return question.get(parts[2])
    if parts[2] == "choices" and len(parts) == 5 and parts[4] == "label":
        choice = _by_id(question.get("choices", ()), parts[3])
        return choice.get("label") if choice is not None else None
    return None


def _by_id(items: Any, wanted: str) -> Any:
    found: Iterator[Any] = (item for item in items if item.get("id") == wanted)
    return next(found, None)
