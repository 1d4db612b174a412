"""Rendering: an engine reply becomes a `Screen` (HTML text + inline buttons), and button data
becomes an engine event again. Pure: no Telegram objects, no I/O, so the terminal chat
(`bot.adapters.terminal.chat`) and the Telegram adapter (`bot.adapters.telegram.residents`) show
the same screens.

What must hold:
- every text fits Telegram's 4096-character limit and is valid Telegram HTML (survey texts are
  escaped);
- every `callback_data` is at most 64 bytes and `parse_callback(render(...))` gives back the
  event the button stands for; anything else parses to None (a forged or foreign button);
- buttons carry the session step, so the engine recognises presses on old screens.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.conversation.direction import directed, directed_line_starts, is_rtl
from bot.conversation.engine import (
    AlreadyAnswered,
    Ask,
    Began,
    ChoicePicked,
    ChoiceToggled,
    ChooseLanguage,
    Closed,
    Discarded,
    Event,
    Finished,
    Hint,
    LanguageChosen,
    MultiDone,
    Problem,
    Reply,
    ShowIntro,
    Skipped,
    Stale,
    WentBack,
)
from bot.conversation.texts import language_name, t
from bot.conversation.vocabulary import AreaResults
from bot.survey.model import Survey
from bot.survey.questions import MultiQuestion, NumberQuestion, TextQuestion
from bot.survey.sources import OTHER

TEXT_LIMIT = 4096
#: The callback data's head of a "how others in your area answered" button (not an engine
#: event: the resident has finished; the adapter answers it from the published results).
RESULTS = "r"
CALLBACK_LIMIT = 64
_BAR_CELLS = 10


@dataclass(frozen=True)
class Button:
    """One inline button: its label and the data it sends back, or the link it opens."""

    text: str
    data: str
    url: str | None = None


@dataclass(frozen=True)
class Screen:
    """What to show for one reply.

    `survey` screens replace the survey message (edited in place); other screens are short
    notices. `toast` is the short text for a button press's answer (a pop-up, no message).
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    survey: bool = True
    toast: str | None = None


def render(reply: Reply, survey: Survey) -> Screen:
    """The screen for one engine reply, laid out in the reader's direction: for a right-to-left
    language every line starts with a right-to-left mark and each row of buttons is reversed
    (Telegram lays rows out left to right), so the first button is on the right."""
    if isinstance(reply, ChooseLanguage):
        return choose_language(survey, reply.source)
    return _directed(_render(reply, survey), reply.language)


def _directed(screen: Screen, language: str) -> Screen:
    if not is_rtl(language):
        return screen
    rows = tuple(
        tuple(Button(directed_line_starts(b.text), b.data, b.url) for b in reversed(row))
        for row in screen.buttons
    )
    return Screen(directed_line_starts(screen.text), rows, screen.survey, screen.toast)


def thanks_screen(
    reply: Finished, survey: Survey, *, share_link: str | None, results: bool
) -> Screen:
    """The thank-you with its buttons: "how others in your area answered" when `results`
    (something is published for the resident's area) and the share link when known."""
    lang = reply.language
    rows: list[tuple[Button, ...]] = []
    if results and reply.area is not None:
        rows.append((Button(t("results_button", lang), f"{RESULTS}:{lang}:{reply.area}"),))
    if share_link is not None:
        rows.append((Button(t("share_button", lang), "", url=share_link),))
    screen = _render(reply, survey)
    return _directed(Screen(screen.text, tuple(rows)), lang)


def results_screen(results: AreaResults) -> Screen:
    """How others in the resident's area answered: the question, one line per published
    share, and where the numbers come from."""
    lang, area = results.language, results.area
    note = t("results_note", lang, residents=results.residents, area=area)
    lines = [
        f"<b>{_escape(t('results_title', lang, area=area))}</b>",
        "",
        _escape(results.question),
        "",
        *(f"{_escape(label)}: {round(share)} %" for label, share in results.shares),
        "",
        f"<i>{_escape(note)}</i>",
    ]
    return _directed(Screen("\n".join(lines), survey=False), lang)


