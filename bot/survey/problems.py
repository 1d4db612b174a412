"""A mistake in a file an admin edits, located for a person with an editor.

`Problem` (file, line, column, path, message, fix) and `SurveyError` (all problems of a survey
file, sorted by line) are shared by the survey loader and the other admin files (earlier rounds,
population margins), so every file's mistakes read the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake in a survey file, located for a person with an editor."""

    file: str
    #: 1-based; 0 when the problem has no place in the file (it cannot be read).
    line: int
    column: int
    #: Where in the survey, e.g. `questions[4].choices[2].label.en`; empty for the whole file.
    path: str
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        path = f" {self.path}:" if self.path else ""
        return f"{where}:{path} {self.message} - {self.fix}"


class SurveyError(Exception):
    """The survey file has mistakes; `problems` holds all of them, sorted by line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.line, p.column)))
        super().__init__("\n".join(map(str, self.problems)))
