"""Staff and admins through the real bot: /stats with its menu and charts, /export, /reload,
and non-staff who learn nothing."""

from __future__ import annotations

import asyncio
import csv
import io
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.stats.counters import tally_cells
from bot.stats.tables import overall_table, split_table
from bot.stats.text import table_html, table_plain
from bot.survey.loader import load_survey
from bot.survey.model import Survey
from storage.base import Cell, Snapshot, never
from tests.analysis_key import ANALYSIS_PRIVATE
from tests.e2e.driver import SurveyTaker, step_of
from tests.e2e.harness import RunningBot, running_bot
from tests.fakes.bot_api import FakeBotApi, User
from tests.fakes.residents import Resident
from tests.tools import require_command

SMALL = Path(__file__).with_name("small_survey.yaml")
ADMIN = User(900_000_001, "Admin", language_code="en")
STAFF = User(900_000_002, "Staff", language_code="sv")
NOBODY = User(900_000_003, "Curious", language_code="en")
PNG = b"\x89PNG\r\n\x1a\n"


async def _answer(server: FakeBotApi, survey: Survey, count: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    takers = [
        SurveyTaker(server, Resident(server, User(910_000_000 + seed * 100 + i, f"R{i}")),
                    survey, "sv", random.Random(rng.random()))
        for i in range(count)
    ]  # fmt: skip
    await asyncio.gather(*(t.answer_all() for t in takers))


async def _recount(bot: RunningBot, survey: Survey) -> Snapshot:
    """The tallies recounted from the stored responses (not from the store's counters)."""
    cells: dict[Cell, int] = {}
    responses = await bot.service.store.responses(survey.id, ANALYSIS_PRIVATE)
    for response in responses:
        for cell in tally_cells(survey, dict(response.answers)):
            cells[cell] = cells.get(cell, 0) + 1
    return Snapshot(survey.id, len(responses), 0, cells)


@pytest.fixture
def small() -> Survey:
    return load_survey(SMALL)


async def test_stats_views_match_a_recount_after_suppression(
    server: FakeBotApi, small: Survey, tmp_path: Path
) -> None:
    async with running_bot(
        server, small, tmp_path / "s.db", staff_ids=frozenset({STAFF.id}),
        admin_ids=frozenset({ADMIN.id}),
    ) as bot:  # fmt: skip
        await _answer(server, small, 12)
        admin_menu = [
            c["command"] for c in server.commands_for({"type": "chat", "chat_id": ADMIN.id})
        ]
        assert admin_menu[-4:] == ["stats", "report", "export", "reload"]
        staff_menu = [
            c["command"] for c in server.commands_for({"type": "chat", "chat_id": STAFF.id})
        ]
        assert staff_menu[-2:] == ["stats", "report"] and "reload" not in staff_menu
        staff = Resident(server, STAFF)
        menu = await staff.send_command("/stats", settle=0.1)
        assert "Svar: 12 (<5 väntar" in menu.text, menu.text  # never "0": see docs/disclosure.md
        assert "slumpmässigt urval" in menu.text
        recount = await _recount(bot, small)
        await staff.press(data="st:q", settle=0.1)
        await staff.press(data="st:q:safe", settle=0.2)
        expected = table_html(overall_table(small, recount, "safe", "sv"))
        assert _plain(expected) in staff.messages()[-1]
        photo = [m for m in server.bot_messages(STAFF.id) if m.upload is not None][-1]
        assert photo.upload is not None and photo.upload.data.startswith(PNG)
        await staff.press(data="st:m", message_id=None, settle=0.1)
        await staff.press(data="st:b", settle=0.1)
        await staff.press(data="st:b:area", settle=0.1)
        await staff.press(data="st:s:area:safe", settle=0.2)
        expected = table_plain(split_table(small, recount, "safe", "area", "sv"))
        assert expected.partition("\n")[2] in staff.messages()[-1]
        # Three more responses wait for the next batch: the published numbers do not move.
        await _answer(server, small, 3, seed=2)
        menu = await staff.send_command("/stats", settle=0.1)
        assert "Svar: 12 (<5 väntar" in menu.text, menu.text


async def test_looking_after_every_response_publishes_only_at_the_next_milestone(
    server: FakeBotApi, small: Survey, tmp_path: Path
) -> None:
    """The small survey releases at 5, 10, 20, ... responses: staff who send /stats after
    every response see 10 until the 20th (the old rule published again at 15)."""
    async with running_bot(
        server, small, tmp_path / "s.db", staff_ids=frozenset({STAFF.id})
    ) as bot:
        await _answer(server, small, 10)
        staff = Resident(server, STAFF)
        menu = await staff.send_command("/stats", settle=0.1)
        assert "Svar: 10 (<5 väntar" in menu.text and "vid cirka 20 svar" in menu.text, menu.text
        for seed in range(2, 8):
            await _answer(server, small, 1, seed=seed)
            menu = await staff.send_command("/stats", settle=0.1)
            assert "Svar: 10 (" in menu.text and "vid cirka 20 svar" in menu.text, menu.text
        assert "Svar: 10 (5+ väntar" in menu.text, menu.text  # waiting: never exact below k
        assert await bot.service.store.count_responses(small.id) == 16


async def test_non_staff_learn_nothing(server: FakeBotApi, small: Survey, tmp_path: Path) -> None:
    async with running_bot(server, small, tmp_path / "s.db", admin_ids=frozenset({ADMIN.id})):
        await _answer(server, small, 5)
        nobody = Resident(server, NOBODY)
        for command in ("/stats", "/report", "/export", "/reload"):
            await nobody.send_command(command, settle=0.1)
            assert nobody.messages()[-1] == "I don't know that command. Send /help for help."
        screen = await nobody.send_command("/start", settle=0.1)
        with pytest.raises(ValueError):
            server.press(NOBODY, screen.message_id, "st:q")  # no such button exists for them
        update = server.press(NOBODY, screen.message_id, "st:q", strict=False)
        await server.wait_for(lambda: server.answer_for(update) is not None, 5)
        answer = server.answer_for(update)
        assert answer is not None and "earlier question" in (answer.text or "")
        assert all(m.upload is None for m in server.bot_messages(NOBODY.id))


async def test_export_sends_suppressed_tallies_and_free_text_apart(
    server: FakeBotApi, small: Survey, tmp_path: Path
) -> None:
    async with running_bot(server, small, tmp_path / "s.db", admin_ids=frozenset({ADMIN.id})):
        await _answer(server, small, 6)
        admin = Resident(server, ADMIN)
        await admin.send_command("/export text", settle=0.3)
    uploads = [m.upload for m in server.bot_messages(ADMIN.id) if m.upload is not None]
    assert len(uploads) == 2
    assert uploads[0].data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    header, *tallies = csv.reader(io.StringIO(uploads[0].data.decode("utf-8-sig")), delimiter=";")
    assert tallies and {r[0] for r in tallies} >= {"area", "safe"}
    counts = [i for i, name in enumerate(header) if name.endswith((": count", ": antal"))]
    for row in tallies:
        assert all(not row[i] or int(row[i]) == 0 or int(row[i]) >= 5 for i in counts)
    texts = list(csv.reader(io.StringIO(uploads[1].data.decode("utf-8-sig")), delimiter=";"))
    assert texts[0] == ["question_id", "text"] and all(len(r) == 2 for r in texts)


async def test_reload_keeps_the_survey_on_errors_and_orphans_and_applies_valid_changes(
    server: FakeBotApi, small: Survey, tmp_path: Path
) -> None:
    path = tmp_path / "survey.yaml"
    shutil.copy(SMALL, path)
    original = SMALL.read_text(encoding="utf-8")
    async with running_bot(
        server, small, tmp_path / "s.db", admin_ids=frozenset({ADMIN.id}), survey_path=path
    ) as bot:
        await _answer(server, small, 5)
        # A resident is mid-survey during the reloads.
        mid = Resident(server, User(920_000_001, "Mid", language_code="en"))
        screen = await mid.send_command("/start", settle=0.05)
        screen = await mid.press(data=f"{step_of(screen)}:go", settle=0.05)
        screen = await mid.press(data=f"{step_of(screen)}:c:north", settle=0.05)
        admin = Resident(server, ADMIN)

        path.write_text(original.replace("kind: scale", "kind: scael"), encoding="utf-8")
        await admin.send_command("/reload", settle=0.2)
        assert "NOT reloaded" in admin.messages()[-1] and "survey.yaml:" in admin.messages()[-1]
        assert bot.service.survey.version == small.version

        orphaning = original.replace("{id: south, label: {sv: Söder, en: South}}", "")
        orphaning = orphaning.replace("      - \n", "")
        path.write_text(
            orphaning.replace(
                "- {id: north", "- {id: south2, label: {sv: S, en: S}}\n      - {id: north"
            ),
            encoding="utf-8",
        )
        await admin.send_command("/reload", settle=0.2)
        assert "orphan" in admin.messages()[-1] or "NOT reloaded" in admin.messages()[-1]
        assert bot.service.survey.version == small.version

        retired = original.replace(
            "{id: south, label: {sv: Söder, en: South}}",
            "{id: south, label: {sv: Söder, en: South}, retired: true}\n"
            "      - {id: east, label: {sv: Öster, en: East}}",
        )
        path.write_text(retired, encoding="utf-8")
        await admin.send_command("/reload", settle=0.2)
        assert "reloaded" in admin.messages()[-1] and "NOT" not in admin.messages()[-1]
        assert bot.service.survey.version != small.version
        # The resident mid-survey continues on the new version without losing the answer.
        screen = await mid.press(data=f"{step_of(screen)}:c:safe", settle=0.05)
        screen = await mid.send_text("3", settle=0.05)
        screen = await mid.press(data=f"{step_of(screen)}:s", settle=0.05)
        assert "Thank you" in screen.text
        responses = await bot.service.store.responses(small.id, ANALYSIS_PRIVATE)
        mids = [r for r in responses if r.survey_version == bot.service.survey.version]
        assert len(mids) == 1 and mids[0].answers["area"] == "north"
        entries = await bot.service.store.audit_log()
        assert [e.action for e in entries[:3]] == [
            "/reload ok",
            "/reload refused",
            "/reload refused",
        ]
        assert all(e.actor_id == ADMIN.id and e.role == "admin" for e in entries[:3])


def _plain(html_text: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", html_text)).partition("\n")[2].strip()


async def test_report_sends_staff_the_lagesbild_of_the_published_results(
    server: FakeBotApi, small: Survey, tmp_path: Path
) -> None:
    async with running_bot(
        server, small, tmp_path / "s.db", staff_ids=frozenset({STAFF.id})
    ) as bot:
        await _answer(server, small, 6)
        staff = Resident(server, STAFF)
        await staff.send_command("/report", settle=0.1)
        await server.wait_for(
            lambda: any(m.upload for m in server.bot_messages(STAFF.id)), timeout=60
        )
        published = await bot.service.store.publish_if_due(small.id, never)  # what /report cut
        assert published.responses == 6
    (upload,) = [m.upload for m in server.bot_messages(STAFF.id) if m.upload is not None]
    assert upload.filename == f"{small.id}-lagesbild.pdf"
    assert upload.data.startswith(b"%PDF-")
    assert "rapporten" in (server.bot_messages(STAFF.id)[0].text or "").lower()
    require_command("pdftotext", "poppler-utils")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(upload.data)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Lägesbild: Testenkät" in text
    assert f"{published.responses} personer har svarat" in text
