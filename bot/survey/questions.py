"""Question models: the kinds of question, choices, texts and the limits they must respect.

What must hold: every model is frozen; a question validates on its own (its kind's fields, ids
matching `ID_PATTERN`); rules that need the whole survey live in `bot.survey.checks`.
"""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

#: Languages shipped with bot catalogs (bot/conversation/locale) and the sample survey; any
#: language CLDR knows may be added without code (docs/translation.md).
SUPPORTED_LANGUAGES: tuple[str, ...] = ("sv", "en", "ar", "fa", "so", "ti")
#: Where a date or naive datetime in the survey file is read.
DEFAULT_ZONE = ZoneInfo("Europe/Stockholm")
#: Telegram's limit for one message; rendering adds a progress line and hints.
TELEGRAM_TEXT_LIMIT = 4096
#: The longest text an admin may write, leaving room for what the bot adds around it.
MAX_TEXT_LENGTH = 3800
#: Button labels longer than this wrap badly on phones; Telegram truncates them.
MAX_LABEL_LENGTH = 60
#: Ids travel in callback data (at most 64 bytes together with the step and action).
ID_PATTERN = r"^[a-z][a-z0-9_]{0,23}$"

#: The survey's own translated texts (besides those of questions and choices).
SURVEY_TEXT_FIELDS: tuple[str, ...] = ("title", "intro", "privacy", "thanks")

Id = Annotated[str, Field(pattern=ID_PATTERN)]
#: A translated text: language code -> text.
Text = dict[str, str]


class FrozenModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Choice(FrozenModel):
    """One answer button."""

    id: Id
    label: Text
    #: Cannot be combined with other choices in a multi question ("don't know").
    exclusive: bool = False
    #: Kept so collected answers stay readable, but no longer offered to residents.
    retired: bool = False


class _QuestionBase(FrozenModel):
    id: Id
    text: Text
    #: Optional hint shown under the question text.
    help: Text | None = None
    #: Residents may skip it (a Skip button / "-" in the terminal).
    optional: bool = False
    #: Show only when every named earlier question was answered with one of the listed choices.
    show_if: dict[str, tuple[Id, ...]] | None = None
    #: Kept for collected answers, no longer asked.
    retired: bool = False


class _ChoiceQuestion(_QuestionBase):
    choices: tuple[Choice, ...] = Field(min_length=2)

    def choice(self, choice_id: str) -> Choice | None:
        """The choice with this id, or None."""
        for choice in self.choices:
            if choice.id == choice_id:
                return choice
        return None

    @property
    def active_choices(self) -> tuple[Choice, ...]:
        """The choices still offered to residents."""
        return tuple(c for c in self.choices if not c.retired)


class SingleQuestion(_ChoiceQuestion):
    """Exactly one choice."""

    kind: Literal["single"]
    #: Staff may split tallies by this question (area, age band, gender).
    breakdown: bool = False


class ScaleQuestion(_ChoiceQuestion):
    """One choice from an ordered scale, e.g. very safe .. very unsafe."""

    kind: Literal["scale"]
    breakdown: bool = False
    #: How many choices, from the first, are the steps of the scale; the rest ("don't know")
    #: are answers outside it. None: every choice is a step. Charts draw the steps as a
    #: diverging bar and the rest beside it.
    #: At most the number of choices (`bot.survey.checks`).
    steps: int | None = Field(default=None, ge=2)

    @property
    def step_count(self) -> int:
        """How many of the choices, from the first, are steps of the scale."""
        return len(self.choices) if self.steps is None else min(self.steps, len(self.choices))


class MultiQuestion(_ChoiceQuestion):
    """Several choices, toggled, then Done."""

    kind: Literal["multi"]
    #: At most this many choices (None: any number).
    max: int | None = Field(default=None, ge=1)


class NumberQuestion(_QuestionBase):
    """A whole number typed by the resident."""

    kind: Literal["number"]
    min: int = 0
    max: int = 150


class TextQuestion(_QuestionBase):
    """Free text typed by the resident; scrubbed before storage, never tallied."""

    kind: Literal["text"]
    max_length: int = Field(default=500, ge=1, le=MAX_TEXT_LENGTH)


Question = Annotated[
    SingleQuestion | ScaleQuestion | MultiQuestion | NumberQuestion | TextQuestion,
    Field(discriminator="kind"),
]
ChoiceQuestion = SingleQuestion | ScaleQuestion | MultiQuestion
QUESTION_KINDS: dict[str, type[_QuestionBase]] = {
    "single": SingleQuestion,
    "scale": ScaleQuestion,
    "multi": MultiQuestion,
    "number": NumberQuestion,
    "text": TextQuestion,
}
