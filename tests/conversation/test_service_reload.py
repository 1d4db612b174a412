"""`/reload` while a resident's step is in flight (issue 10 item 6): the step captured the old
survey, and everything it stores (response version, tallies, marker) must be of that survey,
even though `SurveyService.survey` changes while the step awaits the store."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path

from bot.conversation.engine import Began, ChoicePicked, Opened, Skipped, TextSent
from bot.conversation.service import SurveyService
from bot.privacy.pseudonyms import Pseudonyms
from bot.survey.loader import load_survey
from storage import Cell, MemoryStore
from tests.analysis_key import ANALYSIS_PRIVATE, ANALYSIS_PUBLIC

SMALL = Path(__file__).resolve().parents[1] / "e2e" / "small_survey.yaml"
NOW = datetime.fromisoformat("2026-11-27T12:00:00+01:00")


class GatedStore(MemoryStore):
    """Holds `load_session` until the test opens the gate (to place a /reload there)."""

    def __init__(self) -> None:
        super().__init__(analysis_key=ANALYSIS_PUBLIC, batch=1)
        self.gate: asyncio.Event | None = None
        self.reached = asyncio.Event()

    async def load_session(self, key: bytes) -> str | None:
        if self.gate is not None:
            self.reached.set()
            await self.gate.wait()
        return await super().load_session(key)


async def test_a_reload_during_the_last_step_stores_the_old_version(tmp_path: Path) -> None:
    old = load_survey(SMALL)
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        SMALL.read_text(encoding="utf-8").replace("Hur trygg känner du dig?", "Hur trygg nu?"),
        encoding="utf-8",
    )
    new = load_survey(changed)
    assert new.version != old.version and new.id == old.id
    store = GatedStore()
    service = SurveyService(old, store, Pseudonyms(b"s" * 32, cost=2**8), clock=lambda: NOW)
    user = 42
    result = await service.step(user, Opened("sv"))
    for make in (
        Began,
        lambda step: ChoicePicked(step, "north"),
        lambda step: ChoicePicked(step, "safe"),
        lambda step: TextSent("12"),
    ):
        assert result.after is not None
        result = await service.step(user, make(result.after.step))
    assert result.after is not None  # at the last question (the optional comment)

    store.gate = asyncio.Event()
    last = asyncio.create_task(service.step(user, Skipped(result.after.step)))
    await store.reached.wait()
    service.survey = new  # what StaffService.reload does
    store.gate.set()
    assert (await last).after is None  # completed

    [stored] = await store.responses(old.id, ANALYSIS_PRIVATE)
    assert stored.survey_version == old.version
    assert (await store.tallies(old.id))[Cell("area", "north")] == 1
    assert await store.is_completed(
        Pseudonyms(b"s" * 32, cost=2**8).completion_marker(old.id, user)
    )
    assert stored.day == date(2026, 11, 27)