def parse_results(data: str) -> tuple[str, str] | None:
    """(language, area) of a "how others in your area answered" button, or None."""
    head, _, rest = data.partition(":")
    language, _, area = rest.partition(":")
    if head != RESULTS or not language or not area or len(data.encode()) > CALLBACK_LIMIT:
        return None
    return language, area


def choose_language(survey: Survey, source: str = OTHER) -> Screen:
    """The language picker: "Choose a language" in every survey language, each on its own line
    and in its own direction, and one button per language, named in itself. The buttons carry
    `source` (the /start's) unless it is `OTHER`."""
    lines = [_in_direction(t("choose_language", lang), lang) for lang in survey.languages]
    buttons = language_buttons(survey, source)
    return Screen("\n".join(dict.fromkeys(lines)), buttons, survey=False)


def privacy_screen(survey: Survey, language: str) -> Screen:
    """The survey's privacy notice (/privacy) in the resident's language and direction."""
    text = _escape(_raw(survey.privacy, language))
    return Screen(directed_line_starts(text) if is_rtl(language) else text, survey=False)


def _render(reply: Reply, survey: Survey) -> Screen:
    if isinstance(reply, Ask):
        return _ask(reply, survey)
    if isinstance(reply, ShowIntro):
        return _intro(reply, survey)
    if isinstance(reply, Finished):
        text = (
            f"{_tr(survey.thanks, reply.language)}\n\n<i>{t('finished_hint', reply.language)}</i>"
        )
        return Screen(text)
    if isinstance(reply, AlreadyAnswered):
        return Screen(t("already_answered", reply.language), survey=False)
    if isinstance(reply, Closed):
        if reply.not_yet and survey.opens is not None:
            opens = survey.opens.strftime("%Y-%m-%d")
            return Screen(t("not_yet", reply.language, opens=opens), survey=False)
        return Screen(t("closed", reply.language), survey=False)
    if isinstance(reply, Stale):
        text = t("stale", reply.language)
        return Screen(text, survey=False, toast=text)
    if isinstance(reply, Hint):
        text = problem_text(reply.problem, reply.language)
        return Screen(text, survey=False, toast=text)
    if isinstance(reply, Discarded):
        return Screen(t("discarded", reply.language), survey=False)
    raise AssertionError(f"unrendered reply {reply!r}")  # pragma: no cover


def problem_text(problem: Problem, language: str) -> str:
    """The translated hint for a problem with the last input."""
    return t(f"problem.{problem.kind}", language, low=problem.low, high=problem.high)


def language_buttons(survey: Survey, source: str = OTHER) -> tuple[tuple[Button, ...], ...]:
    """One row per survey language, each named in itself and in its own direction."""
    return tuple((_language_button(lang, source),) for lang in survey.languages)


def _language_button(language: str, source: str = OTHER) -> Button:
    data = f"l:{language}" if source == OTHER else f"l:{language}:{source}"
    return Button(_in_direction(language_name(language), language), data)


def _in_direction(text: str, language: str) -> str:
    return directed(text) if is_rtl(language) else text


def _intro(reply: ShowIntro, survey: Survey) -> Screen:
    lang = reply.language
    title, intro = _raw(survey.title, lang), _raw(survey.intro, lang)
    room = TEXT_LIMIT - 100 - len(title) - len(intro)
    privacy = _raw(survey.privacy, lang)
    text = f"<b>{_escape(title)}</b>\n\n{_escape(intro)}\n\n🔒 {_escape(_cut(privacy, room))}"
    rows: list[tuple[Button, ...]] = [(Button(t("start", lang), f"{reply.step}:go"),)]
    if len(survey.languages) > 1:
        others = [_language_button(other) for other in survey.languages if other != lang]
        rows += [tuple(others[i : i + 3]) for i in range(0, len(others), 3)]
    return Screen(text, tuple(rows))


