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

A survey that declares sources gets one more question, `SOURCE` (`source_question`): a single
breakdown question that is never asked (not among `Survey.active_questions`) and is never
written out (`Survey.model_dump` leaves it out), but is tallied and split by like any breakdown,
so the disclosure layer protects it with no special case. Its answer is the session's source.
The id `SOURCE` is therefore reserved in a survey that declares sources.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.survey.issues import Issue
from bot.survey.questions import Choice, FrozenModel, Id, SingleQuestion, Text

#: The id of the question whose answer is the source (see the module docstring).
SOURCE = "source"
#: The source of a resident who came without a declared code.
OTHER = "other"
#: The source the thank-you screen's share button puts into its link.
SHARE = "share"


class Source(FrozenModel):
    id: Id
    label: Text


def source_issues(
    sources: Sequence[object], languages: Sequence[str], question_ids: Sequence[object] = ()
) -> list[Issue]:
    """Codes used twice or reserved, labels missing a language, and a question named `SOURCE`
    in a survey with sources."""
    issues: list[Issue] = []
    if sources and SOURCE in question_ids:
        at = ("questions", list(question_ids).index(SOURCE), "id")
        fix = f"rename the question: '{SOURCE}' counts where residents found the survey"
        issues.append(Issue(at, f"'{SOURCE}' is reserved when sources are declared", fix))
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


class SourceQuestion(SingleQuestion):
    """The question `SOURCE` of a survey with sources: never asked, never written out."""


#: What the source question is called in tables, in the shipped languages (others: English).
_TITLE: Text = {
    "sv": "Var hittade du enkäten?",
    "en": "Where did you find the survey?",
    "ar": "أين وجدت الاستبيان؟",
    "fa": "پرسشنامه را کجا پیدا کردید؟",
    "so": "Xagee ka heshay sahankan?",
    "ti": "ነዚ መጽናዕቲ ኣበይ ረኺብኩሞ?",
}
_OTHER_LABEL: Text = {
    "sv": "Annat eller okänt",
    "en": "Other or unknown",
    "ar": "غير ذلك أو غير معروف",
    "fa": "دیگر یا نامعلوم",
    "so": "Kale ama lama yaqaan",
    "ti": "ካልእ ወይ ዘይፍለጥ",
}


def source_question(sources: Sequence[Source], languages: Sequence[str]) -> SourceQuestion:
    """The synthetic breakdown question whose choices are the declared codes and `OTHER`."""

    def text(built_in: Text) -> Text:
        return {lang: built_in.get(lang, built_in["en"]) for lang in languages}

    choices = (
        *(Choice(id=s.id, label=s.label) for s in sources),
        Choice(id=OTHER, label=text(_OTHER_LABEL)),
    )
    return SourceQuestion(
        id=SOURCE, kind="single", text=text(_TITLE), choices=choices, breakdown=True
    )
