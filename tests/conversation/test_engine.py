"""The residents' conversation: event sequences -> session fields and replies."""

from __future__ import annotations

from typing import Any

import pytest

from bot.conversation.engine import (
    AnswerValue,
    Ask,
    Began,
    Cancelled,
    ChoicePicked,
    ChooseLanguage,
    Closed,
    Discarded,
    Finished,
    Hint,
    Opened,
    Problem,
    Restarted,
    Session,
    ShowIntro,
    Skipped,
    Stale,
    TextSent,
    Unexpected,
    advance,
    is_visible,
)
from bot.survey.model import Survey

from .conftest import (
    AFTER_CLOSING,
    BEFORE_OPENING,
    NOW,
    Resident,
    edited,
    question_data,
)

UNSAFE_PATH = ("open", "begin", "pick:fairly_unsafe", "toggle:dark", "toggle:people", "done")


def ask(resident: Resident) -> Ask:
    reply = resident.reply
    assert isinstance(reply, Ask), reply
    return reply


def session(resident: Resident) -> Session:
    assert resident.session is not None
    return resident.session


# --- forward: every kind, branching, progress ---------------------------------------------------

PARTIAL = [
    # actions, current, answers, pending, (number, total)
    (("open",), None, {}, (), None),
    (("open", "begin"), "safe", {}, (), (1, 6)),
    (("open", "begin", "pick:very_safe"), "age", {"safe": "very_safe"}, (), (2, 4)),
    (("open", "begin", "pick:dont_know"), "age", {"safe": "dont_know"}, (), (2, 4)),
    (("open", "begin", "pick:fairly_unsafe"), "why", {"safe": "fairly_unsafe"}, (), (2, 6)),
    (
        ("open", "begin", "pick:very_unsafe", "toggle:traffic"),
        "why",
        {"safe": "very_unsafe"},
        ("traffic",),
        (2, 6),
    ),
    (
        UNSAFE_PATH,
        "where",
        {"safe": "fairly_unsafe", "why": ("dark", "people")},
        (),
        (3, 6),
    ),
    (
        ("open", "begin", "pick:fairly_unsafe", "toggle:traffic", "done"),
        "age",
        {"safe": "fairly_unsafe", "why": ("traffic",)},
        (),
        (3, 5),
    ),
    (
        (*UNSAFE_PATH, "skip"),
        "age",
        {"safe": "fairly_unsafe", "why": ("dark", "people"), "where": None},
        (),
        (4, 6),
    ),
    (
        ("open", "begin", "pick:very_safe", "type: 42 "),
        "area",
        {"safe": "very_safe", "age": 42},
        (),
        (3, 4),
    ),
    (
        ("open", "begin", "pick:very_safe", "type:16", "pick:north"),
        "comment",
        {"safe": "very_safe", "age": 16, "area": "north"},
        (),
        (4, 4),
    ),
]


@pytest.mark.parametrize(("actions", "current", "answers", "pending", "position"), PARTIAL)
def test_partial_paths(
    resident: Resident,
    actions: tuple[str, ...],
    current: str | None,
    answers: dict[str, AnswerValue],
    pending: tuple[str, ...],
    position: tuple[int, int] | None,
) -> None:
    resident.do(*actions)
    state = session(resident)
    assert (state.current, state.answers, state.pending) == (current, answers, pending)
    assert state.stage == ("intro" if current is None else "asking")
    if position is None:
        assert resident.reply == ShowIntro("sv", state.step)
    else:
        shown = ask(resident)
        assert (shown.question.id, shown.step, shown.selected) == (current, state.step, pending)
        assert (shown.number, shown.total) == position
        assert shown.can_back and shown.problem is None


