"""The bot's own words: every catalog complete and not fuzzy, compiled catalogs current,
Arabic's six plural forms, extraction finding every message, command menus within Telegram's
rules, and no resident-visible word that bypasses the catalogs."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.conversation import texts
from bot.conversation.direction import unmarked
from bot.conversation.texts import COMMANDS, STAFF_COMMANDS, messages, t
from bot.survey.questions import SUPPORTED_LANGUAGES

TRANSLATED = [lang for lang in texts.catalog_languages() if lang != texts.SOURCE_LANGUAGE]
FIELD = re.compile(r"\{(\w+)\}")


def _catalog(language: str):  # type: ignore[no-untyped-def]
    path = texts.LOCALE_DIR / language / "LC_MESSAGES" / "bot.po"
    with path.open("rb") as stream:
        return read_po(stream, locale=language)


def test_every_shipped_language_has_a_catalog() -> None:
    assert set(SUPPORTED_LANGUAGES) <= set(texts.catalog_languages())


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_catalog_has_every_message_translated_and_none_fuzzy(language: str) -> None:
    catalog = _catalog(language)
    assert not catalog.fuzzy, "the catalog header is marked fuzzy"
    problems = []
    for message in messages():
        msgid = message.text if message.plural is None else (message.text, message.plural)
        entry = catalog.get(msgid, context=message.key)
        if entry is None:
            problems.append(f"{message.key}: missing")
            continue
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy:
            problems.append(f"{message.key}: fuzzy")
        if not all(form.strip() for form in forms):
            problems.append(f"{message.key}: untranslated")
        allowed = set(FIELD.findall(message.text + (message.plural or "")))
        for form in forms:
            if not set(FIELD.findall(form)) <= allowed:
                problems.append(f"{message.key}: unknown placeholder in {form!r}")
    assert problems == []
    assert not catalog.obsolete


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_compiled_catalog_matches_its_po(language: str) -> None:
    folder = texts.LOCALE_DIR / language / "LC_MESSAGES"
    buffer = io.BytesIO()
    write_mo(buffer, _catalog(language))
    buffer.seek(0)
    fresh = gettext.GNUTranslations(buffer)
    with (folder / "bot.mo").open("rb") as stream:
        shipped = gettext.GNUTranslations(stream)
    for message in messages():
        if message.plural is None:
            args: tuple[str, ...] = (message.key, message.text)
            assert shipped.pgettext(*args) == fresh.pgettext(*args), message.key
        else:
            for n in range(0, 120):
                got = shipped.npgettext(message.key, message.text, message.plural, n)
                assert got == fresh.npgettext(message.key, message.text, message.plural, n)


def test_arabic_has_six_plural_forms_and_uses_them() -> None:
    assert _catalog("ar").num_plurals == 6
    forms = {n: unmarked(t("pick_max", "ar", high=n)) for n in (0, 1, 2, 3, 11, 100)}
    assert len(set(forms.values())) == 6
    assert "خيارين" in forms[2] and "3 خيارات" in forms[3] and "11 خيارًا" in forms[11]


def test_swedish_plural_forms() -> None:
    assert t("pick_max", "sv", high=1) == "Välj ett alternativ och tryck sedan på Klar."
    assert t("pick_max", "sv", high=3) == "Välj högst 3 alternativ och tryck sedan på Klar."


def test_extraction_finds_every_message_and_the_template_is_current() -> None:
    keywords = {"N_": ((1, "c"), 2), "NP_": ((1, "c"), 2, 3)}
    found = {
        (context, msgid if isinstance(msgid, str) else msgid[0])
        for _, msgid, _, context in extract_from_file(
            "python", texts.__file__, keywords=keywords, comment_tags=()
        )
    }
    assert found == {(m.key, m.text) for m in messages()}
    with (texts.LOCALE_DIR / "bot.pot").open("rb") as stream:
        template = read_po(stream)
    in_template = {
        (m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in template if m.id
    }
    assert in_template == found, "run the extract/update/compile steps in docs/translation.md"


def test_command_menus_follow_telegrams_rules() -> None:
    for name in (*COMMANDS, *STAFF_COMMANDS):
        assert re.fullmatch(r"[a-z0-9_]{1,32}", name)
        for language in SUPPORTED_LANGUAGES:
            assert 1 <= len(t(f"cmd.{name}", language)) <= 256


def test_an_unknown_language_falls_back_to_english() -> None:
    assert t("back", "fi") == t("back", "en") == "◀️ Back"


def test_a_po_without_mo_is_compiled_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An admin's new language needs only a .po file (docs/translation.md)."""
    folder = tmp_path / "pl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    folder.joinpath("bot.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgctxt "back"\nmsgid "◀️ Back"\nmsgstr "◀️ Wstecz"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(texts, "LOCALE_DIR", tmp_path)
    texts.translations.cache_clear()
    try:
        assert t("back", "pl") == "◀️ Wstecz"
        assert t("skip", "pl") == "Skip ⏭"  # missing: English
    finally:
        texts.translations.cache_clear()


def test_swedish_help_says_nodlage_like_the_survey() -> None:
    assert "Vid nödläge: ring 112." in t("help", "sv")
    assert "nödsituation" not in t("help", "sv")
