"""The disclosure layer against an independent attacker.

The attacker here does not use `bot.stats.model.TallyModel`. It knows the survey, so the set of
possible answer profiles (one per combination of answers a resident can give), and sees every
published number of every table; each published number is a linear function of how many
residents gave each profile. A hidden count is recoverable exactly iff its function lies in the
span of the published ones. The attacker also uses non-negativity where it is easy: a published
or derivable zero means no resident has any profile it counts.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.stats import tables as stats
from bot.stats.disclosure import audit
from bot.stats.model import RESPONSES, choice_ids, tallied_questions, tally_model
from bot.stats.tables import PublishedCount, Suppressed, Table
from bot.survey.model import Survey
from bot.survey.questions import MultiQuestion, NumberQuestion, Question, TextQuestion
from storage.base import Snapshot
from tests.stats import answers, make_survey, snapshot_of, varied

Profile = dict[str, object]
Config = tuple[int, int, bool, bool, bool, bool]


class Space:
    """Every combination of answers a resident can complete a survey with (text left out: it
    is never tallied), and what each published count counts, as 0/1 vectors over them."""

    def __init__(self, survey: Survey) -> None:
        self.survey = survey
        found: list[Profile] = [{}]
        for question in survey.questions:
            if isinstance(question, TextQuestion):
                continue
            options: list[object]
            if isinstance(question, NumberQuestion):
                options = [7]
            elif isinstance(question, MultiQuestion):
                ids = [c.id for c in question.choices]
                options = [s for n in (1, 2, 3) for s in itertools.combinations(ids, n)]
            else:
                options = [c.id for c in question.choices]
            if question.optional:
                options.append(None)
            grown: list[Profile] = []
            for profile in found:
                conditions = (question.show_if or {}).items()
                if all(_chose(profile.get(p), allowed) for p, allowed in conditions):
                    grown += [{**profile, question.id: o} for o in options]
                else:
                    grown.append(profile)
            found = grown
        self.profiles = found
        self._atoms: dict[tuple[str, str | None], np.ndarray] = {}

    def chose(self, question: str, choice: str) -> np.ndarray:
        key = (question, choice)
        if key not in self._atoms:
            self._atoms[key] = np.array([_chose(p.get(question), (choice,)) for p in self.profiles])
        return self._atoms[key]

    def answered(self, question: str) -> np.ndarray:
        key = (question, None)
        if key not in self._atoms:
            self._atoms[key] = np.array([p.get(question) is not None for p in self.profiles])
        return self._atoms[key]

    def skipped(self, question: str) -> np.ndarray:
        return ~self.answered(question)

    def states(self, question: Question) -> list[np.ndarray]:
        found = [self.answered(question.id), self.skipped(question.id)]
        return found + [self.chose(question.id, c) for c in choice_ids(question)]

    def zero_candidates(self) -> np.ndarray:
        """Counts whose zero a reader may derive: every answer, and every pair of answers to
        two questions."""
        states = [self.states(q) for q in tallied_questions(self.survey)]
        found = [s for group in states for s in group]
        for a, b in itertools.combinations(states, 2):
            found += [x & y for x in a for y in b]
        return np.array(found, dtype=float)


def _chose(value: object, allowed: tuple[str, ...] | list[str]) -> bool:
    if isinstance(value, tuple):
        return any(v in allowed for v in value)
    return value in allowed


@functools.cache
def world(config: Config) -> tuple[Survey, Space, np.ndarray]:
    k, areas, area_optional, age_optional, feel_optional, follow_up = config
    survey = make_survey(
        k=k,
        areas=("north", "south", "east")[:areas],
        area_optional=area_optional,
        age_optional=age_optional,
        feel_optional=feel_optional,
        follow_up=follow_up,
    )
    space = Space(survey)
    return survey, space, space.zero_candidates()


@dataclass
class Shown:
    name: str
    count: PublishedCount
    where: np.ndarray


def every_published(space: Space, snapshot: Snapshot) -> list[Shown]:
    """Every number of every table (and the headline), with what it counts."""
    survey = space.survey
    everyone = np.ones(len(space.profiles), dtype=bool)
    found = [Shown("R", stats.headline(survey, snapshot, 0, "en").responses, everyone)]
    for question_id, by_id in stats.available_tables(survey):
        if by_id is None:
            table = stats.overall_table(survey, snapshot, question_id, "en")
        else:
            table = stats.split_table(survey, snapshot, question_id, by_id, "en")
        found += published_in(space, table)
    return found


def published_in(space: Space, table: Table) -> list[Shown]:
    q, b = table.question_id, table.by_question_id
    found = [Shown(f"T {q}", table.total, space.answered(q))]
    for r, c in enumerate(table.row_ids):
        found.append(Shown(f"O {q}={c}", table.row_totals[r], space.chose(q, c)))
    if b is None or table.column_ids is None:
        return found
    for j, g in enumerate(table.column_ids):
        group = space.chose(b, g)
        found.append(Shown(f"N {q} {b}={g}", table.column_totals[j], space.answered(q) & group))
        for r, c in enumerate(table.row_ids):
            where = space.chose(q, c) & group
            found.append(Shown(f"S {q}={c} {b}={g}", table.cells[r][j], where))
    return found


def hidden_groups(space: Space) -> list[tuple[str, np.ndarray, list[tuple[str, np.ndarray]]]]:
    """Residents who answered a question but skipped a breakdown question: never shown, but a
    group like any other, whose answers must not be recoverable when it is small."""
    found = []
    for question in tallied_questions(space.survey):
        for by in space.survey.breakdown_questions:
            if by.id == question.id:
                continue
            away = space.skipped(by.id)
            members = [
                (f"S {question.id}={c} {by.id}=-", space.chose(question.id, c) & away)
                for c in choice_ids(question)
            ]
            total = space.answered(question.id) & away
            found.append((f"N {question.id} {by.id}=-", total, members))
    return found


class Attacker:
    """Everything a reader of all published tables can compute exactly."""

    def __init__(self, space: Space, candidates: np.ndarray, shown: list[Shown]) -> None:
        self.active = np.ones(len(space.profiles), dtype=bool)
        published = [(s.where, s.count) for s in shown if isinstance(s.count, int)]
        self.rows = np.array([w for w, _ in published], dtype=float).reshape(
            len(published), len(space.profiles)
        )
        self.counts = np.array([float(c) for _, c in published])
        while True:  # non-negativity: a derivable zero empties every profile it counts
            self._solve()
            zero = self.pinned(candidates) & (np.abs(self.values(candidates)) < 1e-6)
            emptied = np.any(candidates[zero] > 0, axis=0) & self.active
            if not np.any(emptied):
                return
            self.active &= ~emptied

    def _solve(self) -> None:
        rows = self.rows[:, self.active]
        if not np.any(rows):
            self.basis, self.solver = np.zeros((0, rows.shape[1])), np.zeros(0)
            return
        u, singular, vt = np.linalg.svd(rows, full_matrices=False)
        rank = int(np.sum(singular > 1e-9 * max(1.0, float(singular[0]))))
        self.basis = vt[:rank]
        # For w in the row space, w = rows.T @ y and its value is counts @ y.
        self.solver = self.counts @ u[:, :rank] / singular[:rank]

    def pinned(self, vectors: np.ndarray) -> np.ndarray:
        w = vectors[:, self.active]
        residual = w - (w @ self.basis.T) @ self.basis
        return np.asarray(np.linalg.norm(residual, axis=1) < 1e-6)

    def values(self, vectors: np.ndarray) -> np.ndarray:
        return np.asarray((vectors[:, self.active] @ self.basis.T) @ self.solver)

    def recoverable(self, where: np.ndarray) -> bool:
        """Whether this count is determined exactly and is not just "nobody at all"."""
        v = where.astype(float)[None, :]
        return bool(np.any(v[:, self.active]) and self.pinned(v)[0])


# --- the properties --------------------------------------------------------------------------


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Config, list[int]]:
    """A survey, and residents as indices into its profiles: a few popular profiles and some
    rare ones (the small cells suppression is about)."""
    config = (
        draw(st.integers(3, 10)),
        draw(st.integers(2, 3)),
        draw(st.booleans()),
        draw(st.booleans()),
        draw(st.booleans()),
        draw(st.booleans()),
    )
    size = len(world(config)[1].profiles)
    common = draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=6))
    weights = draw(st.lists(st.integers(0, 12), min_size=len(common), max_size=len(common)))
    rare = draw(st.lists(st.integers(0, size - 1), max_size=6))
    chosen = [i for i, w in zip(common, weights, strict=True) for _ in range(w)]
    return config, chosen + rare


def _setup(scenario: tuple[Config, list[int]]) -> tuple[Survey, Space, np.ndarray, Snapshot]:
    config, chosen = scenario
    survey, space, _ = world(config)
    snapshot = snapshot_of(survey, [space.profiles[i] for i in chosen])
    counts = np.bincount(np.array(chosen, dtype=int), minlength=len(space.profiles))
    return survey, space, counts, snapshot


@settings(max_examples=80, deadline=None)
@given(scenarios())
def test_no_hidden_count_can_be_recovered(scenario: tuple[Config, list[int]]) -> None:
    survey, space, counts, snapshot = _setup(scenario)
    k = survey.min_group_size
    shown = every_published(space, snapshot)

    # (a) no count of 1..k-1 is shown, and (c) what is shown is the truth.
    for s in shown:
        if isinstance(s.count, int):
            assert not 0 < s.count < k, s.name
            assert s.count == int(counts @ s.where), s.name
        else:
            assert s.count == Suppressed(k)

    # A small group is hidden whole, zeros too, unless other shown zeros say it anyway.
    for s in shown:
        if s.name.startswith(("N ", "T ")) and 0 < int(counts @ s.where) < k:
            head, _, group = s.name.partition(" ")[2].partition(" ")
            prefix = f"O {head}=" if s.name.startswith("T ") else f"S {head}="
            for m in shown:
                if m.name.startswith(prefix) and m.name.endswith(group):
                    assert isinstance(m.count, Suppressed) or _zero_anyway(m, shown), m.name

    # (b) no hidden count (nor a count of residents who skipped a breakdown question, when
    # that group is small) can be had by adding and subtracting published ones.
    attacker = Attacker(space, np.zeros((0, len(space.profiles))), shown)
    for s in shown:
        if isinstance(s.count, Suppressed):
            assert not attacker.recoverable(s.where) or _zero_anyway(s, shown), s.name
    for name, total, members in hidden_groups(space):
        size = int(counts @ total)
        for member_name, where in [(name, total), *members]:
            if 0 < int(counts @ where) < k or 0 < size < k:
                obvious = _zero_anyway(Shown(member_name, 0, where), shown)
                assert not attacker.recoverable(where) or obvious, member_name


@pytest.mark.parametrize(
    ("config", "chosen"),
    [
        # Everyone chose "park" and nobody "street" or "station" in the south: since a multi
        # answer has at least one choice, nobody in the south answered, so all are in the north.
        ((3, 2, False, True, False, False), [0, 0, 84]),
        # All chose "park" only: a group's "answered" count equals its "park" count.
        ((3, 2, False, False, False, False), [1, 42, 42, 42, 0, 0]),
        # Age is optional, but the split shows nobody skipped it.
        ((3, 3, True, False, True, True), [196, 0, 0, 490, 14, 98]),
    ],
)
def test_zeros_do_not_give_hidden_counts_away(config: Config, chosen: list[int]) -> None:
    """A reader who also reasons from zeros (none chose it, so none in any group did) cannot
    pin a count hidden for its own sake. Known small cases: in general the layer audits what
    follows from zeros within one question and its splits, not chains across questions."""
    survey, space, candidates = world(config)
    snapshot = snapshot_of(survey, [space.profiles[i] for i in chosen])
    counts = np.bincount(np.array(chosen), minlength=len(space.profiles))
    shown = every_published(space, snapshot)
    truth = {s.name: int(counts @ s.where) for s in shown}
    attacker = Attacker(space, candidates, shown)
    for s in shown:
        if isinstance(s.count, Suppressed) and _sensitive(s.name, truth, survey.min_group_size):
            assert not attacker.recoverable(s.where), s.name


def _sensitive(name: str, truth: dict[str, int], k: int) -> bool:
    """A count of 1..k-1, or any count about a group of 1..k-1 residents."""
    groups = [name]
    if name.startswith("O "):
        groups.append("T " + name[2:].split("=")[0])
    elif name.startswith("S "):
        (q, c), (b, g) = (part.split("=") for part in name[2:].split(" "))
        groups += [f"N {q} {b}={g}", f"N {b} {q}={c}"]
    return any(0 < truth.get(group, 0) < k for group in groups)


@settings(max_examples=80, deadline=None)
@given(scenarios())
def test_every_line_hides_none_or_at_least_two(scenario: tuple[Config, list[int]]) -> None:
    """The brief's rule, per table, where a table's lines add up exactly (everyone answered the
    breakdown question, which must be answered): a row or column with a hidden count hides at
    least one more."""
    survey, _, _, snapshot = _setup(scenario)
    for question_id, by_id in stats.available_tables(survey):
        if by_id is None:
            table = stats.overall_table(survey, snapshot, question_id, "en")
            if table.adds_up and table.row_ids:
                _check_line([*table.row_totals, table.total])
            continue
        by = survey.question(by_id)
        if by is None or by.optional:
            continue  # residents who skipped it: a hidden group that takes part in every row
        table = stats.split_table(survey, snapshot, question_id, by_id, "en")
        for r in range(len(table.row_ids)):
            _check_line([*table.cells[r], table.row_totals[r]])
        _check_line([*table.column_totals, table.total])
        if table.adds_up:
            for j in range(len(table.column_totals)):
                _check_line([*(row[j] for row in table.cells), table.column_totals[j]])
            _check_line([*table.row_totals, table.total])


def _zero_anyway(member: Shown, shown: list[Shown]) -> bool:
    """Whether a shown count is a zero that other shown zeros imply (nobody at all)."""
    zeros = [s.where for s in shown if s.count == 0 and s.name != member.name]
    covered = np.any(zeros, axis=0) if zeros else np.zeros_like(member.where)
    return member.count == 0 and not np.any(member.where & ~covered)


def _check_line(line: list[PublishedCount]) -> None:
    hidden = [c for c in line if isinstance(c, Suppressed)]
    assert len(hidden) != 1, line


# --- known small tables ----------------------------------------------------------------------


def _residents(*groups: tuple[int, dict[str, object]]) -> list[dict[str, object]]:
    return [a for n, a in groups for _ in range(n)]


def test_a_single_small_cell_gets_a_complement_in_its_line() -> None:
    survey = make_survey(k=5)
    residents = varied(20, feel="safe") + varied(8, 1, feel="unsure") + varied(2, feel="unsafe")
    table = stats.overall_table(survey, snapshot_of(survey, residents), "feel", "en")
    assert table.row_totals == (20, Suppressed(5), Suppressed(5))
    assert table.total == 30
    assert table.percent(0, 0) == pytest.approx(200 / 3)
    assert table.percent(2, 0) is None


def test_a_small_group_is_hidden_whole_and_big_groups_show_zeros() -> None:
    survey = make_survey(k=5)
    # The big groups (north, south) are mixed, so none answered alike; the east has three.
    residents = varied(6, area="north", feel="safe") + varied(6, 1, area="north", feel="unsure")
    residents += varied(5, 2, area="south", feel="safe") + varied(6, 3, area="south", feel="unsure")
    residents += varied(3, area="east", feel="safe")
    snapshot = snapshot_of(survey, residents)
    table = stats.split_table(survey, snapshot, "feel", "area", "en")
    assert table.column_ids == ("north", "south", "east")
    assert table.column_totals[0] == 12
    assert table.column_totals[2] == Suppressed(5)  # three residents of the east
    # Their counts are hidden, zeros too ("unsure": none of them) ...
    assert isinstance(table.cells[0][2], Suppressed) and isinstance(table.cells[1][2], Suppressed)
    # ... except where nobody at all chose it: that is no secret about them.
    assert table.row_totals[2] == 0 and table.cells[2] == (0, 0, 0)
    # ... and "all" minus the others would give them away: each of their rows hides more.
    for row in (0, 1):
        others = (table.cells[row][0], table.cells[row][1], table.row_totals[row])
        assert any(isinstance(count, Suppressed) for count in others)


def test_views_share_one_pattern() -> None:
    """The overall tally is the row total of every split: hidden the same everywhere."""
    survey = make_survey(k=5)
    residents = _residents(
        (12, answers(area="north", feel="safe")),
        (9, answers(area="south", feel="unsure", age="old")),
        (3, answers(area="east", feel="unsafe", age="old")),
        (7, answers(area="east", feel="safe", age="old")),
    )
    snapshot = snapshot_of(survey, residents)
    overall = stats.overall_table(survey, snapshot, "feel", "en")
    for by in ("area", "age"):
        split = stats.split_table(survey, snapshot, "feel", by, "en")
        assert split.row_totals == overall.row_totals
        assert split.total == overall.total


def test_nothing_published_before_the_first_batch() -> None:
    survey = make_survey(k=5)
    snapshot = snapshot_of(survey, [], waiting=3)
    table = stats.overall_table(survey, snapshot, "feel", "sv")
    assert table.row_totals == (0, 0, 0) and table.total == 0
    assert all(table.percent(r, 0) is None for r in range(3))
    head = stats.headline(survey, snapshot, in_progress=2, language="sv")
    assert head.responses == 0
    assert head.waiting == Suppressed(5)
    assert head.in_progress == Suppressed(5)
    assert head.first_day is None


def test_in_progress_is_rounded_down_to_a_multiple_of_k() -> None:
    survey = make_survey(k=5)
    snapshot = snapshot_of(survey, [answers()] * 6)
    head = stats.headline(survey, snapshot, in_progress=13, language="en")
    assert str(head.in_progress) == "10+"
    assert head.responses == 6
    assert "random sample" in head.caveat
    assert "slumpmässigt" in stats.headline(survey, snapshot, 0, "sv").caveat


def test_multi_percentages_are_of_respondents() -> None:
    survey = make_survey(k=3)
    residents = varied(6, places=("park", "street")) + varied(3, 1, places=("park",))
    residents += varied(3, 2, places=("street", "station"))
    table = stats.overall_table(survey, snapshot_of(survey, residents), "places", "en")
    assert not table.adds_up
    assert table.row_totals == (9, 9, 3)
    assert table.total == 12
    assert table.percent(0, 0) == 75.0 and table.percent(2, 0) == 25.0


def test_free_text_and_unknown_tables_are_refused() -> None:
    survey = make_survey()
    snapshot = snapshot_of(survey, [answers()])
    with pytest.raises(stats.StatsError, match="free"):
        stats.overall_table(survey, snapshot, "note", "en")
    with pytest.raises(stats.StatsError):
        stats.overall_table(survey, snapshot, "nope", "en")
    with pytest.raises(stats.StatsError, match="breakdown"):
        stats.split_table(survey, snapshot, "feel", "places", "en")
    with pytest.raises(stats.StatsError):
        stats.split_table(survey, snapshot, "area", "area", "en")
    assert ("note", None) not in stats.available_tables(survey)
    assert ("feel", "area") in stats.available_tables(survey)


def test_labels_follow_the_language() -> None:
    survey = make_survey()
    snapshot = snapshot_of(survey, [answers()] * 5)
    sv = stats.split_table(survey, snapshot, "feel", "area", "sv")
    en = stats.split_table(survey, snapshot, "feel", "area", "de")  # unknown: the default
    assert sv.title == "How safe do you feel? (sv)" and sv.row_labels[0] == "safe sv"
    assert en.language == "sv"


def test_number_questions_publish_only_how_many_answered() -> None:
    survey = make_survey(k=3)
    residents = varied(8, visits=4) + varied(4, 1, visits=None)
    snapshot = snapshot_of(survey, residents)
    table = stats.overall_table(survey, snapshot, "visits", "en")
    assert table.row_ids == () and table.total == 8
    split = stats.split_table(survey, snapshot, "visits", "area", "en")
    assert split.column_totals == (4, 4, 0)


def test_an_audit_out_of_rounds_hides_everything_but_what_is_public() -> None:
    """The bound on the audit's time (`MAX_ROUNDS`) never publishes a pattern it has not
    finished checking: out of rounds, it hides every count but the number of responses."""
    survey = make_survey(k=5)
    residents = varied(20, feel="safe") + varied(8, 1, feel="unsure") + varied(2, feel="unsafe")
    model = tally_model(survey, snapshot_of(survey, residents))
    finished, _ = audit(model, 5)
    assert finished and finished != audit(model, 5, max_rounds=0)[0]
    out_of_rounds, known = audit(model, 5, max_rounds=0)
    assert RESPONSES not in out_of_rounds and RESPONSES in known
    assert out_of_rounds > finished  # more hidden than the finished pattern, never less
    shown_anyway = {q for q in model.shown if q not in out_of_rounds}
    assert all(q == RESPONSES or model.values[q] == 30 for q in shown_anyway)  # all answered