COMPLETE = [
    (
        (*UNSAFE_PATH, "type:  Storgatan  ", "type:42", "pick:centre", "type:Mer ljus"),
        {
            "safe": "fairly_unsafe",
            "why": ("dark", "people"),
            "where": "Storgatan",
            "age": 42,
            "area": "centre",
            "comment": "Mer ljus",
        },
    ),
    (
        ("open", "begin", "pick:very_safe", "type:110", "skip", "skip"),
        {"safe": "very_safe", "age": 110, "area": None, "comment": None},
    ),
    (
        ("open", "begin", "pick:very_unsafe", "toggle:none", "done", "type:+20", "skip", "skip"),
        {"safe": "very_unsafe", "why": ("none",), "age": 20, "area": None, "comment": None},
    ),
]


@pytest.mark.parametrize(("actions", "answers"), COMPLETE)
def test_completed_holds_exactly_the_visible_questions(
    resident: Resident, actions: tuple[str, ...], answers: dict[str, AnswerValue]
) -> None:
    result = resident.do(*actions)
    assert result.session is None
    assert result.replies == (Finished("sv"),)
    assert result.completed is not None
    assert result.completed.language == "sv"
    assert result.completed.answers == answers
    assert list(result.completed.answers) == list(answers)  # survey order
    assert "police" not in result.completed.answers  # retired: never asked


def test_step_increases_with_every_change_and_ask_carries_it(resident: Resident) -> None:
    steps = []
    for action in ("open", "begin", "pick:fairly_unsafe", "toggle:dark", "toggle:dark", "back"):
        resident.do(action)
        steps.append(resident.step)
        reply = resident.reply
        assert isinstance(reply, Ask | ShowIntro) and reply.step == resident.step
    assert steps == [0, 1, 2, 3, 4, 5]


def test_can_skip_only_optional_questions(resident: Resident) -> None:
    resident.do("open", "begin")
    assert not ask(resident).can_skip
    resident.do("pick:very_safe", "type:30")
    assert ask(resident).can_skip  # area


# --- input that is not accepted ----------------------------------------------------------------

PROBLEMS = [
    # actions to reach the question, the bad input, the problem
    (("open", "begin"), "type:very safe", Problem("use_buttons")),
    (("open", "begin", "pick:fairly_unsafe"), "type:dark", Problem("use_buttons")),
    (("open", "begin", "pick:fairly_unsafe"), "done", Problem("pick_one")),
    (
        ("open", "begin", "pick:fairly_unsafe", "toggle:dark", "toggle:people"),
        "toggle:traffic",
        Problem("too_many", high=2),
    ),
    (UNSAFE_PATH, "type:   ", Problem("empty")),
    (UNSAFE_PATH, "type:/privacy", Problem("command")),  # a command is never an answer
    (UNSAFE_PATH, "type:/start@trygghetsbot now", Problem("command")),
    (("open", "begin", "pick:very_safe"), "type:/5", Problem("command")),
    (UNSAFE_PATH, "type:" + "x" * 21, Problem("too_long", high=20)),
    (("open", "begin", "pick:very_safe"), "type:4.5", Problem("not_a_number")),
    (("open", "begin", "pick:very_safe"), "type:forty", Problem("not_a_number")),
    (("open", "begin", "pick:very_safe"), "type:1 000", Problem("not_a_number")),
    (("open", "begin", "pick:very_safe"), "type:", Problem("not_a_number")),
    (("open", "begin", "pick:very_safe"), "type:15", Problem("out_of_range", low=16, high=110)),
    (("open", "begin", "pick:very_safe"), "type:111", Problem("out_of_range", low=16, high=110)),
    (("open", "begin", "pick:very_safe"), "type:-20", Problem("out_of_range", low=16, high=110)),
    (
        ("open", "begin", "pick:very_safe"),
        "type:" + "9" * 5000,
        Problem("out_of_range", low=16, high=110),
    ),
]