def _ask(reply: Ask, survey: Survey) -> Screen:
    lang, question, step = reply.language, reply.question, reply.step
    filled = round(_BAR_CELLS * (reply.number - 1) / max(reply.total, 1))
    bar = "▰" * filled + "▱" * (_BAR_CELLS - filled)
    progress = t("progress", lang, number=reply.number, total=reply.total)
    question_text = _raw(question.text, lang)
    parts = [f"<b>{progress}</b>  {bar}", "", f"<b>{_escape(question_text)}</b>"]
    if question.help:
        room = TEXT_LIMIT - 300 - len(question_text)
        parts.append(f"<i>{_escape(_cut(_raw(question.help, lang), room))}</i>")
    rows: list[tuple[Button, ...]] = []
    if isinstance(question, TextQuestion):
        parts += ["", t("type_answer", lang)]
    elif isinstance(question, NumberQuestion):
        parts += ["", t("type_number", lang, low=question.min, high=question.max)]
    elif isinstance(question, MultiQuestion):
        hint = t("pick_max", lang, high=question.max) if question.max else t("pick_many", lang)
        parts += ["", f"<i>{hint}</i>"]
        for choice in question.active_choices:
            mark = "☑️" if choice.id in reply.selected else "⬜"
            label = f"{mark} {_raw(choice.label, lang)}"
            rows.append((Button(label, f"{step}:t:{choice.id}"),))
        rows.append((Button(t("done", lang), f"{step}:d"),))
    else:
        for choice in question.active_choices:
            label = _raw(choice.label, lang)
            if choice.id in reply.selected:
                label = f"✔️ {label}"
            rows.append((Button(label, f"{step}:c:{choice.id}"),))
    if reply.problem is not None:
        parts += ["", f"⚠️ {html.escape(problem_text(reply.problem, lang))}"]
    nav: list[Button] = []
    if reply.can_back:
        nav.append(Button(t("back", lang), f"{step}:b"))
    if reply.can_skip:
        nav.append(Button(t("skip", lang), f"{step}:s"))
    if nav:
        rows.append(tuple(nav))
    toast = problem_text(reply.problem, lang) if reply.problem is not None else None
    return Screen("\n".join(parts), tuple(rows), toast=toast)


def parse_callback(data: str) -> Event | None:
    """The event a button's data stands for, or None if it is not one of ours."""
    if len(data.encode()) > CALLBACK_LIMIT:
        return None
    head, _, rest = data.partition(":")
    if head == "l":
        language, _, source = rest.partition(":")
        return LanguageChosen(language, source or None) if language else None
    if not head.isdigit() or len(head) > 9:
        return None
    step = int(head)
    action, _, arg = rest.partition(":")
    if action == "go" and not arg:
        return Began(step)
    if action == "c" and arg:
        return ChoicePicked(step, arg)
    if action == "t" and arg:
        return ChoiceToggled(step, arg)
    if action == "d" and not arg:
        return MultiDone(step)
    if action == "s" and not arg:
        return Skipped(step)
    if action == "b" and not arg:
        return WentBack(step)
    return None


def _raw(text: dict[str, str], language: str) -> str:
    """A survey text in `language` (the loader guarantees every language exists), marked for
    its direction."""
    return _in_direction(text.get(language) or next(iter(text.values()), ""), language)


def _tr(text: dict[str, str], language: str) -> str:
    """A survey text in `language`, HTML-escaped."""
    return _escape(_raw(text, language))


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _cut(text: str, room: int) -> str:
    """`text` shortened to `room` characters (the loader caps each text; two together may not
    fit one Telegram message)."""
    room = max(room, 1)
    return text if len(text) <= room else text[: room - 1] + "…"
