"""The residents' conversation, its vocabulary: the session, events and replies
(`bot.conversation.engine`
runs them, and is where the rest of the bot imports them from).

What must hold:
- every type here is immutable data: a `Session` is a frozen pydantic model (it is stored as
  JSON), events and replies are frozen dataclasses; nothing here has behaviour or I/O;
- events are named as facts ("what happened"), replies as instructions ("what to show");
- events with a `step` are the button events, and every reply with buttons (`ShowIntro`,
  `Ask`) carries the session's `step`; events with a `message` are the resident's own chat
  messages, and carry its chat-local id when the adapter knows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.conversation.answers import AnswerValue
from bot.survey.questions import Question
from bot.survey.sources import OTHER


class Session(BaseModel):
    """One resident's progress; persisted (as JSON) after every step."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    survey_version: str
    language: str
    stage: Literal["intro", "asking"] = "intro"
    #: The id of the question being asked (stage "asking").
    current: str | None = None
    #: Answers so far, by question id, in the order given.
    answers: dict[str, AnswerValue] = {}
    #: Choices toggled on the current multi question, not yet confirmed with Done.
    pending: tuple[str, ...] = ()
    #: Question ids asked before the current one, oldest first, for Back.
    history: tuple[str, ...] = ()
    #: Increases with every change; buttons carry it so stale presses are recognised.
    step: int = 0
    #: The chat message that shows the survey. Owned by the adapter; the engine only keeps it.
    screen: int | None = None
    #: Chat messages with typed answers, to delete later. Owned by the adapter; kept as is.
    typed: tuple[int, ...] = ()
    #: The chat-local id of the last message (typed text, a command) applied to this session:
    #: a message with this id or a lower one is one delivered again (after a crash before
    #: Telegram learnt it was handled), and is not applied twice. Message ids in a private chat
    #: are that chat's own counter, never global; nothing else about the message is kept.
    message: int | None = None
    #: Where the resident found the survey: a declared source code or `OTHER`, fixed when the
    #: session is created (a later /start with another link does not change it).
    source: str = OTHER