@pytest.mark.parametrize(("actions", "bad", "problem"), PROBLEMS)
def test_invalid_input_is_asked_again_and_changes_nothing(
    resident: Resident, actions: tuple[str, ...], bad: str, problem: Problem
) -> None:
    resident.do(*actions)
    before = resident.session
    resident.do(bad)
    assert resident.session == before
    shown = ask(resident)
    assert shown.problem == problem
    assert shown.step == session(resident).step
    assert shown.selected == session(resident).pending


def test_unexpected_message_while_asking(resident: Resident) -> None:
    resident.do("open", "begin")
    before = resident.session
    resident.send(Unexpected("sticker"))
    assert resident.session == before
    assert ask(resident).problem == Problem("not_supported", what="sticker")


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        (TextSent("hej"), Problem("use_buttons")),
        (TextSent("/privacy"), Problem("command")),
        (Unexpected("photo"), Problem("not_supported", what="photo")),
    ],
)
def test_messages_outside_a_question_get_a_hint(
    resident: Resident, event: TextSent | Unexpected, problem: Problem
) -> None:
    resident.send(event)  # no session: none is created
    assert resident.session is None
    assert resident.reply == Hint("sv", problem)
    resident.do("open")
    before = resident.session
    resident.send(event)  # in the intro
    assert resident.session == before
    assert resident.reply == Hint("sv", problem)


@pytest.mark.parametrize("typed", ["/ by the bridge", "open 24/7", "/ 5"])
def test_a_text_with_a_slash_is_still_an_answer(resident: Resident, typed: str) -> None:
    resident.do(*UNSAFE_PATH, f"type:{typed}")
    assert session(resident).answers["where"] == typed


# --- stale presses -----------------------------------------------------------------------------

STALE = [
    (("open", "begin", "pick:very_safe"), "old pick:very_safe"),  # double press
    (("open", "begin"), "old begin"),
    (("open", "begin"), "begin"),  # Start while asking
    (("open",), "back"),  # Back in the intro
    (("open",), "pick:very_safe"),
    (("open", "begin"), "pick:nonsense"),
    (("open", "begin"), "toggle:very_safe"),  # toggle on a scale question
    (("open", "begin"), "done"),
    (("open", "begin", "pick:very_unsafe"), "pick:dark"),  # pick on a multi question
    (("open", "begin", "pick:very_unsafe"), "toggle:litter"),  # retired choice
    (("open", "begin", "pick:very_unsafe"), "skip"),  # not optional
    (("open", "begin", "pick:very_safe", "type:20"), "pick:old_town"),  # retired choice
    (("open", "begin", "pick:very_safe"), "skip"),
    (("open", "begin", "pick:very_safe"), "old back"),
    (("open", "begin", "pick:very_safe"), "lang:de"),  # a language not offered
]


@pytest.mark.parametrize(("actions", "stale"), STALE)
def test_stale_presses_change_nothing(
    resident: Resident, actions: tuple[str, ...], stale: str
) -> None:
    resident.do(*actions)
    before = resident.session
    resident.do(stale)
    assert resident.session == before
    assert resident.reply == Stale("sv")


@pytest.mark.parametrize("event", [Began(0), ChoicePicked(3, "very_safe"), Skipped(1)])
def test_buttons_without_a_session_are_stale(resident: Resident, event: Any) -> None:
    resident.send(event)
    assert resident.session is None
    assert resident.reply == Stale("sv")


# --- multi questions ---------------------------------------------------------------------------

TOGGLES = [
    (("toggle:people", "toggle:dark"), ("dark", "people")),  # kept in the question's order
    (("toggle:dark", "toggle:dark"), ()),  # off again
    (("toggle:dark", "toggle:people", "toggle:none"), ("none",)),  # exclusive clears others
    (("toggle:none", "toggle:traffic"), ("traffic",)),  # a normal one clears the exclusive
    (("toggle:none", "toggle:none"), ()),
    (("toggle:dark", "toggle:people", "toggle:dark", "toggle:traffic"), ("people", "traffic")),
]


