"""The residents' conversation as a pure state machine (in the style of h11).

`advance(survey, session, event, now)` takes the resident's session (or None before the first
step), one event named as a fact (`Began`, `TextSent`, ...) and the current time, and returns the
new session and the replies to show. No asyncio, no Telegram, no storage.

What must hold:
- invalid input is a reply (`Ask` with a `problem`, `Stale`, `Hint`), never an exception, and it
  leaves the session unchanged (but for the message id it records, below);
- every button carries the session's `step`; a press whose step is not the current one is stale
  (an old message, a double press, a redelivered update) and changes nothing;
- a message is applied at most once: a message event whose chat-local `message` id is not
  above the session's `message` was applied already (Telegram delivered it again after a
  crash): nothing changes and the current screen is shown again. Any other message event with
  an id records it in the session it leaves (`Session.message`), whatever it did;
- `show_if` is honoured forwards and on Back; answers made irrelevant are dropped;
- a completed survey yields exactly one `Completed` with the final answers.

Rules the adapters and tests rely on (`bot.conversation.vocabulary` holds the session, events and
replies, re-exported here; `bot.conversation.answers` owns what answers mean):
- events with a `step` are the button events; `step` increases whenever what the resident sees
  or may press changes, and every reply with buttons (`ShowIntro`, `Ask`) carries it;
- a typed command (`answers.is_command`) is never an answer: it gets a `command` problem;
- `Cancelled` always discards (even when the survey is closed); any other event outside
  `opens`..`closes` gets `Closed` and leaves the session as it was;
- a first `Opened` in a language the survey does not offer (or none) gets `ChooseLanguage`;
- a session's `source` is set once, when it is created, from the `Opened` payload (or the
  language button's source): a declared code, else `OTHER`; `Completed` carries it;
- only `Opened`, `Restarted` and a valid `LanguageChosen` create a session; without one, typed
  text and stickers get a `Hint`, buttons `Stale`;
- the session is first fitted to the survey as it is now (`bot.conversation.settling`: the
  admin may have reloaded it). If that moved the resident, a button press is answered with the
  new screen;
- Back from the first question returns to the intro; answers are kept until replaced, and a
  question returned to shows its earlier answer in `Ask.selected` (number and text answers as
  text); a multi question starts with its earlier answer toggled on;
- `Done` with nothing toggled is `pick_one`, also on an optional question (Skip exists);
- `Ask.number`/`total` count visible questions; `total` also counts questions that may still be
  shown (see `bot.conversation.answers.progress`), so number <= total;
- `Completed.answers` holds exactly the visible questions given the final answers, in survey
  order, skipped ones as None; retired questions and choices are never asked or accepted.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.conversation.answers import (
    AnswerValue,
    in_choice_order,
    is_command,
    is_visible,
    next_question,
    parse_integer,
    pending_for,
    previous_question,
    progress,
    prune,
    questions_before,
    visible_questions,
)
from bot.conversation.settling import settle
from bot.conversation.vocabulary import (
    AlreadyAnswered,
    Ask,
    Began,
    Cancelled,
    ChoicePicked,
    ChoiceToggled,
    ChooseLanguage,
    Closed,
    Completed,
    Discarded,
    Event,
    Finished,
    Hint,
    LanguageChosen,
    MultiDone,
    Opened,
    Problem,
    ProblemKind,
    Reply,
    Restarted,
    Session,
    ShowIntro,
    Skipped,
    Stale,
    TextSent,
    Transition,
    Unexpected,
    UnexpectedKind,
    WentBack,
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
from bot.survey.sources import source_of

__all__ = [
    "AlreadyAnswered",
    "AnswerValue",
    "Ask",
    "Began",
    "Cancelled",
    "ChoicePicked",
    "ChoiceToggled",
    "ChooseLanguage",
    "Closed",
    "Completed",
    "Discarded",
    "Event",
    "Finished",
    "Hint",
    "LanguageChosen",
    "MultiDone",
    "Opened",
    "Problem",
    "ProblemKind",
    "Reply",
    "Restarted",
    "Session",
    "ShowIntro",
    "Skipped",
    "Stale",
    "TextSent",
    "Transition",
    "Unexpected",
    "UnexpectedKind",
    "WentBack",
    "advance",
    "is_visible",
]

# --- the state machine ------------------------------------------------------------------------

_BUTTON_EVENTS = (Began, ChoicePicked, ChoiceToggled, MultiDone, Skipped, WentBack)
#: Events that are the resident's own chat messages (they may carry the message's id).
_MESSAGE_EVENTS = (Opened, Restarted, TextSent, Unexpected)


def advance(survey: Survey, session: Session | None, event: Event, now: datetime) -> Transition:
    """Apply one event to a resident's session. Pure: same inputs, same result."""
    message = event.message if isinstance(event, _MESSAGE_EVENTS) else None
    if message is None:
        return _apply(survey, session, event, now)
    if session is not None and session.message is not None and message <= session.message:
        if not survey.is_open(now):
            return _apply(survey, session, event, now)  # Closed, nothing changes
        return _show(survey, settle(survey, session))  # applied before: show where they are
    transition = _apply(survey, session, event, now)
    after = transition.session
    if after is None:
        return transition
    return replace(transition, session=after.model_copy(update={"message": message}))


