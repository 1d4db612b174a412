"""The survey definition: the admin's YAML contract as frozen pydantic models.

What must hold:
- a `Survey` is immutable and fully cross-checked once built (every text in every language,
  unique ids, `show_if` pointing only backwards at existing choices);
- `survey_version(survey)` depends on the survey's meaning only (ids, kinds, texts, conditions,
  choices), never on YAML formatting, comments or key order;
- loading from a file (`bot.survey.loader`) reports every problem at once, with line numbers.

This module has no I/O; `bot.survey.loader` reads files and maps errors to lines. A `Survey`
runs the cross-checks of `bot.survey.checks` when built, so one built in code is held to the
same rules as one loaded from YAML.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.survey.checks import survey_issues
from bot.survey.indicators import Indicator, ShareIndicator, indicator_issues
from bot.survey.questions import (
    DEFAULT_ZONE,
    SURVEY_TEXT_FIELDS,
    FrozenModel,
    Id,
    Question,
    ScaleQuestion,
    SingleQuestion,
    Text,
)
from bot.survey.releases import Releases, release_issues
from bot.survey.sources import Source, SourceQuestion, source_issues, source_question


class Survey(FrozenModel):
    """A whole survey as the admin wrote it."""

    id: Id
    title: Text
    #: The first language is the default for residents whose Telegram language is not offered.
    languages: tuple[str, ...] = Field(min_length=1)
    #: When residents may start answering (None: already open). Europe/Stockholm unless zoned.
    opens: datetime | None = None
    #: When answering stops (None: never). A bare date closes at the end of that day.
    closes: datetime | None = None
    #: Published numbers below this are suppressed ("<5").
    min_group_size: int = Field(default=5, ge=2, le=1000)
    #: When published tallies advance (`bot.survey.releases`); operational.
    releases: Releases = Releases()
    #: Languages no professional translator has reviewed: residents get them, but `validate`
    #: flags them and they must be reviewed before launch (docs/translation.md).
    drafts: tuple[str, ...] = ()
    intro: Text
    privacy: Text
    thanks: Text
    #: The admin's questions, then (when `sources` are declared) the synthetic source question
    #: of `bot.survey.sources`, which is never asked and never written out.
    questions: tuple[Question, ...] = Field(min_length=1)
    #: The headline numbers of the lägesbild (`bot.survey.indicators`); operational.
    indicators: tuple[Indicator, ...] = ()
    #: Where residents found the survey (`bot.survey.sources`); operational.
    sources: tuple[Source, ...] = ()

    @field_validator("opens", mode="before")
    @classmethod
    def _opens_at_start_of_day(cls, value: object) -> object:
        return as_zoned(value, end_of_day=False)

    @field_validator("closes", mode="before")
    @classmethod
    def _closes_at_end_of_day(cls, value: object) -> object:
        return as_zoned(value, end_of_day=True)

    @field_validator("drafts")
    @classmethod
    def _drafts_are_languages(cls, drafts: tuple[str, ...], info: ValidationInfo) -> object:
        languages = info.data.get("languages") or ()
        unknown = [lang for lang in drafts if lang not in languages]
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)} not listed in languages - list only languages of the "
                "survey here"
            )
        return drafts

    @model_validator(mode="after")
    def _cross_checked(self) -> Survey:
        issues = survey_issues(
            languages=self.languages,
            texts={name: getattr(self, name) for name in SURVEY_TEXT_FIELDS},
            opens=self.opens,
            closes=self.closes,
            question_ids=[q.id for q in self.questions],
            questions=dict(enumerate(self.questions)),
        )
        issues += indicator_issues(
            self.indicators, {q.id: q for q in self.questions}, self.languages
        )
        issues += source_issues(self.sources, self.languages, [q.id for q in self.questions])
        issues += release_issues(self.releases, self.min_group_size)
        if issues:
            raise PydanticCustomError(
                "survey_issues", "{issues}", {"issues": "; ".join(map(str, issues))}
            )
        if self.sources:
            # Frozen, and checked: the one place a survey gains its source question.
            extra = source_question(self.sources, self.languages)
            self.__dict__["questions"] = (*self.questions, extra)
        return self

    @field_serializer("questions", mode="wrap")
    def _declared_only(
        self, questions: tuple[Question, ...], handler: SerializerFunctionWrapHandler
    ) -> object:
        """Written out as the admin wrote them: without the source question."""
        return handler(tuple(q for q in questions if not isinstance(q, SourceQuestion)))

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def offered_language(self, code: str | None) -> str | None:
        """The survey language matching a Telegram language code ("ar", "ar-SY", "pt_BR"): the
        exact code, else its first subtag; None when the survey does not offer it."""
        wanted = (code or "").replace("_", "-").lower()
        for candidate in (wanted, wanted.split("-")[0]):
            for language in self.languages:
                if language.replace("_", "-").lower() == candidate:
                    return language
        return None

    @property
    def active_questions(self) -> tuple[Question, ...]:
        """The questions residents are asked (retired ones are kept only for old answers)."""
        return tuple(
            q for q in self.questions if not q.retired and not isinstance(q, SourceQuestion)
        )

    @property
    def declared_questions(self) -> tuple[Question, ...]:
        """The questions as the admin wrote them (without the source question)."""
        return tuple(q for q in self.questions if not isinstance(q, SourceQuestion))

    @property
    def breakdown_questions(self) -> tuple[SingleQuestion | ScaleQuestion, ...]:
        """Background questions by which staff may split tallies."""
        return tuple(
            q
            for q in self.questions
            if isinstance(q, SingleQuestion | ScaleQuestion) and q.breakdown
        )

    @property
    def results_questions(self) -> tuple[str, str] | None:
        """(question, breakdown) of the thank-you screen's "how others in your area answered":
        the question of the first share indicator, split by the first declared breakdown
        question (the area); None when the survey has neither."""
        shares = [i for i in self.indicators if isinstance(i, ShareIndicator)]
        areas = [q for q in self.breakdown_questions if not isinstance(q, SourceQuestion)]
        if not shares or not areas or shares[0].question == areas[0].id:
            return None
        return shares[0].question, areas[0].id

    def release_due(self, published: int, now: datetime) -> int:
        """Completed responses at which the release after one of `published` is due
        (`Releases.due_after`; after `closes`, as soon as a batch of `min_group_size` waits)."""
        closed = self.closes is not None and now >= self.closes
        return self.releases.due_after(published, self.min_group_size, closed=closed)

    def question(self, question_id: str) -> Question | None:
        """The question with this id, or None."""
        for question in self.questions:
            if question.id == question_id:
                return question
        return None

    def is_open(self, now: datetime) -> bool:
        """Whether residents may answer at `now` (an aware datetime)."""
        if self.opens is not None and now < self.opens:
            return False
        return not (self.closes is not None and now >= self.closes)

    @cached_property
    def version(self) -> str:
        """`survey_version(self)`, computed once (the model is frozen)."""
        return survey_version(self)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Survey:
        """A copy; the cached version is recomputed for it."""
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("version", None)
        return copy


def as_zoned(value: object, *, end_of_day: bool) -> object:
    """Read a YAML date or naive datetime as Europe/Stockholm local time."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=DEFAULT_ZONE)
    if isinstance(value, date):
        start = datetime.combine(value, time.min, tzinfo=DEFAULT_ZONE)
        return start + timedelta(days=1) if end_of_day else start
    if isinstance(value, str):
        try:
            parsed_date = date.fromisoformat(value)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                return value
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=DEFAULT_ZONE)
        return as_zoned(parsed_date, end_of_day=end_of_day)
    return value


#: Fields that change when the survey runs or is published, not what residents answer.
_OPERATIONAL_FIELDS = {
    "opens",
    "closes",
    "min_group_size",
    "releases",
    "drafts",
    "indicators",
    "sources",
}


def survey_version(survey: Survey) -> str:
    """A stable 12-hex-digit hash of what residents are asked and can answer.

    Ignores formatting, comments and key order (the hash is over a canonical JSON form), and
    the operational fields `opens`, `closes` and `min_group_size`, which do not change the
    meaning of an answer. Fields left at their default count as absent, so writing a default
    out (`optional: false`) or a new release adding a field with a default keeps the version.
    The choices a `show_if` condition lists are a set: their order does not count.
    """
    meaning = survey.model_dump(mode="json", exclude=_OPERATIONAL_FIELDS, exclude_defaults=True)
    for question in meaning["questions"]:
        if "show_if" in question:
            question["show_if"] = {q: sorted(set(c)) for q, c in question["show_if"].items()}
    canonical = json.dumps(meaning, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]
