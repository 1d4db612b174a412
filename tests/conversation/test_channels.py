"""Channels (issue 14 items 5 and 6): the /start payload becomes the session's source, fixed
once; a completed response carries it as the never-asked breakdown question `source`, sealed
and tallied; the thank-you screen's area results come from the published snapshot only."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.conversation.engine import Completed, Finished, LanguageChosen, Opened
from bot.conversation.results import area_results
from bot.conversation.screens import choose_language, parse_callback, render, thanks_screen
from bot.conversation.service import SurveyService
from bot.privacy.pseudonyms import Pseudonyms
from bot.stats.counters import tally_cells
from bot.stats.tables import split_table
from bot.survey.model import Survey
from bot.survey.sources import OTHER, SOURCE
from storage import MemoryStore
from storage.base import Cell, Snapshot
from tests.analysis_key import ANALYSIS_PRIVATE, ANALYSIS_PUBLIC

from .conftest import NOW, Resident, build, survey_data, text


def channel_data() -> dict[str, Any]:
    data = survey_data()
    data["sources"] = [
        {"id": "poster_north", "label": text("Poster north")},
        {"id": "share", "label": text("Shared")},
    ]
    data["indicators"] = [
        {
            "id": "unsafe",
            "kind": "share",
            "label": text("Unsafe"),
            "question": "safe",
            "choices": ["fairly_unsafe", "very_unsafe"],
        }
    ]
    return data


CHANNELS = build(channel_data())
#: A safe resident in `area` who skips the comment: the survey is complete.
FINISH = ("begin", "pick:very_safe", "type:30", "pick:{area}", "skip")


def finish(resident: Resident, area: str = "north") -> Completed:
    transition = resident.do(*(a.format(area=area) for a in FINISH))
    assert transition.completed is not None and transition.session is None
    return transition.completed


@pytest.mark.parametrize(
    ("payload", "source"),
    [("poster_north", "poster_north"), ("share", "share"), ("nonsense", OTHER), (None, OTHER)],
)
def test_the_start_payload_is_the_declared_source_or_other(
    payload: str | None, source: str
) -> None:
    resident = Resident(CHANNELS)
    resident.send(Opened("sv", payload))
    assert resident.session is not None and resident.session.source == source
    assert finish(resident).source == source


def test_a_later_start_with_another_link_does_not_change_the_source() -> None:
    resident = Resident(CHANNELS)
    resident.send(Opened("sv", "poster_north"))
    resident.do("begin", "pick:very_safe")
    resident.send(Opened("sv", "share"))
    assert resident.session is not None and resident.session.source == "poster_north"
    assert finish(resident).source == "poster_north"


def test_the_language_screen_carries_the_source_to_the_new_session() -> None:
    resident = Resident(CHANNELS)
    transition = resident.send(Opened("xx", "share"))
    assert transition.session is None
    screen = render(transition.replies[0], CHANNELS)
    datas = [b.data for row in screen.buttons for b in row]
    assert datas == ["l:sv:share", "l:en:share"]
    event = parse_callback(datas[1])
    assert event == LanguageChosen("en", "share")
    resident.send(event)
    assert resident.session is not None
    assert (resident.session.language, resident.session.source) == ("en", "share")
    forged = Resident(CHANNELS)
    forged.send(LanguageChosen("en", "poster_south"))
    assert forged.session is not None and forged.session.source == OTHER
    assert [b.data for row in choose_language(CHANNELS).buttons for b in row] == ["l:sv", "l:en"]


def test_the_thank_you_names_the_area_for_the_results_button() -> None:
    resident = Resident(CHANNELS)
    resident.send(Opened("sv"))
    finish(resident, "south")
    assert resident.reply == Finished("sv", "south")
    assert CHANNELS.results_questions == ("safe", "area")
    plain = Resident(build(survey_data()))  # no indicator: no results view
    plain.send(Opened("sv"))
    finish(plain)
    assert plain.reply == Finished("sv", None)


def test_the_share_button_opens_the_survey_link_with_the_share_source() -> None:
    link = "https://t.me/trygghetsbot?start=share"
    screen = thanks_screen(Finished("sv", "north"), CHANNELS, share_link=link, results=False)
    ((share,),) = screen.buttons
    assert share.url == link and not share.data
    with_results = thanks_screen(Finished("en", "north"), CHANNELS, share_link=None, results=True)
    ((button,),) = with_results.buttons
    assert button.data == "r:en:north" and button.url is None
    assert thanks_screen(Finished("sv"), CHANNELS, share_link=None, results=True).buttons == ()


async def test_the_source_is_sealed_with_the_response_and_tallied() -> None:
    store = MemoryStore(analysis_key=ANALYSIS_PUBLIC, batch=1)
    service = SurveyService(CHANNELS, store, Pseudonyms(b"s" * 32, cost=2**8), clock=lambda: NOW)
    for user, payload in enumerate(["poster_north", "share", "nonsense", None, "poster_north"]):
        result = await service.step(user, Opened("sv", payload))
        for action in FINISH:
            assert result.after is not None
            event = Resident(CHANNELS, result.after).event(action.format(area="north"))
            result = await service.step(user, event)
        assert result.after is None and isinstance(result.replies[0], Finished)
    responses = await store.responses(CHANNELS.id, ANALYSIS_PRIVATE)
    sources = sorted(str(r.answers[SOURCE]) for r in responses)
    assert sources == ["other", "other", "poster_north", "poster_north", "share"]
    tallies = await store.tallies(CHANNELS.id)
    assert tallies[Cell(SOURCE, "poster_north")] == 2
    assert tallies[Cell(SOURCE, OTHER)] == 2
    assert tallies[Cell("safe", "very_safe", SOURCE, "share")] == 1
    assert tallies[Cell(SOURCE, "share", "area", "north")] == 1


async def test_a_survey_without_sources_stores_no_source() -> None:
    plain = build(survey_data())
    store = MemoryStore(analysis_key=ANALYSIS_PUBLIC, batch=1)
    service = SurveyService(plain, store, Pseudonyms(b"s" * 32, cost=2**8), clock=lambda: NOW)
    result = await service.step(1, Opened("sv", "poster_north"))
    for action in FINISH:
        assert result.after is not None
        result = await service.step(
            1, Resident(plain, result.after).event(action.format(area="north"))
        )
    (response,) = await store.responses(plain.id, ANALYSIS_PRIVATE)
    assert SOURCE not in response.answers
    assert all(SOURCE not in (c.question, c.by_question) for c in await store.tallies(plain.id))


def published(survey: Survey, rows: list[tuple[str, str, int]]) -> Snapshot:
    """A published snapshot of `count` residents per (area, safe answer)."""
    cells: dict[Cell, int] = {}
    total = 0
    codes = [s.id for s in survey.sources] + [OTHER]
    for area, safe, count in rows:
        for i in range(count):  # channels vary, so no group "answered alike" by source
            answers: dict[str, object] = {"safe": safe, "age": 30, "area": area}
            if survey.sources:
                answers[SOURCE] = codes[i % len(codes)]
            for cell in tally_cells(survey, answers):
                cells[cell] = cells.get(cell, 0) + 1
        total += count
    return Snapshot(survey.id, total, 0, cells, date(2026, 11, 2), date(2026, 11, 20))


def test_area_results_show_the_published_shares_of_the_area() -> None:
    snapshot = published(
        CHANNELS,
        [
            ("north", "very_safe", 6),
            ("north", "fairly_unsafe", 9),
            ("south", "very_safe", 10),
            ("south", "fairly_unsafe", 7),
        ],
    )
    found = area_results(CHANNELS, snapshot, "north", "en")
    assert found is not None
    assert (found.area, found.question, found.residents) == ("north", "How safe do you feel?", 15)
    assert dict(found.shares) == {
        "very safe": 40.0,
        "fairly safe": 0.0,
        "fairly unsafe": 60.0,
        "very unsafe": 0.0,
        "dont know": 0.0,
    }


def test_area_results_show_nothing_for_a_hidden_group_or_without_a_publication() -> None:
    rows = [("north", "very_safe", 3), ("south", "very_safe", 10), ("centre", "very_safe", 8)]
    snapshot = published(CHANNELS, rows)
    staff_view = split_table(CHANNELS, snapshot, "safe", "area", "sv")
    hidden = {
        area
        for area, size in zip(staff_view.column_ids or (), staff_view.column_totals, strict=True)
        if not isinstance(size, int)
    }
    # 3 < k, and at least one complement; everyone alike in a group hides it too
    assert "north" in hidden and len(hidden) >= 2
    for area in ("north", "south", "centre"):
        found = area_results(CHANNELS, snapshot, area, "sv")
        assert (found is None) == (area in hidden), area
    assert area_results(CHANNELS, snapshot, "nowhere", "sv") is None
    nothing = Snapshot(CHANNELS.id, 0, 4, {})
    assert area_results(CHANNELS, nothing, "south", "sv") is None
    plain = build(survey_data())
    assert area_results(plain, published(plain, rows), "south", "sv") is None