def _apply(survey: Survey, session: Session | None, event: Event, now: datetime) -> Transition:
    """`advance` without the check for a message applied before."""
    language = _language(survey, session, event)
    if isinstance(event, Cancelled):
        return Transition(None, (Discarded(language),))
    if not survey.is_open(now):
        not_yet = survey.opens is not None and now < survey.opens
        return Transition(session, (Closed(language, not_yet=not_yet),))
    if session is None:
        return _first_event(survey, event, language)
    settled = settle(survey, session)
    if isinstance(event, _BUTTON_EVENTS) and event.step != settled.step:
        if settled.step != session.step:  # the survey changed under the resident: show anew
            return _show(survey, settled)
        return Transition(settled, (Stale(settled.language),))
    return _next_event(survey, settled, event)


def _language(survey: Survey, session: Session | None, event: Event) -> str:
    """The session's language, else the language the event names, else the default."""
    wanted = session.language if session is not None else getattr(event, "language", None)
    return survey.offered_language(wanted) or survey.default_language


def _first_event(survey: Survey, event: Event, language: str) -> Transition:
    """An event from a resident without a session (only /start, /restart and a language
    button create one)."""
    offered = survey.offered_language(getattr(event, "language", None))
    match event:
        case Opened(payload=payload) if offered is None and len(survey.languages) > 1:
            return Transition(None, (ChooseLanguage(language, source_of(payload, survey.sources)),))
        case Opened(payload=payload):
            return _show(survey, _new_session(survey, language, payload))
        case LanguageChosen(language=chosen, source=source) if chosen in survey.languages:
            return _show(survey, _new_session(survey, chosen, source))
        case Restarted():
            return _begin(survey, _new_session(survey, language, None), {})
        case TextSent(text=text):
            typed: ProblemKind = "command" if is_command(text) else "use_buttons"
            return Transition(None, (Hint(language, Problem(typed)),))
        case Unexpected(kind=kind):
            return Transition(None, (Hint(language, Problem("not_supported", what=kind)),))
    return Transition(None, (Stale(language),))


def _next_event(survey: Survey, session: Session, event: Event) -> Transition:
    """An event for a settled session whose button step (if any) is current."""
    stale = Transition(session, (Stale(session.language),))
    question = _asked(survey, session)
    match event:
        case Opened():
            return _show(survey, session)
        case LanguageChosen(language=chosen):
            if chosen not in survey.languages:
                return stale
            if chosen != session.language:
                session = _bump(session, language=chosen)
            return _show(survey, session)
        case Restarted():
            return _begin(survey, session, {})
        case Began() if question is None:
            return _begin(survey, session, session.answers)
        case Unexpected(kind=kind) if question is None:
            return Transition(
                session, (Hint(session.language, Problem("not_supported", what=kind)),)
            )
        case Unexpected(kind=kind):
            return _retry(survey, session, Problem("not_supported", what=kind))
        case TextSent(text=text) if question is not None and is_command(text):
            return _retry(survey, session, Problem("command"))
        case TextSent(text=text) if question is None:
            typed: ProblemKind = "command" if is_command(text) else "use_buttons"
            return Transition(session, (Hint(session.language, Problem(typed)),))
        case TextSent(text=text) if question is not None:
            return _typed(survey, session, question, text)
        case ChoicePicked(choice=choice_id) if isinstance(question, SingleQuestion | ScaleQuestion):
            choice = question.choice(choice_id)
            if choice is None or choice.retired:
                return stale
            return _answer(survey, session, question, choice_id)
        case ChoiceToggled(choice=choice_id) if isinstance(question, MultiQuestion):
            return _toggle(survey, session, question, choice_id)
        case MultiDone() if isinstance(question, MultiQuestion):
            if not session.pending:
                return _retry(survey, session, Problem("pick_one"))
            return _answer(survey, session, question, session.pending)
        case Skipped() if question is not None and question.optional:
            return _answer(survey, session, question, None)
        case WentBack() if question is not None:
            previous = previous_question(survey, session.answers, question.id)
            if previous is None:
                intro = _bump(session, stage="intro", current=None, pending=(), history=())
                return _show(survey, intro)
            return _go_to(survey, session, session.answers, previous)
    return stale