@pytest.mark.parametrize(("toggles", "pending"), TOGGLES)
def test_toggles(resident: Resident, toggles: tuple[str, ...], pending: tuple[str, ...]) -> None:
    resident.do("open", "begin", "pick:fairly_unsafe", *toggles)
    assert session(resident).pending == pending
    assert ask(resident).selected == pending
    assert session(resident).answers == {"safe": "fairly_unsafe"}  # not recorded before Done


# --- back ----------------------------------------------------------------------------------------


def test_back_shows_the_earlier_answer_and_keeps_it(resident: Resident) -> None:
    resident.do(*UNSAFE_PATH, "type:Torget", "type:33")
    resident.do("back")
    assert (ask(resident).question.id, ask(resident).selected) == ("age", ("33",))
    resident.do("back")
    assert (ask(resident).question.id, ask(resident).selected) == ("where", ("Torget",))
    resident.do("back")
    assert ask(resident).question.id == "why"
    assert session(resident).pending == ("dark", "people")  # toggles start from the answer
    resident.do("back")
    assert (ask(resident).question.id, ask(resident).selected) == ("safe", ("fairly_unsafe",))
    assert session(resident).history == ()
    resident.do("back")
    assert resident.reply == ShowIntro("sv", resident.step)
    assert session(resident).stage == "intro"
    assert len(session(resident).answers) == 4  # kept until replaced
    resident.do("begin")
    assert ask(resident).selected == ("fairly_unsafe",)
    resident.do("pick:fairly_unsafe", "done", "type:Torget 2")  # walk forward again
    assert session(resident).answers["where"] == "Torget 2"
    assert (ask(resident).question.id, ask(resident).selected) == ("age", ("33",))


def test_back_skips_hidden_questions(resident: Resident) -> None:
    resident.do("open", "begin", "pick:very_safe", "type:40", "back")
    assert ask(resident).question.id == "age"
    resident.do("back")
    assert ask(resident).question.id == "safe"


BRANCH_CHANGES = [
    # change after going back to `safe` or `why`; answers kept; where the resident goes
    (4, ("pick:very_safe",), {"safe": "very_safe", "age": 33}, "age"),
    (
        3,
        ("toggle:dark", "toggle:people", "toggle:traffic", "done"),
        {"safe": "fairly_unsafe", "why": ("traffic",), "age": 33},
        "age",
    ),
    (
        3,
        ("toggle:dark", "done"),
        {"safe": "fairly_unsafe", "why": ("people",), "where": "Torget", "age": 33},
        "where",
    ),
]


@pytest.mark.parametrize(("backs", "change", "answers", "current"), BRANCH_CHANGES)
def test_changed_answers_drop_irrelevant_later_answers(
    resident: Resident,
    backs: int,
    change: tuple[str, ...],
    answers: dict[str, AnswerValue],
    current: str,
) -> None:
    resident.do(*UNSAFE_PATH, "type:Torget", "type:33", *("back",) * backs, *change)
    assert session(resident).answers == answers
    assert session(resident).current == current
    assert set(session(resident).history) <= set(answers)


# --- restart, cancel, language ----------------------------------------------------------------


def test_restart_clears_answers_and_keeps_language(resident: Resident) -> None:
    resident.do("open:en", *UNSAFE_PATH[1:])
    step = resident.step
    resident.send(Restarted())
    state = session(resident)
    assert (state.stage, state.current, state.answers, state.language) == (
        "asking",
        "safe",
        {},
        "en",
    )
    assert state.step == step + 1
    assert ask(resident).selected == ()


def test_restart_without_a_session_starts_at_the_first_question(resident: Resident) -> None:
    resident.send(Restarted())
    assert ask(resident).question.id == "safe"
    assert session(resident).step == 1


