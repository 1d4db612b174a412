"""The model the disclosure audit reads: published counters as quantities, with every linear
relation between them that a reader of the published tables could use.

`tally_model(survey, snapshot)` turns published counters (`bot.stats.counters` says what one
response adds) into the quantities `bot.stats.tables` protects.

What must hold: `tally_model` is pure, and its relations hold for the true counts of any set of
responses tallied with `bot.stats.counters.tally_cells` (a missing counter is zero).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.survey.model import Survey
from bot.survey.questions import (
    MultiQuestion,
    NumberQuestion,
    Question,
    ScaleQuestion,
    SingleQuestion,
    TextQuestion,
)
from storage.base import ANSWERED, Cell, Snapshot

#: In a model quantity, the breakdown group of residents who did not answer the breakdown
#: question (never a choice id, which starts with a letter).
NO_ANSWER = "-"

#: A named count: ("R",) responses; ("T", q) answered q; ("O", q, c) chose c; ("N", q, b, g)
#: answered q and chose g at b; ("S", q, c, b, g) chose c and g; ("M", ...), ("X", ...)
#: residents who did not answer (derived, never shown).
Quantity = tuple[str, ...]

RESPONSES: Quantity = ("R",)


# --- the model: quantities and the relations between them --------------------------------


@dataclass(frozen=True)
class Relation:
    """A linear fact every reader knows: sum(plus) == sum(minus)."""

    plus: tuple[Quantity, ...]
    minus: tuple[Quantity, ...]

    @property
    def quantities(self) -> tuple[Quantity, ...]:
        return self.plus + self.minus


@dataclass(frozen=True)
class Group:
    """Residents counted in `total` (answered a question, within one breakdown group), and the
    counts of their answers: when the group is small, every one of them is sensitive."""

    total: Quantity
    members: tuple[Quantity, ...]


@dataclass(frozen=True)
class TallyModel:
    """Every quantity `bot.stats.tables` may publish or must keep from being derived."""

    values: Mapping[Quantity, int]
    #: Quantities that appear in some published table; the rest are derived and never shown.
    shown: frozenset[Quantity]
    #: Derived quantities that only count non-answers (not an answer of anyone).
    non_answers: frozenset[Quantity]
    #: Derived quantities the survey's rules make zero (residents must answer a question
    #: that is always asked; a follow-up is answered exactly when its condition holds),
    #: unless answers to an older version say otherwise: a reader knows these.
    structural_zeros: frozenset[Quantity]
    relations: tuple[Relation, ...]
    groups: tuple[Group, ...]
    #: Breakdown question id -> position, to name a breakdown-by-breakdown count one way.
    breakdown_order: Mapping[str, int]

    def split(self, question: str, choice: str, by: str, group: str) -> Quantity:
        """The quantity "chose `choice` at `question` and `group` at `by`"."""
        return _split(self.breakdown_order, question, choice, by, group)


def _split(order: Mapping[str, int], question: str, choice: str, by: str, group: str) -> Quantity:
    """One name for both orientations of a breakdown-by-breakdown count."""
    if group != NO_ANSWER and question in order and order[question] > order[by]:
        return ("S", by, group, question, choice)
    return ("S", question, choice, by, group)


def tallied_questions(survey: Survey) -> tuple[Question, ...]:
    """The questions that have tallies (every kind but free text), in survey order."""
    return tuple(q for q in survey.questions if not isinstance(q, TextQuestion))


def choice_ids(question: Question) -> tuple[str, ...]:
    """The ids of a question's choices (none for number and text questions)."""
    if isinstance(question, NumberQuestion | TextQuestion):
        return ()
    return tuple(c.id for c in question.choices)


def always_answered(question: Question) -> bool:
    """Whether every resident answers this question (asked of all, cannot be skipped)."""
    return not question.optional and question.show_if is None and not question.retired


def is_additive(question: Question) -> bool:
    """Whether a question's choice counts add up to its answered count (one choice each)."""
    return isinstance(question, SingleQuestion | ScaleQuestion)


def tally_model(survey: Survey, snapshot: Snapshot) -> TallyModel:
    """The quantities of a snapshot and the relations between them (see `Relation`)."""
    return _ModelBuilder(survey, snapshot).build()