def _new_session(survey: Survey, language: str, payload: str | None) -> Session:
    source = source_of(payload, survey.sources)
    return Session(survey_version=survey.version, language=language, source=source)


def _bump(session: Session, **changes: object) -> Session:
    """`session` with `changes` and the next step (old buttons become stale)."""
    return session.model_copy(update={**changes, "step": session.step + 1})


def _asked(survey: Survey, session: Session) -> Question | None:
    """The question being asked, or None in the intro."""
    if session.stage != "asking" or session.current is None:
        return None
    return survey.question(session.current)


def _begin(survey: Survey, session: Session, answers: dict[str, AnswerValue]) -> Transition:
    """Go to the first visible question (Start, /restart)."""
    return _go_to(survey, session, answers, next_question(survey, answers, None))


def _answer(survey: Survey, session: Session, question: Question, value: AnswerValue) -> Transition:
    """Record a valid answer, drop answers it made irrelevant, and move on."""
    answers = prune(survey, {**session.answers, question.id: value})
    return _go_to(survey, session, answers, next_question(survey, answers, question.id))


def _go_to(
    survey: Survey, session: Session, answers: dict[str, AnswerValue], question: Question | None
) -> Transition:
    """Ask `question` (showing its earlier answer), or complete when it is None."""
    if question is None:
        final = {q.id: answers.get(q.id) for q in visible_questions(survey, answers)}
        view, language = survey.results_questions, session.language
        area = final.get(view[1]) if view else None
        finished = Finished(language, area if isinstance(area, str) else None)
        return Transition(None, (finished,), Completed(language, final, session.source))
    asking = _bump(
        session,
        stage="asking",
        current=question.id,
        answers=answers,
        pending=pending_for(question, answers.get(question.id)),
        history=tuple(q.id for q in questions_before(survey, answers, question.id)),
    )
    return _show(survey, asking)


def _toggle(
    survey: Survey, session: Session, question: MultiQuestion, choice_id: str
) -> Transition:
    """Toggle a choice; an exclusive choice clears the others and a normal one clears the
    exclusive ones; going over `max` is refused."""
    choice = question.choice(choice_id)
    if choice is None or choice.retired:
        return Transition(session, (Stale(session.language),))
    pending = set(session.pending)
    if choice_id in pending:
        pending.discard(choice_id)
    elif choice.exclusive:
        pending = {choice_id}
    else:
        exclusive = {c.id for c in question.choices if c.exclusive}
        pending = (pending - exclusive) | {choice_id}
    if question.max is not None and len(pending) > question.max:
        return _retry(survey, session, Problem("too_many", high=question.max))
    return _show(survey, _bump(session, pending=in_choice_order(question, pending)))


def _typed(survey: Survey, session: Session, question: Question, text: str) -> Transition:
    """A typed message: the answer to a text or number question, else a hint to use buttons."""
    if isinstance(question, TextQuestion):
        answer = text.strip()
        if not answer:
            return _retry(survey, session, Problem("empty"))
        if len(answer) > question.max_length:
            return _retry(survey, session, Problem("too_long", high=question.max_length))
        return _answer(survey, session, question, answer)
    if isinstance(question, NumberQuestion):
        number = parse_integer(text)
        if number is None:
            return _retry(survey, session, Problem("not_a_number"))
        if not question.min <= number <= question.max:
            problem = Problem("out_of_range", low=question.min, high=question.max)
            return _retry(survey, session, problem)
        return _answer(survey, session, question, number)
    return _retry(survey, session, Problem("use_buttons"))


def _retry(survey: Survey, session: Session, problem: Problem) -> Transition:
    """Ask the current question again with `problem`; the session is unchanged."""
    return Transition(session, (_ask(survey, session, problem),))


def _show(survey: Survey, session: Session) -> Transition:
    """Show the session's screen: the intro or the current question."""
    if _asked(survey, session) is None:
        return Transition(session, (ShowIntro(session.language, session.step),))
    return Transition(session, (_ask(survey, session),))


def _ask(survey: Survey, session: Session, problem: Problem | None = None) -> Ask:
    question = _asked(survey, session)
    assert question is not None, "only a settled session in stage 'asking' is asked"
    number, total = progress(survey, session.answers, question.id)
    earlier = session.answers.get(question.id)
    selected: tuple[str, ...] = (str(earlier),) if isinstance(earlier, str | int) else ()
    if isinstance(question, MultiQuestion):
        selected = session.pending
    return Ask(
        question=question,
        language=session.language,
        step=session.step,
        number=number,
        total=total,
        selected=selected,
        can_back=True,
        can_skip=question.optional,
        problem=problem,
    )
