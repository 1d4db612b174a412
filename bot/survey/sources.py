"""Where residents found the survey: the channels declared in the survey file.

Each source is a short code that goes into the survey's deep link
(`https://t.me/<bot>?start=<code>`): a poster in one area, the local paper, social media, the
share button. Staff split results by source through the disclosure layer like any breakdown, to
see which channels work.

What must hold: a code fits Telegram's deep-link payload (at most 64 characters of
`A-Za-z0-9_-`; our ids are stricter: lower case, digits, `_`, at most 24); codes are unique;
every source has a label in every language of the survey. A resident who arrives with any other
payload, or none, counts as `OTHER`. Sources are operational: adding one does not change the
survey's version.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.survey.issues import Issue
from bot.survey.questions import FrozenModel, Id, Text

#: The source of a resident who came without a declared code.
OTHER = "other"
#: The source the thank-you screen's share button puts into its link.
SHARE = "share"


class Source(FrozenModel):
    id: Id
    label: Text


def source_issues(sources: Sequence[object], languages: Sequence[str]) -> list[Issue]:
    """Codes used twice or reserved, and labels missing a language."""
    issues: list[Issue] = []
    seen: set[str] = set()
    for index, source in enumerate(sources):
        if not isinstance(source, Source):
            continue
        if source.id in seen:
            fix = "give every source its own code"
            issues.append(Issue(("sources", index, "id"), f"'{source.id}' is used twice", fix))
        if source.id == OTHER:
            fix = f"'{OTHER}' counts everyone without a declared code; choose another code"
            issues.append(Issue(("sources", index, "id"), f"'{OTHER}' is reserved", fix))
        seen.add(source.id)
        for lang in languages:
            if not source.label.get(lang):
                fix = f"add '{lang}: ...' to the label"
                issues.append(Issue(("sources", index, "label"), f"no label in '{lang}'", fix))
    return issues


def source_of(payload: str | None, sources: Sequence[Source]) -> str:
    """The declared source code a /start payload names, or `OTHER`."""
    codes = {s.id for s in sources}
    return payload if payload in codes else OTHER