class _ModelBuilder:
    def __init__(self, survey: Survey, snapshot: Snapshot) -> None:
        self.survey = survey
        self.cells = snapshot.cells
        self.values: dict[Quantity, int] = {RESPONSES: snapshot.responses}
        self.shown: set[Quantity] = {RESPONSES}
        self.non_answers: set[Quantity] = set()
        self.structural_zeros: set[Quantity] = set()
        self.relations: list[Relation] = []
        self.groups: list[Group] = []
        self.breakdowns = survey.breakdown_questions
        self.order = {b.id: i for i, b in enumerate(self.breakdowns)}

    def split(self, question: str, choice: str, by: str, group: str) -> Quantity:
        return _split(self.order, question, choice, by, group)

    def count(self, question: str, choice: str, by: str = "", group: str = "") -> int:
        return self.cells.get(Cell(question, choice, by, group), 0)

    def relate(self, plus: Iterable[Quantity], minus: Iterable[Quantity]) -> None:
        self.relations.append(Relation(tuple(plus), tuple(minus)))

    def derive(self, quantity: Quantity, value: int, *, non_answer: bool, certain: bool) -> None:
        """A quantity never shown; `certain`: zero by the survey's rules (for answers given
        to this version of it), which every reader knows."""
        self.values[quantity] = value
        if non_answer:
            self.non_answers.add(quantity)
        if certain:
            self.structural_zeros.add(quantity)

    def build(self) -> TallyModel:
        questions = tallied_questions(self.survey)
        for question in questions:  # shown counts first: derived ones are differences of them
            self.show_question(question)
        for question in questions:
            skipped = self.values[RESPONSES] - self.values["T", question.id]
            certain = always_answered(question)
            self.derive(("M", question.id), skipped, non_answer=True, certain=certain)
        for question in questions:
            self.relate_question(question)
        for question in questions:
            self.relate_condition(question)
        return TallyModel(
            values=dict(self.values),
            shown=frozenset(self.shown),
            non_answers=frozenset(self.non_answers),
            structural_zeros=frozenset(self.structural_zeros),
            relations=tuple(self.relations),
            groups=tuple(self.groups),
            breakdown_order=self.order,
        )

    def show(self, quantity: Quantity, value: int) -> None:
        self.values[quantity] = value
        self.shown.add(quantity)

    def show_question(self, q: Question) -> None:
        self.show(("T", q.id), self.count(q.id, ANSWERED))
        for c in choice_ids(q):
            self.show(("O", q.id, c), self.count(q.id, c))
        for b in self.breakdowns:
            if b.id == q.id:
                continue
            for g in choice_ids(b):
                self.show(("N", q.id, b.id, g), self.count(q.id, ANSWERED, b.id, g))
                for c in choice_ids(q):
                    self.show(self.split(q.id, c, b.id, g), self.count(q.id, c, b.id, g))

    def relate_question(self, q: Question) -> None:
        total = ("T", q.id)
        self.relate([total, ("M", q.id)], [RESPONSES])
        overall = [("O", q.id, c) for c in choice_ids(q)]
        self.groups.append(Group(total, tuple(overall)))
        if is_additive(q):
            self.relate(overall, [total])
        for b in self.breakdowns:
            if b.id != q.id:
                self.relate_split(q, b)

    def relate_split(self, q: Question, b: Question) -> None:
        v, split = self.values, self.split
        groups = (*choice_ids(b), NO_ANSWER)
        sizes = {g: ("N", q.id, b.id, g) for g in groups}
        known = sum(v[sizes[g]] for g in groups[:-1])
        certain = always_answered(b)
        self.derive(sizes[NO_ANSWER], v["T", q.id] - known, non_answer=False, certain=certain)
        self.relate(sizes.values(), [("T", q.id)])
        for c in choice_ids(q):
            row = [split(q.id, c, b.id, g) for g in groups]
            value = v["O", q.id, c] - sum(v[s] for s in row[:-1])
            self.derive(row[-1], value, non_answer=False, certain=certain)
            self.relate(row, [("O", q.id, c)])
        for g in groups:
            members = tuple(split(q.id, c, b.id, g) for c in choice_ids(q))
            self.groups.append(Group(sizes[g], members))
            if is_additive(q):
                self.relate(members, [sizes[g]])
        # Residents who chose g at b but did not answer q; for a breakdown q this is the
        # "did not answer q" group of b's own split by q, so it gets that name.
        missing: list[Quantity] = []
        for g in choice_ids(b):
            name = split(b.id, g, q.id, NO_ANSWER) if q.id in self.order else None
            gap = name or ("M", q.id, b.id, g)
            if name is None:
                value = v["O", b.id, g] - v[sizes[g]]
                self.derive(gap, value, non_answer=True, certain=always_answered(q))
            self.relate([sizes[g], gap], [("O", b.id, g)])
            missing.append(gap)
        neither = ("M", *sorted((q.id, b.id)))
        value = v["M", b.id] - v[sizes[NO_ANSWER]]
        either = always_answered(q) or always_answered(b)
        self.derive(neither, value, non_answer=True, certain=either)
        self.relate([sizes[NO_ANSWER], neither], [("M", b.id)])
        self.relate([*missing, neither], [("M", q.id)])

    def relate_condition(self, q: Question) -> None:
        """A follow-up asked only after certain answers: its residents are (nearly) a count
        published for the earlier question. Linear only for one condition on one question."""
        if q.show_if is None or len(q.show_if) != 1:
            return
        ((parent_id, wanted),) = q.show_if.items()
        parent = self.survey.question(parent_id)
        if parent is None or isinstance(parent, NumberQuestion | TextQuestion):
            return
        if isinstance(parent, MultiQuestion) and len(wanted) != 1:
            return  # "any of several" overlaps: not a sum of published counts
        v, split = self.values, self.split
        shown = [("O", parent.id, a) for a in wanted]
        gap = ("X", q.id)
        value = sum(v[s] for s in shown) - v["T", q.id]
        self.derive(gap, value, non_answer=True, certain=not q.optional)
        self.relate(shown, [("T", q.id), gap])
        for b in self.breakdowns:
            if b.id in (q.id, parent.id):
                continue
            for g in (*choice_ids(b), NO_ANSWER):
                parts = [split(parent.id, a, b.id, g) for a in wanted]
                size, rest = ("N", q.id, b.id, g), ("X", q.id, b.id, g)
                value = sum(v[p] for p in parts) - v[size]
                self.derive(rest, value, non_answer=True, certain=not q.optional)
                self.relate(parts, [size, rest])