# --- events: what happened ------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """The resident sent /start. `language` is their Telegram language, if known; `payload`
    what followed /start (a deep link's source code), if anything."""

    language: str | None = None
    payload: str | None = None
    #: The message's id in the resident's chat (see `Session.message`); None: not known.
    message: int | None = None


@dataclass(frozen=True)
class Began:
    """The Start button on the intro was pressed."""

    step: int


@dataclass(frozen=True)
class ChoicePicked:
    """A choice of a single or scale question was pressed."""

    step: int
    choice: str


@dataclass(frozen=True)
class ChoiceToggled:
    """A choice of a multi question was pressed (on if off, off if on)."""

    step: int
    choice: str


@dataclass(frozen=True)
class MultiDone:
    """Done was pressed on a multi question."""

    step: int


@dataclass(frozen=True)
class TextSent:
    """The resident typed a message (the answer to a text or number question, or a mistake)."""

    text: str
    #: The message's id in the resident's chat (see `Session.message`); None: not known.
    message: int | None = None


@dataclass(frozen=True)
class Skipped:
    """Skip was pressed on an optional question."""

    step: int


@dataclass(frozen=True)
class WentBack:
    """Back was pressed."""

    step: int


@dataclass(frozen=True)
class Restarted:
    """/restart: forget the answers in progress and start again from the first question."""

    #: The message's id in the resident's chat (see `Session.message`); None: not known.
    message: int | None = None


@dataclass(frozen=True)
class Cancelled:
    """/cancel: discard the answers in progress."""


@dataclass(frozen=True)
class LanguageChosen:
    """A language button was pressed (from /language, the intro or the first language
    screen, whose buttons carry the source of the /start that showed it)."""

    language: str
    source: str | None = None


UnexpectedKind = Literal[
    "sticker", "photo", "voice", "video", "document", "location", "contact", "edited", "other"
]


@dataclass(frozen=True)
class Unexpected:
    """Something that is not an answer: a sticker, a photo, an edited message..."""

    kind: UnexpectedKind
    #: The message's id in the resident's chat (see `Session.message`); None: not known (and
    #: for an edit, whose id is the edited message's).
    message: int | None = None


Event = (
    Opened
    | Began
    | ChoicePicked
    | ChoiceToggled
    | MultiDone
    | TextSent
    | Skipped
    | WentBack
    | Restarted
    | Cancelled
    | LanguageChosen
    | Unexpected
)


# --- replies: what to show -------------------------------------------------------------------

ProblemKind = Literal[
    "use_buttons",  # typed text while buttons are expected
    "command",  # a typed bot command where an answer or a button is expected
    "not_a_number",
    "out_of_range",  # number outside min..max (see Problem.low/high)
    "too_long",  # text over max_length (see Problem.high)
    "empty",  # blank text
    "too_many",  # more than max choices on a multi question (see Problem.high)
    "pick_one",  # Done on a multi question with nothing chosen
    "not_supported",  # a sticker, photo, voice... (see Problem.what)
]


@dataclass(frozen=True)
class Problem:
    """Why the last input was not accepted; rendered as a short translated hint."""

    kind: ProblemKind
    low: int | None = None
    high: int | None = None
    what: str | None = None


@dataclass(frozen=True)
class ShowIntro:
    """The intro, privacy notice, a Start button and language buttons."""

    language: str
    step: int


@dataclass(frozen=True)
class Ask:
    """Show (or show again) a question."""

    question: Question
    language: str
    step: int
    #: 1-based position among the questions this resident will see, and their count.
    number: int
    total: int
    #: The resident's current choice(s) for this question: toggles on a multi question, or the
    #: earlier answer when they came back to it.
    selected: tuple[str, ...] = ()
    can_back: bool = False
    can_skip: bool = False
    problem: Problem | None = None


@dataclass(frozen=True)
class Finished:
    """The survey is complete: show the thank-you. `area` is the resident's answer to the
    breakdown question of `Survey.results_questions`, for "how others in your area answered"
    (None: not answered, or the survey has no such view)."""

    language: str
    area: str | None = None


@dataclass(frozen=True)
class AreaResults:
    """How others in the resident's area answered one question, as last published: only
    shares the disclosure layer shows (`bot.conversation.results` builds it)."""

    language: str
    #: The area's label and the question's text, in `language`.
    area: str
    question: str
    #: (choice label, percent of the area's residents who answered) for each shown share.
    shares: tuple[tuple[str, float], ...]
    #: The area's residents who answered the question (a published count).
    residents: int


@dataclass(frozen=True)
class AlreadyAnswered:
    """This resident already completed the survey."""

    language: str


@dataclass(frozen=True)
class Closed:
    """The survey is not open now."""

    language: str
    not_yet: bool


@dataclass(frozen=True)
class Stale:
    """A button of an old message or an already answered question: nothing changed."""

    language: str


@dataclass(frozen=True)
class Hint:
    """Input that is not an answer where no question is being asked."""

    language: str
    problem: Problem


@dataclass(frozen=True)
class Discarded:
    """/cancel removed the answers in progress."""

    language: str


@dataclass(frozen=True)
class ChooseLanguage:
    """A first-time resident whose Telegram language the survey does not offer: list the
    survey's languages, each in its own name. `language` is the default (for hints);
    `source` the /start's source, which the language buttons carry to the new session."""

    language: str
    source: str = OTHER


Reply = (
    ChooseLanguage
    | ShowIntro
    | Ask
    | Finished
    | AlreadyAnswered
    | Closed
    | Stale
    | Hint
    | Discarded
)


@dataclass(frozen=True)
class Completed:
    """The final answers of a completed survey, for the store to write as one response.

    Only questions the resident was shown appear; skipped optional questions map to None.
    """

    language: str
    answers: dict[str, AnswerValue]
    #: The session's source (a declared code or `OTHER`).
    source: str = OTHER


@dataclass(frozen=True)
class Transition:
    """The result of one event: the new session (None when it is over) and what to show."""

    session: Session | None
    replies: tuple[Reply, ...]
    completed: Completed | None = None
