"""`bot.staff`: reload keeps the running survey on any problem; audit entries carry the minute.

Driven against the in-memory store with the small end-to-end survey file, no Telegram.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from bot.conversation.service import SurveyService
from bot.privacy.pseudonyms import Pseudonyms
from bot.staff.reload import reload_survey
from bot.staff.roles import ADMIN, audit
from bot.survey.loader import load_survey
from storage.base import Cell, Response
from storage.memory import MemoryStore

SMALL = Path(__file__).resolve().parents[1] / "e2e" / "small_survey.yaml"
NOON = datetime(2026, 6, 1, 10, 30, 45, tzinfo=UTC)


def _service(tmp_path: Path) -> tuple[SurveyService, Path]:
    path = tmp_path / "survey.yaml"
    path.write_text(SMALL.read_text(encoding="utf-8"), encoding="utf-8")
    survey = load_survey(path)
    service = SurveyService(survey, MemoryStore(), Pseudonyms(b"s" * 32), clock=lambda: NOON)
    return service, path


async def _one_answer_to_south(service: SurveyService) -> None:
    survey = service.survey
    response = Response(survey.id, survey.version, date(2026, 6, 1), "sv", {"area": "south"})
    await service.store.complete(
        session_key=b"k", marker=b"m", response=response, cells=[Cell("area", "south")]
    )


async def test_a_broken_file_keeps_the_running_survey_and_names_the_line(tmp_path: Path) -> None:
    service, path = _service(tmp_path)
    before = service.survey
    path.write_text(path.read_text().replace("kind: scale", "kind: scael"), encoding="utf-8")
    outcome = await reload_survey(service, path)
    assert not outcome.ok
    assert service.survey is before
    assert any("did you mean 'scale'" in p and "survey.yaml:" in p for p in outcome.problems)


async def test_renaming_an_answered_choice_is_refused_and_adding_one_allowed(
    tmp_path: Path,
) -> None:
    service, path = _service(tmp_path)
    await _one_answer_to_south(service)
    original = path.read_text(encoding="utf-8")
    south = "      - {id: south, label: {sv: Söder, en: South}}\n"
    north = "      - {id: north, label: {sv: Norr, en: North}}\n"
    assert south in original and north in original

    west = "      - {id: west, label: {sv: Väst, en: West}}\n"
    path.write_text(original.replace(south, west), encoding="utf-8")
    refused = await reload_survey(service, path)
    assert not refused.ok, refused
    assert refused.problems[0].startswith("questions.area.choices: south"), refused

    path.write_text(original.replace(north, north + west), encoding="utf-8")
    applied = await reload_survey(service, path)
    assert applied.ok, applied.problems
    area = service.survey.question("area")
    assert area is not None and "west" in str(area.model_dump())


async def test_audit_keeps_the_minute_in_stockholm_and_nothing_finer(tmp_path: Path) -> None:
    service, _ = _service(tmp_path)
    await audit(service.store, lambda: NOON, ADMIN, 42, "/reload ok")
    (entry,) = await service.store.audit_log()
    assert (entry.minute, entry.role, entry.actor_id, entry.action) == (
        "2026-06-01 12:30",
        "admin",
        42,
        "/reload ok",
    )