@pytest.mark.parametrize("actions", [(), ("open",), UNSAFE_PATH])
def test_cancel_discards(resident: Resident, actions: tuple[str, ...]) -> None:
    for action in actions:
        resident.do(action)
    result = resident.send(Cancelled())
    assert result == advance(resident.survey, None, Cancelled(), NOW)
    assert (result.session, result.replies, result.completed) == (None, (Discarded("sv"),), None)


@pytest.mark.parametrize(
    ("telegram", "language"), [("en", "en"), ("sv", "sv"), ("en-GB", "en"), ("SV_se", "sv")]
)
def test_opened_uses_the_telegram_language_if_offered(
    resident: Resident, telegram: str, language: str
) -> None:
    resident.send(Opened(telegram))
    assert session(resident) == Session(survey_version=resident.survey.version, language=language)
    assert resident.reply == ShowIntro(language, 0)


@pytest.mark.parametrize("telegram", ["de", None, ""])
def test_a_language_not_offered_gets_the_language_list_first(
    resident: Resident, telegram: str | None
) -> None:
    resident.send(Opened(telegram))
    assert resident.session is None
    first: object = resident.reply
    assert first == ChooseLanguage("sv")
    resident.do("lang:en")
    assert resident.reply == ShowIntro("en", 0)


def test_opened_again_resumes(resident: Resident) -> None:
    resident.do("open", "begin", "pick:fairly_unsafe", "toggle:dark")
    before = resident.session
    resident.send(Opened("en"))
    assert resident.session == before
    assert (ask(resident).question.id, ask(resident).selected) == ("why", ("dark",))
    assert ask(resident).language == "sv"


@pytest.mark.parametrize("actions", [("open",), ("open", "begin", "pick:very_unsafe")])
def test_language_switch_shows_the_same_screen_in_the_new_language(
    resident: Resident, actions: tuple[str, ...]
) -> None:
    resident.do(*actions)
    before = session(resident)
    resident.do("lang:en")
    after = session(resident)
    assert after == before.model_copy(update={"language": "en", "step": before.step + 1})
    reply = resident.reply
    assert isinstance(reply, ShowIntro | Ask)
    assert (reply.language, reply.step) == ("en", after.step)


def test_language_button_without_a_session_creates_one(resident: Resident) -> None:
    resident.do("lang:en")
    assert session(resident).language == "en"
    assert resident.reply == ShowIntro("en", 0)


# --- opening hours -------------------------------------------------------------------------------


@pytest.mark.parametrize(("now", "not_yet"), [(BEFORE_OPENING, True), (AFTER_CLOSING, False)])
def test_closed_survey_starts_nothing(resident: Resident, now: Any, not_yet: bool) -> None:
    resident.now = now
    resident.send(Opened("en"))
    assert resident.session is None
    assert resident.reply == Closed("en", not_yet=not_yet)


@pytest.mark.parametrize("action", ["pick:very_safe", "type:hej", "open", "lang:en", "back"])
def test_closing_mid_survey_keeps_the_session(resident: Resident, action: str) -> None:
    resident.do("open", "begin")
    before = resident.session
    resident.now = AFTER_CLOSING
    resident.do(action)
    assert resident.session is before
    assert resident.reply == Closed("sv", not_yet=False)


# --- the admin reloads the survey mid-session ----------------------------------------------------


