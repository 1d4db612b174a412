"""Pydantic's validation errors of a survey, put into plain words for the admin.

Owns `explain(error, data)`: one pydantic error of `Survey.model_validate(data)` as the `Issue`s
(path, message, fix) it stands for; none when the error only repeats another one.

What must hold:
- paths carry no pydantic internals: the tag pydantic inserts for the `kind` union
  (`questions[4].single.choices`) is removed, and a bad mapping key points at the key;
- an unknown key gets "did you mean ..." from the keys allowed for that object (the survey,
  the question's kind, a choice), or "only for kind X" when another kind of question has it;
- an unknown key is reported at its own line even when pydantic never looked at it: a question
  whose `kind` is missing or unknown is not validated field by field, so its keys (and its
  choices' keys) are checked here against every kind's keys; a misspelt `kind` (`kindx:`) is
  reported as that unknown key with "did you mean 'kind'?", not as a missing `kind`;
- a list "too short after validation" only because some of its items are broken is dropped:
  those items have their own errors.
"""

from __future__ import annotations

import difflib
from datetime import date
from typing import Any

from pydantic_core import ErrorDetails

from bot.survey.issues import Issue, Loc
from bot.survey.model import Survey
from bot.survey.questions import ID_PATTERN, QUESTION_KINDS, SUPPORTED_LANGUAGES, Choice
from bot.survey.releases import Releases

_KINDS = ", ".join(QUESTION_KINDS)
_TEXT_FIELDS = {"title", "intro", "privacy", "thanks", "text", "help", "label"}
_ID_RULE = (
    "ids use lowercase letters a-z, digits and _, start with a letter and have at most "
    "24 characters (they travel in Telegram's button data)"
)
_MISSING_FIXES = {
    "id": "add 'id: ...' (lowercase letters, digits and _)",
    "kind": f"add 'kind: ...', one of: {_KINDS}",
    "languages": "add 'languages: [sv, en]' (the first one is the default)",
    "choices": "add 'choices:' with at least two entries '- id: ...' each with a label",
    "questions": "add 'questions:' with at least one question",
}
_ABSENT = object()


def explain(error: ErrorDetails, data: dict[str, Any]) -> list[Issue]:
    """`error` from validating `data` (the survey as plain values) in the admin's words."""
    kind = error["type"]
    if kind not in ("union_tag_not_found", "union_tag_invalid"):
        issue = _explain_one(error, data)
        return [] if issue is None else [issue]
    loc = tuple(error["loc"])
    unknown = _untagged_keys(loc, data)
    misspelt_kind = any(issue.fix.startswith("did you mean 'kind'") for issue in unknown)
    if kind == "union_tag_not_found" and misspelt_kind:
        return unknown
    issue = _explain_one(error, data)
    return ([] if issue is None else [issue]) + unknown


def _untagged_keys(loc: Loc, data: dict[str, Any]) -> list[Issue]:
    """Unknown keys of a question without a valid `kind`, and of its choices."""
    raw = _at(data, loc)
    if not isinstance(raw, dict):
        return []
    allowed = list(
        dict.fromkeys(f for model in QUESTION_KINDS.values() for f in model.model_fields)
    )
    issues = [
        _unknown(loc, str(key), allowed, "a question") for key in raw if str(key) not in allowed
    ]
    choices = raw.get("choices")
    for number, choice in enumerate(choices if isinstance(choices, list) else []):
        if isinstance(choice, dict):
            own = list(Choice.model_fields)
            issues += [
                _unknown((*loc, "choices", number), str(key), own, "a choice")
                for key in choice
                if str(key) not in own
            ]
    return issues


def _unknown(owner: Loc, key: str, allowed: list[str], what: str) -> Issue:
    hint = _did_you_mean(key, allowed)
    fix = hint.rstrip() if hint else f"remove it; {what} takes: {', '.join(allowed)}"
    return Issue((*owner, key), f"unknown key '{key}' in {what}", fix, at_key=True)


def _explain_one(error: ErrorDetails, data: dict[str, Any]) -> Issue | None:
    loc = _strip_tag(tuple(error["loc"]), data)
    at_key = bool(loc) and loc[-1] == "[key]"
    if at_key:
        loc = loc[:-1]
    kind, value, ctx = error["type"], error["input"], error.get("ctx", {})
    name = next((str(part) for part in reversed(loc) if isinstance(part, str)), "")
    if kind == "extra_forbidden":
        return _unknown_key(loc, data)
    if kind in ("missing", "union_tag_not_found"):
        loc = loc if kind == "missing" else (*loc, "kind")
        return Issue(loc, f"missing '{loc[-1]}'", _missing_fix(str(loc[-1])))
    if kind == "union_tag_invalid":
        tag = str(ctx.get("tag"))
        fix = f"{_did_you_mean(tag, list(QUESTION_KINDS))}kinds are: {_KINDS}"
        return Issue((*loc, "kind"), f"unknown kind '{tag}'", fix)
    if kind == "too_short":
        raw = _at(data, loc)
        if isinstance(raw, list | tuple | dict) and len(raw) >= int(ctx.get("min_length", 0)):
            return None  # short only because some items are broken; they say so themselves
        least = int(ctx.get("min_length", 1))
        what = name.removesuffix("s") if least == 1 else name
        return Issue(loc, f"needs at least {least} {what}", _missing_fix(name))
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == ID_PATTERN:
        too_long = isinstance(value, str) and len(value) > 24
        what = f"too long for an id ({len(value)} characters)" if too_long else "not a valid id"
        return Issue(loc, f"'{value}' is {what}", _ID_RULE, at_key=at_key)
    if kind == "value_error":  # a model validator's own words: "<what is wrong> - <fix>"
        message, _, fix = str(ctx.get("error", "")).partition(" - ")
        return Issue(loc, message, fix or "see docs/survey-format.md", at_key=at_key)
    message, fix = _type_words(kind, name, value, ctx)
    return Issue(loc, message, fix, at_key=at_key)


