"""Languages of a survey and the translations of its texts.

Owns which language codes a survey may list (any CLDR knows: sv, ar, fa_AF, bs, pl, ...), how
the admin is told about them, and the checks of one text across the survey's languages:
missing, empty, misspelt (`eng:` for `en`), unlisted and over-long translations.
"""

from __future__ import annotations

import difflib

from babel import Locale, UnknownLocaleError

from bot.survey.issues import Issue, Loc
from bot.survey.questions import MAX_LABEL_LENGTH, MAX_TEXT_LENGTH, SUPPORTED_LANGUAGES, Text

#: Names used in messages to the admin (other languages are named from CLDR, in English).
LANGUAGE_NAMES: dict[str, str] = {"sv": "Swedish", "en": "English"}


def is_language(code: str) -> bool:
    """Whether `code` names a language CLDR knows (sv, ar, fa_AF, bs, pl, ...): any such
    language can be added to a survey without code (docs/translation.md)."""
    try:
        Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


def language_name(lang: str) -> str:
    if lang in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[lang]
    try:
        return Locale.parse(lang.replace("-", "_")).get_display_name("en") or f"'{lang}'"
    except (UnknownLocaleError, ValueError):
        return f"'{lang}'"


def unsupported_language(index: int, lang: str) -> Issue:
    supported = ", ".join(SUPPORTED_LANGUAGES)
    close = difflib.get_close_matches(lang, SUPPORTED_LANGUAGES, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return Issue(
        ("languages", index),
        f"unknown language code '{lang}'",
        f"{hint}write an ISO 639 code such as {supported}, fa_AF (Dari), bs or pl",
    )


def text_issues(loc: Loc, text: Text, languages: tuple[str, ...] | None) -> list[Issue]:
    """Missing, empty, extra and over-long translations of one text.

    Only known languages are required (an unknown code is reported once, in `languages`); a
    text in any listed language is allowed. A key that is a misspelling of a listed language
    (`eng:` for `en`) is one issue at that key, "did you mean 'en'?", not also a missing
    translation.
    """
    if languages is None:
        return []
    what = str(loc[-1])
    limit = MAX_LABEL_LENGTH if what == "label" else MAX_TEXT_LENGTH
    issues: list[Issue] = []
    misspelt: dict[str, str] = {}
    for lang in text:
        if lang in languages:
            continue
        unwritten = [listed for listed in languages if listed not in text]
        close = difflib.get_close_matches(lang, unwritten or list(languages), n=1, cutoff=0.5)
        if close:
            misspelt[close[0]] = lang
            fix = f"did you mean '{close[0]}'? write '{close[0]}:'"
            if close[0] in text:
                fix = f"did you mean '{close[0]}'? it is written already: remove '{lang}:'"
        elif is_language(lang):
            fix = f"remove it, or add '{lang}' to languages"
        else:
            fix = f"remove it: '{lang}' is not a language code (e.g. sv, en, ar, pl)"
        issues.append(
            Issue(
                (*loc, lang),
                f"{what} in '{lang}', which is not listed in languages",
                fix,
                at_key=True,
            )
        )
    for lang in (lang for lang in languages if is_language(lang)):
        name = language_name(lang)
        value = text.get(lang)
        if value is None:
            if lang not in misspelt:
                issues.append(
                    Issue((*loc, lang), f"missing {name} {what}", f"add '{lang}: ...' under {what}")
                )
        elif not value.strip():
            issues.append(Issue((*loc, lang), f"empty {name} {what}", f"write the {name} {what}"))
        elif len(value.strip()) > limit:
            why = (
                "long button labels wrap badly on phones and Telegram cuts them"
                if what == "label"
                else "Telegram allows 4096 characters per message, including what the bot adds"
            )
            issues.append(
                Issue(
                    (*loc, lang),
                    f"{name} {what} is {len(value.strip())} characters, over the limit of {limit}",
                    f"shorten it; {why}",
                )
            )
    return issues