def retire_choice(question: str, choice: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        for c in question_data(data, question)["choices"]:
            if c["id"] == choice:
                c["retired"] = True

    return change


def remove_question(question: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        data["questions"] = [q for q in data["questions"] if q["id"] != question]

    return change


def test_reload_drops_a_retired_choice_of_a_multi_answer(resident: Resident) -> None:
    resident.do(*UNSAFE_PATH, "type:Torget")
    step = resident.step
    resident.survey = edited(retire_choice("why", "dark"))
    resident.do("type:50")  # unaffected: carries on
    state = session(resident)
    assert state.survey_version == resident.survey.version
    assert state.answers == {
        "safe": "fairly_unsafe",
        "why": ("people",),
        "where": "Torget",
        "age": 50,
    }
    assert state.step == step + 1


def test_reload_keeps_buttons_valid_when_the_screen_is_unchanged(resident: Resident) -> None:
    resident.do("open", "begin", "pick:very_safe", "type:30")
    resident.survey = edited(lambda d: question_data(d, "comment")["text"].update(en="Other?"))
    resident.do("pick:south")
    assert session(resident).answers["area"] == "south"
    assert session(resident).survey_version == resident.survey.version


def test_reload_that_retires_the_answer_a_branch_hangs_on(resident: Resident) -> None:
    resident.do(*UNSAFE_PATH, "type:Torget", "type:50")
    step = resident.step
    resident.survey = edited(retire_choice("safe", "fairly_unsafe"))
    resident.do("old pick:north")  # pressed on the screen shown before the reload
    state = session(resident)
    assert (state.current, state.answers, state.step) == ("safe", {"age": 50}, step + 1)
    assert (ask(resident).question.id, ask(resident).step) == ("safe", step + 1)
    resident.do("pick:very_safe")
    assert session(resident).current == "age"
    assert ask(resident).selected == ("50",)


def test_reload_that_removes_the_current_question(resident: Resident) -> None:
    resident.do(*UNSAFE_PATH)
    resident.survey = edited(remove_question("where"))
    resident.do("old skip")
    assert ask(resident).question.id == "age"
    assert session(resident).history == ("safe", "why")
    result = resident.do("type:70", "skip", "skip")
    assert result.completed is not None
    assert list(result.completed.answers) == ["safe", "why", "age", "area", "comment"]


def test_reload_that_adds_an_earlier_question(resident: Resident) -> None:
    def add_question(data: dict[str, Any]) -> None:
        new = {"id": "night", "kind": "single", "text": {"sv": "Natt?", "en": "Night?"}}
        data["questions"].insert(
            1,
            {
                **new,
                "choices": [
                    {"id": "yes", "label": {"sv": "Ja", "en": "Yes"}},
                    {"id": "no", "label": {"sv": "Nej", "en": "No"}},
                ],
            },
        )

    resident.do("open", "begin", "pick:very_safe", "type:30")
    resident.survey = edited(add_question)
    resident.do("open")
    assert ask(resident).question.id == "night"
    resident.do("pick:no")
    assert (ask(resident).question.id, ask(resident).selected) == ("age", ("30",))


def test_reload_without_the_residents_language(resident: Resident) -> None:
    def swedish_only(data: dict[str, Any]) -> None:
        def strip(node: Any) -> None:
            if isinstance(node, dict):
                node.pop("en", None)
                for value in node.values():
                    strip(value)
            elif isinstance(node, list):
                for value in node:
                    strip(value)

        strip(data)
        data["languages"] = ["sv"]

    resident.do("open:en", "begin")
    resident.survey = edited(swedish_only)
    resident.do("open")
    assert (session(resident).language, ask(resident).language) == ("sv", "sv")


# --- is_visible ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "answers", "visible"),
    [
        ("safe", {}, True),
        ("why", {}, False),
        ("why", {"safe": "very_unsafe"}, True),
        ("why", {"safe": "very_safe"}, False),
        ("where", {"why": ("traffic", "people")}, True),  # any overlap
        ("where", {"why": ("traffic",)}, False),
        ("where", {"why": None}, False),  # skipped
    ],
)
def test_is_visible(
    survey: Survey, question: str, answers: dict[str, AnswerValue], visible: bool
) -> None:
    q = survey.question(question)
    assert q is not None
    assert is_visible(q, answers) is visible


def test_cancel_works_even_when_the_survey_has_closed(resident: Resident) -> None:
    resident.do("open", "begin", "pick:very_safe")
    resident.now = AFTER_CLOSING
    resident.send(Cancelled())
    assert resident.session is None
    assert resident.reply == Discarded("sv")