def _type_words(kind: str, name: str, value: object, ctx: dict[str, Any]) -> tuple[str, str]:
    """Message and fix for a value of the wrong type or out of range."""
    got = describe(value)
    if kind == "dict_type" and name in _TEXT_FIELDS:
        return (
            f"expected one {name} per language, got {got}",
            f"write it as a mapping, one line per language under '{name}:', e.g. 'sv: ...' "
            "and 'en: ...'",
        )
    if kind == "dict_type" and name == "show_if":
        return f"expected conditions, got {got}", "write 'question_id: [choice_id, ...]' under it"
    if kind in ("tuple_type", "list_type"):
        example = "[sv, en]" if name == "languages" else "[first, second]"
        example = f"[{value}]" if isinstance(value, str) else example
        return f"expected a list, got {got}", f"write it as a list, e.g. {example}"
    if kind in ("model_type", "model_attributes_type"):
        what = "a choice" if name == "choices" else "a question" if name == "questions" else name
        return f"expected {what} (keys and values), got {got}", "write it as 'key: value' lines"
    if kind == "string_type":
        return f"expected text, got {got}", "put it in quotes if it looks like a number or a date"
    if kind.startswith("bool"):
        return f"expected true or false, got {got}", "write true or false"
    if kind.startswith("int"):
        return f"expected a whole number, got {got}", "write a whole number like 3"
    if kind.startswith(("datetime", "date")):
        return (
            f"expected a date or a date and time, got {got}",
            "write e.g. 2026-12-31 or 2026-12-31 18:00 (Europe/Stockholm unless you add a "
            "zone like +01:00)",
        )
    if kind in ("greater_than_equal", "greater_than"):
        return f"{got} is too small", f"use {ctx.get('ge', ctx.get('gt'))} or more"
    if kind in ("less_than_equal", "less_than"):
        return f"{got} is too large", f"use {ctx.get('le', ctx.get('lt'))} or less"
    return f"invalid value {got}", "see docs/survey-format.md for what this key takes"


def _unknown_key(loc: Loc, data: dict[str, Any]) -> Issue:
    key, owner = str(loc[-1]), loc[:-1]
    allowed: list[str] = []
    what = "this object"
    if owner == ():
        allowed, what = list(Survey.model_fields), "the survey"
    elif len(owner) == 2 and owner[0] == "questions":
        kind = str(_at(data, (*owner, "kind")))
        allowed, what = list(QUESTION_KINDS[kind].model_fields), f"a {kind} question"
        others = [k for k, model in QUESTION_KINDS.items() if key in model.model_fields]
        if others:
            plural = "s" if len(others) > 1 else ""
            return Issue(
                loc,
                f"'{key}' is only for kind{plural} {', '.join(others)}",
                f"remove it from this {kind} question, or change its kind",
                at_key=True,
            )
    elif len(owner) == 4 and owner[2] == "choices":
        allowed, what = list(Choice.model_fields), "a choice"
    elif owner == ("releases",):
        allowed, what = list(Releases.model_fields), "releases"
    issue = _unknown(owner, key, allowed, what)
    if owner == () and key in SUPPORTED_LANGUAGES:
        fix = "texts in a language go under title, intro, ... ; list the language in languages"
        return Issue(loc, issue.message, fix, at_key=True)
    return issue


def _missing_fix(name: str) -> str:
    if name in _TEXT_FIELDS:
        return f"add '{name}:' with one line per language, e.g. 'sv: ...' and 'en: ...'"
    return _MISSING_FIXES.get(name, f"add '{name}: ...'")


def _did_you_mean(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return f"did you mean '{close[0]}'? " if close else ""


def describe(value: object) -> str:
    """A value as the admin wrote it, briefly: 'text', 3, true, a list, a mapping."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, int | float | date):
        return str(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _at(data: object, loc: Loc) -> object:
    """The plain value at `loc`, or `_ABSENT`."""
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
            continue
        if not (isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)):
            return _ABSENT
        data = data[part]
    return data


def _strip_tag(loc: Loc, data: dict[str, Any]) -> Loc:
    """Drop the `kind` tag pydantic puts after `('questions', i)` in a discriminated union."""
    if len(loc) >= 3 and loc[0] == "questions":
        raw = _at(data, loc[:2])
        if isinstance(raw, dict) and raw.get("kind") == loc[2]:
            return (*loc[:2], *loc[3:])
    return loc
