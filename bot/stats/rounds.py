"""Earlier rounds: published results of earlier surveys, mapped onto the current survey's ids.

Municipalities have their earlier rounds as tables in old reports: per question and answer a
count or a share, and how many answered. An admin writes them as a CSV file (`;` or `,`
separated, UTF-8, a decimal comma allowed):

    question;choice;count;share;n
    safe_evening_area;fairly_unsafe;;23,5;1695

with `count` or `share` (percent) filled, and `n` the number who answered that question. Where
the wording or the choices changed since, a mapping CSV says what each old id is now:

    old_question;old_choice;question;choice
    trygg_kvall;;safe_evening_area;
    trygg_kvall;ganska_otrygg;safe_evening_area;fairly_unsafe

(an empty old_choice maps the question; several old choices may map onto one new choice: their
numbers add up). `parse_round` checks everything at once and raises `DataFileError` with every
problem, each with file, line and fix, like the survey file. `save_round` writes the checked
round in its normal form (current ids, counts) to the rounds folder beside the survey file,
where `load_rounds` finds every round kept.

What must hold: a round only ever names current questions and choices; a count never exceeds
its n; a share is turned into a count once (rounded), and the round remembers it was a share.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.survey.model import Survey
from bot.survey.problems import Problem
from bot.survey.questions import ChoiceQuestion

COLUMNS = ("question", "choice", "count", "share", "n")
MAPPING_COLUMNS = ("old_question", "old_choice", "question", "choice")


class DataFileError(Exception):
    """A data file (an earlier round, a mapping, a population margin) has mistakes; `problems`
    holds all of them, sorted by file and line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.file, p.line)))
        super().__init__("\n".join(map(str, self.problems)))


@dataclass(frozen=True)
class RoundQuestion:
    """One question of an earlier round: how many answered, and how many chose each choice."""

    n: int
    counts: dict[str, int]
    #: True when the old report gave shares (counts are then rounded from them).
    from_shares: bool = False


@dataclass(frozen=True)
class Round:
    label: str
    questions: dict[str, RoundQuestion] = field(default_factory=dict)

    @property
    def respondents(self) -> int:
        return max((q.n for q in self.questions.values()), default=0)


def parse_round(
    label: str,
    survey: Survey,
    results: str,
    mapping: str | None = None,
    *,
    results_file: str = "results.csv",
    mapping_file: str = "mapping.csv",
) -> Round:
    """Check an earlier round's results (and mapping) against `survey`; raise DataFileError."""
    problems: list[Problem] = []
    questions_map, choices_map = _mapping(survey, mapping, mapping_file, problems)
    counts: dict[str, dict[str, int]] = {}
    ns: dict[str, tuple[int, int]] = {}  # question -> (n, line it was first given)
    shares: set[str] = set()
    for line, row in _rows(results, results_file, COLUMNS, problems):

        def bad(column: str, message: str, fix: str, line: int = line) -> None:
            problems.append(Problem(results_file, line, 1, column, message, fix))

        old_q, old_c = row["question"], row["choice"]
        question_id = questions_map.get(old_q, old_q)
        question = survey.question(question_id)
        if not isinstance(question, ChoiceQuestion):
            known = [q.id for q in survey.questions if isinstance(q, ChoiceQuestion)]
            bad(
                "question",
                f"'{old_q}' is not a question with choices in {survey.id}",
                _suggest(old_q, known, f"add a line '{old_q};;<current id>;' to the mapping file"),
            )
            continue
        choice_id = choices_map.get((old_q, old_c), old_c)
        if question.choice(choice_id) is None:
            own = [c.id for c in question.choices]
            bad(
                "choice",
                f"'{old_c}' is not a choice of {question_id}",
                _suggest(
                    old_c, own, f"add '{old_q};{old_c};{question_id};<choice>' to the mapping"
                ),
            )
            continue
        try:
            n = _integer(row["n"], "n")
            count = _integer(row["count"], "count")
            share = _decimal(row["share"], "share")
        except ValueError as err:
            bad(str(err).split(":")[0], str(err), "write a plain number, e.g. 1695 or 23,5")
            continue
        if n is None or n <= 0:
            bad(
                "n",
                f"n '{row['n']}' is not a positive whole number",
                "write how many answered the question",
            )
            continue
        if question_id in ns and ns[question_id][0] != n:
            first = ns[question_id][1]
            bad(
                "n",
                f"n {n} differs from n {ns[question_id][0]} on line {first}",
                "give the same n on every line of one question",
            )
            continue
        ns.setdefault(question_id, (n, line))
        if (count is None) == (share is None):
            bad(
                "count",
                "give either a count or a share (percent), not both or neither",
                "fill exactly one of the columns count and share",
            )
            continue
        if share is not None:
            if not 0 <= share <= 100:
                bad(
                    "share",
                    f"share {share} is not a percent between 0 and 100",
                    "write shares as percent, e.g. 23,5",
                )
                continue
            count = round(share * n / 100)
            shares.add(question_id)
        assert count is not None
        if not 0 <= count <= n:
            bad("count", f"count {count} is more than n {n}", "check the count and n")
            continue
        cells = counts.setdefault(question_id, {})
        cells[choice_id] = cells.get(choice_id, 0) + count
    if problems:
        raise DataFileError(problems)
    if not counts:
        raise DataFileError(
            [Problem(results_file, 1, 1, "", "no results", "add one line per answer")]
        )
    return Round(
        label,
        {q: RoundQuestion(ns[q][0], c, q in shares) for q, c in counts.items()},
    )


