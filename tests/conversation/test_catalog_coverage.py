"""Every word a resident sees comes from a catalog or the survey file, none from code.

A pseudo-language ("eo") whose catalog wraps every bot text in ⟦…⟧ and whose survey texts are
wrapped in ⟪…⟫: after removing those spans, HTML tags and the language buttons (named from
CLDR), no letter may remain on any screen. A static check adds that no `Screen(...)` or
`Button(...)` in the rendering code and the adapters is built from a literal with words in it.
"""

from __future__ import annotations

import ast
import html
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from bot.conversation import texts
from bot.conversation.screens import (
    Screen,
    choose_language,
    privacy_screen,
    render,
    results_screen,
    thanks_screen,
)
from bot.conversation.texts import keys as all_keys
from bot.conversation.vocabulary import (
    AlreadyAnswered,
    AreaResults,
    Ask,
    Closed,
    Discarded,
    Finished,
    Hint,
    Problem,
    ProblemKind,
    Reply,
    ShowIntro,
    Stale,
)
from bot.survey.loader import load_survey
from bot.survey.model import Survey

ROOT = Path(__file__).resolve().parents[2]
PSEUDO = "eo"
SPANS = re.compile(r"⟦[^⟧]*⟧|⟪[^⟫]*⟫", re.S)


def _wrapped(value: Any, languages: set[str]) -> Any:
    if isinstance(value, dict) and set(value) == languages:
        return {PSEUDO: f"⟪{value['sv']}⟫"}
    if isinstance(value, dict):
        return {k: _wrapped(v, languages) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_wrapped(v, languages) for v in value]
    return value


@pytest.fixture
def pseudo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Survey]:
    catalog = Catalog(locale=PSEUDO)
    for message in texts.messages():
        if message.plural is None:
            catalog.add(message.text, f"⟦{message.text}⟧", context=message.key)
        else:
            forms = (f"⟦{message.text}⟧", f"⟦{message.plural}⟧")
            catalog.add((message.text, message.plural), forms, context=message.key)
    folder = tmp_path / PSEUDO / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "bot.mo").open("wb") as stream:
        write_mo(stream, catalog)
    monkeypatch.setattr(texts, "LOCALE_DIR", tmp_path)
    texts.translations.cache_clear()
    shipped = load_survey(ROOT / "surveys" / "questions.yaml")
    data = _wrapped(shipped.model_dump(), set(shipped.languages))
    data.update(languages=[PSEUDO], drafts=[PSEUDO])
    yield Survey.model_validate(data)
    texts.translations.cache_clear()


def _replies(survey: Survey) -> Iterator[Reply]:
    lang = PSEUDO
    yield ShowIntro(lang, 0)
    kinds = typing.get_args(ProblemKind)
    for number, question in enumerate(survey.active_questions, start=1):
        yield Ask(question, lang, 1, number, 30, (), True, True)
        choices = [c.id for c in getattr(question, "choices", ())][:1]
        yield Ask(question, lang, 1, number, 30, tuple(choices), True, False)
    question = survey.active_questions[0]
    for kind in kinds:
        yield Ask(question, lang, 2, 1, 30, (), True, False, Problem(kind, low=1, high=3))
        yield Hint(lang, Problem(kind, low=1, high=3))
    yield from (Finished(lang), AlreadyAnswered(lang), Stale(lang), Discarded(lang))
    yield from (Closed(lang, not_yet=True), Closed(lang, not_yet=False))


def _thanks_screens(survey: Survey) -> list[Screen]:
    """The thank-you with its results and share buttons, and the results screen, built from
    the survey's own texts as `bot.conversation.results` builds them."""
    area = survey.question("area")
    question = survey.question("safe_evening_area")
    assert area is not None and question is not None
    label = area.choices[0].label[PSEUDO]  # type: ignore[union-attr]
    shares = tuple((c.label[PSEUDO], 25.0) for c in question.choices[:2])  # type: ignore[union-attr]
    results = AreaResults(PSEUDO, label, question.text[PSEUDO], shares, 40)
    link = "https://t.me/trygghetsbot?start=share"
    finished = Finished(PSEUDO, area.choices[0].id)  # type: ignore[union-attr]
    return [thanks_screen(finished, survey, share_link=link, results=True), results_screen(results)]


def _leftover_words(screen: Screen) -> list[str]:
    shown = [html.unescape(re.sub(r"<[^>]+>", "", screen.text)), screen.toast or ""]
    shown += [b.text for row in screen.buttons for b in row if not b.data.startswith("l:")]
    left = [SPANS.sub("", text) for text in shown]
    return [text for text in left if any(ch.isalpha() for ch in text)]


def test_every_visible_word_comes_from_a_catalog_or_the_survey(pseudo: Survey) -> None:
    screens = [render(reply, pseudo) for reply in _replies(pseudo)]
    screens += [choose_language(pseudo), privacy_screen(pseudo, PSEUDO)]
    screens += [Screen(texts.t(key, PSEUDO)) for key in all_keys()]
    screens += _thanks_screens(pseudo)
    leftovers = [word for screen in screens for word in _leftover_words(screen)]
    assert leftovers == []


RENDERING = [
    "bot/conversation/screens.py",
    "bot/adapters/telegram/residents.py",
    "bot/adapters/telegram/staff.py",
    "bot/adapters/terminal/chat.py",
]


def _literal_words(node: ast.AST) -> list[str]:
    """Words in string literals of an expression (f-string parts included), outside calls of
    `t` (whose literal is a catalog key)."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "t":
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.findall(r"[^\W\d_]{2,}", node.value)
    return [word for child in ast.iter_child_nodes(node) for word in _literal_words(child)]


@pytest.mark.parametrize("module", RENDERING)
def test_no_screen_or_button_is_built_from_words_in_code(module: str) -> None:
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Screen", "Button"):
            first = node.args[0] if node.args else None
            if first is not None:
                words = [w for w in _literal_words(first) if w not in ("b", "i")]
                if words:
                    found.append(f"line {node.lineno}: {words}")
    assert found == []
