"""The survey version: the same for any formatting of a survey, different for any change in it.

Random valid surveys are built as plain data (`surveys()`), written out as YAML with random
formatting (`render`: indentation, block or flow style, key order, comments, quoting, blank
lines) and loaded through `parse_survey`, as the admin's file would be, then compared with the
same data validated directly (one YAML parse per example keeps the run short).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.survey.loader import parse_survey
from bot.survey.model import Survey, survey_version

Doc = dict[str, Any]

KINDS = ("single", "scale", "multi", "number", "text")
CHOICE_KINDS = ("single", "scale", "multi")
#: Ids YAML could misread (`no`, `null`, `true`, `e1`), the longest allowed, and ordinary ones.
ID_POOL = (
    "a", "y", "n", "no", "on", "off", "null", "true", "false", "e1", "x_1", "q0", "a" * 24,
    "area", "age", "age_band", "gender", "safe", "unsafe", "why", "where", "when", "night",
    "day", "park", "centre", "north", "south", "east", "west", "bus", "train", "dont_know",
    "other", "police", "light", "people", "dark", "alone", "s2", "k9", "v_v", "zz", "m",
)  # fmt: skip
IDS = st.sampled_from(ID_POOL)
#: Words for texts, some of which YAML would read as booleans or null when not quoted.
WORDS = st.lists(
    st.sampled_from(
        ["Trygg", "kväll", "Öster", "park", "Är du", "yes", "No", "true", "null", "ÅÄÖ", "x"]
    ),
    min_size=1,
    max_size=3,
).map(" ".join)
#: Plain scalars YAML would read as something other than this text.
RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


@st.composite
def surveys(draw: st.DrawFn) -> Doc:
    """A valid survey as plain data: 1-5 questions of every kind, some with show_if."""
    languages = draw(st.sampled_from([["sv"], ["en"], ["sv", "en"], ["en", "sv"]]))

    def text() -> dict[str, str]:
        return {lang: draw(WORDS) for lang in languages}

    count = draw(st.integers(1, 5))
    question_ids = draw(st.lists(IDS, min_size=count, max_size=count, unique=True))
    questions: list[Doc] = []
    for question_id in question_ids:
        kind = draw(st.sampled_from(KINDS))
        question: Doc = {"id": question_id, "kind": kind, "text": text()}
        if draw(st.booleans()):
            question["optional"] = draw(st.booleans())
        if draw(st.booleans()):
            question["help"] = text()
        if kind in CHOICE_KINDS:
            size = draw(st.integers(2, 4))
            choice_ids = draw(st.lists(IDS, min_size=size, max_size=size, unique=True))
            question["choices"] = [{"id": c, "label": text()} for c in choice_ids]
            if kind != "multi" and draw(st.booleans()):
                question["breakdown"] = True
            if kind == "multi" and draw(st.booleans()):
                question["max"] = draw(st.integers(1, size))
            if kind == "multi" and draw(st.booleans()):
                question["choices"][-1]["exclusive"] = True
        elif kind == "number" and draw(st.booleans()):
            question["min"] = draw(st.integers(-5, 50))
            question["max"] = draw(st.integers(question["min"], 200))
        elif kind == "text" and draw(st.booleans()):
            question["max_length"] = draw(st.integers(1, 3800))
        earlier = [q for q in questions if "choices" in q]
        if len(earlier) > 0 and draw(st.booleans()):
            target = draw(st.sampled_from(earlier))
            options = [c["id"] for c in target["choices"]]
            wanted = draw(st.lists(st.sampled_from(options), min_size=1, max_size=3, unique=True))
            question["show_if"] = {target["id"]: wanted}
        questions.append(question)
    return {
        "id": draw(IDS),
        "title": text(),
        "languages": languages,
        "intro": text(),
        "privacy": text(),
        "thanks": text(),
        "questions": questions,
    }


# --- random formatting ----------------------------------------------------------------------


def render(doc: Doc, rnd: random.Random) -> str:
    """`doc` as YAML, formatted at random."""
    step = rnd.choice([2, 3, 4])
    lines = ["# a survey", "---"] if rnd.random() < 0.3 else []
    _block_map(doc, 0, lines, rnd, step)
    return "\n".join(lines) + "\n"


def _scalar(value: object, rnd: random.Random) -> str:
    if isinstance(value, bool):
        return rnd.choice(["true", "True", "TRUE"] if value else ["false", "False", "FALSE"])
    if isinstance(value, int):
        return str(value)
    assert isinstance(value, str)
    styles = ["single", "double"]
    if value.lower() not in RESERVED:
        styles.append("plain")
    style = rnd.choice(styles)
    if style == "plain":
        return value
    if style == "single":
        return "'" + value.replace("'", "''") + "'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _flow(value: object, rnd: random.Random) -> str:
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        return "{" + ", ".join(f"{_scalar(k, rnd)}: {_flow(v, rnd)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v, rnd) for v in value) + "]"
    return _scalar(value, rnd)


def _noise(lines: list[str], indent: int, rnd: random.Random) -> None:
    """Maybe a comment line or a blank line."""
    roll = rnd.random()
    if roll < 0.1:
        lines.append(" " * rnd.choice([0, indent]) + "# note: ignore me")
    elif roll < 0.15:
        lines.append("")


def _block_map(mapping: Doc, indent: int, lines: list[str], rnd: random.Random, step: int) -> None:
    items = list(mapping.items())
    rnd.shuffle(items)
    for name, value in items:
        _noise(lines, indent, rnd)
        pad, key = " " * indent, _scalar(name, rnd)
        if not isinstance(value, dict | list) or not value or rnd.random() < 0.3:
            comment = "  # why" if rnd.random() < 0.1 else ""
            lines.append(f"{pad}{key}: {_flow(value, rnd)}{comment}")
        elif isinstance(value, dict):
            lines.append(f"{pad}{key}:")
            _block_map(value, indent + step, lines, rnd, step)
        else:
            lines.append(f"{pad}{key}:")
            _block_seq(value, indent + rnd.choice([0, step]), lines, rnd, step)


def _block_seq(
    items: list[Any], indent: int, lines: list[str], rnd: random.Random, step: int
) -> None:
    pad = " " * indent
    for item in items:
        if isinstance(item, dict) and item and rnd.random() >= 0.3:
            sub: list[str] = []
            _block_map(item, indent + 2, sub, rnd, step)
            first = next(
                i for i, line in enumerate(sub) if line and not line.lstrip().startswith("#")
            )
            sub[first] = f"{pad}- {sub[first][indent + 2 :]}"
            lines += sub
        else:
            lines.append(f"{pad}- {_flow(item, rnd)}")


# --- changes in meaning ---------------------------------------------------------------------


def _choice_questions(doc: Doc) -> list[Doc]:
    return [q for q in doc["questions"] if "choices" in q]


def _new_id(data: st.DataObject, taken: list[str]) -> str:
    return data.draw(IDS.filter(lambda i: i not in taken))


def rename_question(doc: Doc, data: st.DataObject) -> None:
    question = data.draw(st.sampled_from(doc["questions"]))
    old, new = question["id"], _new_id(data, [q["id"] for q in doc["questions"]])
    question["id"] = new
    for other in doc["questions"]:
        if old in other.get("show_if", {}):
            other["show_if"][new] = other["show_if"].pop(old)


def change_kind(doc: Doc, data: st.DataObject) -> None:
    question = data.draw(st.sampled_from(doc["questions"]))
    kind = question["kind"]
    for field in ("max", "min", "max_length", "breakdown"):
        question.pop(field, None)
    question["kind"] = {
        "single": "scale",
        "scale": "single",
        "multi": "single",
        "number": "text",
        "text": "number",
    }[kind]


def change_label(doc: Doc, data: st.DataObject) -> None:
    texts = [q["text"] for q in doc["questions"]]
    texts += [c["label"] for q in _choice_questions(doc) for c in q["choices"]]
    text = data.draw(st.sampled_from(texts))
    lang = data.draw(st.sampled_from(sorted(text)))
    text[lang] += data.draw(st.sampled_from(["x", " igen", "Ö"]))


def change_condition(doc: Doc, data: st.DataObject) -> None:
    questions = doc["questions"]
    conditioned = [q for q in questions if q.get("show_if")]
    possible = [
        (i, t) for i, t in enumerate(questions) if "choices" in t and i < len(questions) - 1
    ]
    if not conditioned or (len(possible) > 0 and data.draw(st.booleans())):
        index, target = data.draw(st.sampled_from(possible))
        question = data.draw(st.sampled_from(questions[index + 1 :]))
        choice = data.draw(st.sampled_from(target["choices"]))["id"]
        before = question.get("show_if", {}).get(target["id"])
        question.setdefault("show_if", {})[target["id"]] = [choice]
        if before == [choice]:  # already exactly so: drop the condition instead
            del question["show_if"][target["id"]]
        return
    question = data.draw(st.sampled_from(conditioned))
    target_id = data.draw(st.sampled_from(sorted(question["show_if"])))
    wanted = question["show_if"][target_id]
    target = next(q for q in questions if q["id"] == target_id)
    missing = [c["id"] for c in target["choices"] if c["id"] not in wanted]
    if len(missing) > 0 and data.draw(st.booleans()):
        wanted.append(data.draw(st.sampled_from(missing)))
    elif len(wanted) > 1:
        wanted.remove(data.draw(st.sampled_from(wanted)))
    else:
        del question["show_if"][target_id]


def add_choice(doc: Doc, data: st.DataObject) -> None:
    question = data.draw(st.sampled_from(_choice_questions(doc)))
    choices = question["choices"]
    new = {"id": _new_id(data, [c["id"] for c in choices]), "label": dict(choices[0]["label"])}
    choices.insert(data.draw(st.integers(0, len(choices))), new)


def remove_choice(doc: Doc, data: st.DataObject) -> None:
    referenced = {
        (target, c)
        for q in doc["questions"]
        for target, wanted in q.get("show_if", {}).items()
        for c in wanted
    }
    candidates = [
        (q, c)
        for q in _choice_questions(doc)
        if len(q["choices"]) > 2
        for c in q["choices"]
        if (q["id"], c["id"]) not in referenced
    ]
    if not candidates:
        add_choice(doc, data)
        return
    question, choice = data.draw(st.sampled_from(candidates))
    question["choices"].remove(choice)
    if question.get("max", 0) > len(question["choices"]):
        question["max"] = len(question["choices"])


def reorder_choices(doc: Doc, data: st.DataObject) -> None:
    choices = data.draw(st.sampled_from(_choice_questions(doc)))["choices"]
    first = data.draw(st.integers(0, len(choices) - 2))
    second = data.draw(st.integers(first + 1, len(choices) - 1))
    choices[first], choices[second] = choices[second], choices[first]


def _can_condition(doc: Doc) -> bool:
    """Some question has a condition, or a choice question has a question after it."""
    questions = doc["questions"]
    return any(q.get("show_if") for q in questions) or any("choices" in q for q in questions[:-1])


Mutation = Callable[[Doc, st.DataObject], None]
ANY_SURVEY: list[Mutation] = [rename_question, change_kind, change_label]
MUTATIONS = [*ANY_SURVEY, change_condition, add_choice, remove_choice, reorder_choices]


# --- properties -----------------------------------------------------------------------------


#: A seed for the formatting: drawing every formatting decision from hypothesis is slow.
SEEDS = st.integers(0, 2**32 - 1)


@settings(max_examples=100, deadline=None)
@given(doc=surveys(), seed=SEEDS)
def test_formatting_does_not_change_the_version(doc: Doc, seed: int) -> None:
    text = render(doc, random.Random(seed))

    loaded = parse_survey(text)

    assert loaded == Survey.model_validate(doc), text
    assert loaded.version == survey_version(Survey.model_validate(doc))


@settings(max_examples=100, deadline=None)
@given(doc=surveys(), data=st.data(), seed=SEEDS)
def test_any_change_in_meaning_changes_the_version(
    doc: Doc, data: st.DataObject, seed: int
) -> None:
    mutations = [m for m in MUTATIONS if m is not change_condition or _can_condition(doc)]
    mutations = mutations if _choice_questions(doc) else ANY_SURVEY
    mutate = data.draw(st.sampled_from(mutations), label="mutation")
    changed = copy.deepcopy(doc)
    mutate(changed, data)

    after = parse_survey(render(changed, random.Random(seed)))

    assert after.version != Survey.model_validate(doc).version, mutate.__name__


def test_defaults_written_out_operational_fields_and_condition_order_keep_the_version() -> None:
    base: Doc = {
        "id": "s",
        "title": {"en": "T"},
        "languages": ["en"],
        "intro": {"en": "I"},
        "privacy": {"en": "P"},
        "thanks": {"en": "T"},
        "questions": [
            {
                "id": "area",
                "kind": "single",
                "text": {"en": "Where?"},
                "choices": [{"id": c, "label": {"en": c}} for c in ("a", "b", "c")],
            },
            {"id": "why", "kind": "text", "text": {"en": "Why?"}, "show_if": {"area": ["a", "b"]}},
        ],
    }
    spelled_out = copy.deepcopy(base)
    spelled_out.update(opens="2026-01-01", closes="2026-12-31", min_group_size=10)
    area, why = spelled_out["questions"]
    area.update(optional=False, breakdown=False, retired=False)
    area["choices"][0].update(exclusive=False)
    why.update(max_length=500, show_if={"area": ["b", "a"]})

    assert Survey.model_validate(spelled_out).version == Survey.model_validate(base).version
    assert len(Survey.model_validate(base).version) == 12


def test_the_cached_version_follows_a_changed_copy() -> None:
    from pathlib import Path

    from bot.survey.loader import load_survey
    from bot.survey.model import survey_version

    survey = load_survey(Path(__file__).resolve().parents[2] / "surveys" / "questions.yaml")
    shorter = survey.model_copy(update={"questions": survey.questions[:3]})
    assert survey.version == survey_version(survey)
    assert shorter.version == survey_version(shorter) != survey.version