def save_round(folder: Path, round_: Round) -> Path:
    """Write a checked round in normal form (current ids, counts); returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{round_.label}.csv"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(COLUMNS)
    for question_id, question in round_.questions.items():
        for choice_id, count in question.counts.items():
            writer.writerow([question_id, choice_id, count, "", question.n])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def load_rounds(folder: Path, survey: Survey) -> list[Round]:
    """Every round kept in `folder`, oldest label first (raises DataFileError on a bad file)."""
    if not folder.is_dir():
        return []
    return [
        parse_round(path.stem, survey, path.read_text(encoding="utf-8-sig"), results_file=str(path))
        for path in sorted(folder.glob("*.csv"))
    ]


def _mapping(
    survey: Survey, text: str | None, filename: str, problems: list[Problem]
) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    questions: dict[str, str] = {}
    choices: dict[tuple[str, str], str] = {}
    if text is None:
        return questions, choices
    for line, row in _rows(text, filename, MAPPING_COLUMNS, problems):
        question = survey.question(row["question"])
        if not isinstance(question, ChoiceQuestion):
            known = [q.id for q in survey.questions if isinstance(q, ChoiceQuestion)]
            fix = _suggest(row["question"], known, "name a current question with choices")
            problems.append(
                Problem(
                    filename,
                    line,
                    1,
                    "question",
                    f"'{row['question']}' is not a current question with choices",
                    fix,
                )
            )
            continue
        questions[row["old_question"]] = question.id
        if row["old_choice"]:
            if question.choice(row["choice"]) is None:
                own = [c.id for c in question.choices]
                fix = _suggest(row["choice"], own, "name one of its choices")
                problems.append(
                    Problem(
                        filename,
                        line,
                        1,
                        "choice",
                        f"'{row['choice']}' is not a choice of {question.id}",
                        fix,
                    )
                )
                continue
            choices[(row["old_question"], row["old_choice"])] = row["choice"]
    return questions, choices


def spreadsheet_reader(text: str) -> Any:
    """A CSV reader for a file saved by a spreadsheet: BOM dropped, `;` or `,` as its first
    line uses (Excel with Swedish settings writes `;`). Its `line_num` is the file's line."""
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    return csv.reader(io.StringIO(text), delimiter=delimiter)


def _rows(
    text: str, filename: str, columns: tuple[str, ...], problems: list[Problem]
) -> Iterable[tuple[int, dict[str, str]]]:
    """(line, row) for each data row; a wrong header is one problem and no rows."""
    reader = spreadsheet_reader(text)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in columns if c not in header]
    if missing:
        fix = f"the first line must be: {';'.join(columns)}"
        problems.append(
            Problem(filename, 1, 1, "", f"missing column(s): {', '.join(missing)}", fix)
        )
        return
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        row = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)}
        yield reader.line_num, row


def _decimal(text: str, column: str) -> float | None:
    """The number in a cell (None when empty); ValueError names the column."""
    if not text:
        return None
    try:
        return float(text.replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    except ValueError:
        raise ValueError(f"{column}: '{text}' is not a number") from None


def _integer(text: str, column: str) -> int | None:
    value = _decimal(text, column)
    if value is not None and not value.is_integer():
        raise ValueError(f"{column}: '{text}' is not a whole number")
    return None if value is None else int(value)


def _suggest(word: str, options: list[str], otherwise: str) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return f"did you mean '{close[0]}'? otherwise {otherwise}" if close else otherwise
