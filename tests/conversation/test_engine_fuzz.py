"""Random residents against the branching test survey: nothing escapes, invariants hold.

Events carry the current step, the previous one or a random one; texts are random or
numbers; now and then the admin reloads an edited survey or the survey closes.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.conversation.engine import (
    AnswerValue,
    Ask,
    Began,
    Cancelled,
    ChoicePicked,
    ChoiceToggled,
    ChooseLanguage,
    Closed,
    Event,
    Hint,
    LanguageChosen,
    MultiDone,
    Opened,
    Restarted,
    Session,
    ShowIntro,
    Skipped,
    Stale,
    TextSent,
    Transition,
    Unexpected,
    WentBack,
    advance,
    is_visible,
)
from bot.survey.model import Survey
from bot.survey.questions import (
    MultiQuestion,
    NumberQuestion,
    Question,
    ScaleQuestion,
    SingleQuestion,
    TextQuestion,
)

from .conftest import AFTER_CLOSING, NOW, build, edited, question_data, survey_data


def _retire_dark(data: dict[str, Any]) -> None:
    question_data(data, "why")["choices"][0]["retired"] = True


def _drop_where(data: dict[str, Any]) -> None:
    data["questions"] = [q for q in data["questions"] if q["id"] != "where"]


def _retire_unsafe(data: dict[str, Any]) -> None:
    question_data(data, "safe")["choices"][2]["retired"] = True


BASE = build(survey_data())
SURVEYS = (BASE, edited(_retire_dark), edited(_drop_where), edited(_retire_unsafe))
VERSIONS = {id(survey): survey.version for survey in SURVEYS}
CHOICE_IDS = sorted(
    {c.id for s in SURVEYS for q in s.questions if hasattr(q, "choices") for c in q.choices}
    | {"nonsense"}
)
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def visible_path(survey: Survey, answers: dict[str, AnswerValue]) -> list[Question]:
    """The questions a resident with `answers` sees (written here independently)."""
    seen: dict[str, AnswerValue] = {}
    path = []
    for question in survey.active_questions:
        if is_visible(question, seen):
            path.append(question)
            if question.id in answers:
                seen[question.id] = answers[question.id]
    return path


def valid_answer(question: Question, value: AnswerValue) -> bool:
    if value is None:
        return question.optional
    if isinstance(question, SingleQuestion | ScaleQuestion):
        return value in {c.id for c in question.active_choices}
    if isinstance(question, MultiQuestion):
        active = {c.id: c for c in question.active_choices}
        return (
            isinstance(value, tuple)
            and 0 < len(value) == len(set(value))
            and all(v in active for v in value)
            and (question.max is None or len(value) <= question.max)
            and (len(value) == 1 or not any(active[v].exclusive for v in value))
        )
    if isinstance(question, NumberQuestion):
        return isinstance(value, int) and question.min <= value <= question.max
    assert isinstance(question, TextQuestion)
    stripped = isinstance(value, str) and value == value.strip() != ""
    return stripped and len(str(value)) <= question.max_length


def check_session(survey: Survey, session: Session) -> None:
    path = visible_path(survey, session.answers)
    ids = [q.id for q in path]
    assert session.survey_version == VERSIONS[id(survey)]
    assert session.language in survey.languages
    assert set(session.answers) <= set(ids), "answers only to visible questions"
    for question in path:
        if question.id in session.answers:
            assert valid_answer(question, session.answers[question.id])
    if session.stage == "intro":
        assert (session.current, session.pending) == (None, ())
        return
    assert session.current in ids, "the current question is visible and active"
    before = ids[: ids.index(session.current)]
    assert session.history == tuple(before)
    assert set(before) <= set(session.answers), "every earlier visible question is answered"
    question = path[ids.index(session.current)]
    if isinstance(question, MultiQuestion):
        active = {c.id: c for c in question.active_choices}
        assert set(session.pending) <= set(active)
        assert question.max is None or len(session.pending) <= question.max
        exclusive = [c for c in session.pending if active[c].exclusive]
        assert not exclusive or len(session.pending) == 1
    else:
        assert session.pending == ()


def check_transition(survey: Survey, before: Session | None, result: Transition) -> None:
    assert len(result.replies) == 1
    after = result.session
    if after is not None:
        check_session(survey, after)
        if before is not None:
            assert after.step >= before.step, "step never decreases"
    for reply in result.replies:
        if isinstance(reply, Ask):
            assert after is not None
            assert reply.step == after.step and reply.question.id == after.current
            assert 1 <= reply.number <= reply.total
            assert reply.can_back and reply.can_skip == reply.question.optional
        if isinstance(reply, ShowIntro):
            assert after is not None and after.stage == "intro" and reply.step == after.step
        rejected = isinstance(reply, Stale | Hint) or (
            isinstance(reply, Ask) and reply.problem is not None
        )
        if rejected and before is not None and before.survey_version == VERSIONS[id(survey)]:
            assert after == before, "rejected input changes nothing"
    if result.completed is not None:
        assert after is None
        answers = result.completed.answers
        path = visible_path(survey, answers)
        assert list(answers) == [q.id for q in path]
        assert all(valid_answer(q, answers[q.id]) for q in path)


CHOICES = st.sampled_from(CHOICE_IDS)
TEXTS = st.one_of(
    st.text(max_size=30),
    st.integers(-5, 200).map(str),
    st.sampled_from(["", "  ", " 42 ", "4.5", "x" * 30, "+17"]),
)
TELEGRAM_LANGUAGES = st.sampled_from([None, "sv", "en", "de"])
LANGUAGE_BUTTONS = st.sampled_from(["sv", "en", "fi"])
UNEXPECTED = st.sampled_from(["sticker", "photo", "edited"])
RANDOM_STEPS = st.integers(-2, 60)
STEPS = st.sampled_from(["current", "current", "current", "previous", "random"])
LENGTHS = st.integers(1, 25)
ONE_IN_20 = st.integers(0, 19)
ONE_IN_30 = st.integers(0, 29)
ANY_SURVEY = st.sampled_from(SURVEYS)
KINDS = st.sampled_from(
    [
        *("open", "begin", "pick", "toggle", "toggle", "done", "text", "text"),
        *("skip", "back", "restart", "cancel", "language", "unexpected"),
    ]
)


def random_event(draw: Any, session: Session | None) -> Event:
    """Any event; a button carries the current step, the previous one or a random one."""
    current = session.step if session is not None else 0
    step = {"current": current, "previous": current - 1}.get(draw(STEPS))
    if step is None:
        step = draw(RANDOM_STEPS)
    match draw(KINDS):
        case "open":
            return Opened(draw(TELEGRAM_LANGUAGES))
        case "begin":
            return Began(step)
        case "pick":
            return ChoicePicked(step, draw(CHOICES))
        case "toggle":
            return ChoiceToggled(step, draw(CHOICES))
        case "done":
            return MultiDone(step)
        case "text":
            return TextSent(draw(TEXTS))
        case "skip":
            return Skipped(step)
        case "back":
            return WentBack(step)
        case "restart":
            return Restarted()
        case "cancel":
            return Cancelled()
        case "language":
            return LanguageChosen(draw(LANGUAGE_BUTTONS))
    return Unexpected(draw(UNEXPECTED))


@FUZZ
@given(st.data())
def test_random_events_keep_the_invariants(data: st.DataObject) -> None:
    survey = BASE
    session: Session | None = None
    for _ in range(data.draw(LENGTHS, label="length")):
        if data.draw(ONE_IN_20, label="reload") == 0:
            survey = data.draw(ANY_SURVEY, label="survey")
        open_now = data.draw(ONE_IN_30, label="closed") != 0
        event = random_event(data.draw, session)
        result = advance(survey, session, event, NOW if open_now else AFTER_CLOSING)
        if not open_now and not isinstance(event, Cancelled):
            assert result.session is session and result.completed is None
            (reply,) = result.replies
            assert isinstance(reply, Closed) and not reply.not_yet
        else:
            check_transition(survey, session, result)
        session = result.session


def valid_event(draw: Any, survey: Survey, session: Session, toggles: int) -> Event:
    """An event a careful resident sends: a valid answer to the question shown (after at most
    a few toggles on a multi question, Done)."""
    step = session.step
    if session.stage == "intro":
        return Began(step)
    question = survey.question(session.current or "")
    assert question is not None
    if question.optional and draw(st.integers(0, 3)) == 0:
        return Skipped(step)
    if isinstance(question, SingleQuestion | ScaleQuestion):
        return ChoicePicked(step, draw(st.sampled_from(question.active_choices)).id)
    if isinstance(question, MultiQuestion):
        if session.pending and (toggles >= 3 or draw(st.booleans())):
            return MultiDone(step)
        options = [
            c.id
            for c in question.active_choices
            if c.id in session.pending
            or question.max is None
            or len(session.pending) < question.max
            or c.exclusive
        ]
        return ChoiceToggled(step, draw(st.sampled_from(options)))
    if isinstance(question, NumberQuestion):
        number = draw(st.integers(question.min, question.max))
        return TextSent(draw(st.sampled_from([str(number), f" {number} "])))
    assert isinstance(question, TextQuestion)
    words = draw(st.text(min_size=1, max_size=min(question.max_length, 40)))
    return TextSent(words if words.strip() else "ok")


@FUZZ
@given(st.data(), st.sampled_from(SURVEYS), st.sampled_from([None, "sv", "en", "de"]))
def test_a_careful_resident_completes(
    data: st.DataObject, survey: Survey, language: str | None
) -> None:
    result = advance(survey, None, Opened(language), NOW)
    if result.session is None:  # a language the survey lacks: the resident picks one first
        assert result.replies == (ChooseLanguage(survey.default_language),)
        result = advance(survey, None, LanguageChosen(survey.default_language), NOW)
    backs = data.draw(st.integers(0, 3), label="backs")
    toggles = 0
    for _ in range(100):
        session = result.session
        assert session is not None
        if backs and session.stage == "asking" and data.draw(st.integers(0, 4)) == 0:
            backs -= 1
            event: Event = WentBack(session.step)
        else:
            event = valid_event(data.draw, survey, session, toggles)
        toggles = toggles + 1 if isinstance(event, ChoiceToggled) else 0
        result = advance(survey, session, event, NOW)
        reply = result.replies[0]
        assert not isinstance(reply, Stale | Hint), reply
        assert not (isinstance(reply, Ask) and reply.problem is not None), reply
        check_transition(survey, session, result)
        if result.completed is not None:
            expected = language if language in survey.languages else survey.default_language
            assert result.completed.language == expected
            return
    raise AssertionError("a careful resident did not finish")
