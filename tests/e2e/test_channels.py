"""Channels through the real bot (issue 14 items 5 and 6): residents arrive by deep links
(`/start poster_andersberg`, `/start share`), by a link with an unknown payload and by a plain
/start; staff split the published results by source; the thank-you offers a share link and,
once something is published for the resident's area, how others there answered."""

from __future__ import annotations

import random
from pathlib import Path

from bot.conversation.direction import unmarked
from bot.conversation.results import area_results
from bot.stats.tables import PublishedCount, overall_table, split_table
from bot.survey.loader import parse_survey
from bot.survey.model import Survey
from bot.survey.sources import OTHER, SOURCE
from tests.analysis_key import ANALYSIS_PRIVATE
from tests.e2e.driver import SurveyTaker
from tests.e2e.harness import running_bot
from tests.fakes.bot_api import FakeBotApi, User
from tests.fakes.residents import Resident

SMALL = Path(__file__).with_name("small_survey.yaml")
CHANNELS = """
indicators:
  - id: unsafe
    kind: share
    label: {sv: Otrygga, en: Unsafe}
    question: safe
    choices: [unsafe]
sources:
  - id: poster_andersberg
    label: {sv: Affisch Andersberg, en: Poster Andersberg}
  - id: share
    label: {sv: Delad, en: Shared}
  - id: paper
    label: {sv: Tidning, en: Paper}
"""
#: How each resident opens the survey, in the order they answer (one at a time; staff look
#: after 15 and after 20, so those are the publications).
STARTS = ["/start"] + ["/start poster_andersberg", "/start share", "/start nonsense", "/start"] * 5
STARTS = STARTS[:20]
SHARE_LINK = "https://t.me/trygghets_test_bot?start=share"


def _survey() -> Survey:
    return parse_survey(SMALL.read_text(encoding="utf-8") + CHANNELS)


def _shown(counts: tuple[PublishedCount, ...]) -> list[int | None]:
    return [c if isinstance(c, int) else None for c in counts]


async def test_residents_from_each_channel_are_split_by_source_after_publication(
    server: FakeBotApi, tmp_path: Path
) -> None:
    survey = _survey()
    rng = random.Random(8)
    async with running_bot(server, survey, tmp_path / "c.db") as bot:
        thanks = []
        for number, start in enumerate(STARTS):
            user = User(914_000_000 + number, f"R{number}", language_code="sv")
            taker = SurveyTaker(server, Resident(server, user), survey, "sv", rng, start=start)
            answers = await taker.answer_all()
            thanks.append((taker, answers))
            if number == 14:  # staff look after 15 responses: a publication residents can see
                await bot.staff.snapshot()
        # The first resident finished before anything was published: only the share link.
        first = thanks[0][0].resident.current()
        assert [(b.callback_data, b.url) for b in first.buttons] == [(None, SHARE_LINK)]

        stored = await bot.service.store.responses(survey.id, ANALYSIS_PRIVATE)
        by_source = sorted(str(r.answers[SOURCE]) for r in stored)
        assert by_source == sorted(["poster_andersberg"] * 5 + ["share"] * 5 + [OTHER] * 10), (
            "a nonsense payload and a plain /start are both 'other'"
        )

        snapshot = await bot.staff.snapshot()
        assert (snapshot.responses, snapshot.waiting) == (20, 0)
        sources = await bot.staff.table(SOURCE, None, "en")
        assert sources.row_ids == ("poster_andersberg", "share", "paper", OTHER)
        # What is shown is the truth; the audit against the publication at 15 may hide a
        # channel that grew by 1..k-1 since (docs/disclosure.md), but never all of them.
        truth = [5, 5, 0, 10]
        counts = _shown(sources.row_totals)
        assert all(s is None or s == n for s, n in zip(counts, truth, strict=True)), counts
        assert any(s is not None and s > 0 for s in counts), counts
        split = await bot.staff.table("safe", SOURCE, "en")
        assert split.column_ids == ("poster_andersberg", "share", "paper", OTHER)
        sizes = _shown(split.column_totals)
        assert all(s is None or s == n for s, n in zip(sizes, truth, strict=True)), sizes
        # Every split cell is what the disclosure layer publishes for the stored responses.
        expected = split_table(survey, snapshot, "safe", SOURCE, "en")
        assert split.cells == expected.cells
        assert sources == overall_table(survey, snapshot, SOURCE, "en")
        for row in split.cells:
            for count in row:
                assert not isinstance(count, int) or count == 0 or count >= 5

        # The last resident finished as the fourth batch was published: how others answered.
        last, answers = thanks[-1]
        screen = last.resident.current()
        area = str(answers["area"])
        found = area_results(survey, snapshot, area, "sv")
        assert [(b.callback_data, b.url) for b in screen.buttons] == [
            (f"r:sv:{area}", None),
            (None, SHARE_LINK),
        ]
        await last.resident.press(data=f"r:sv:{area}", wait=False)

        def results_sent() -> bool:
            message = last.resident.last_message()
            return message is not None and not message.has_keyboard

        await server.wait_for(results_sent, 10, chat_id=last.resident.chat_id)
        message = last.resident.last_message()
        assert message is not None
        shown = unmarked(message.shown_text)
        if found is None:  # the disclosure layer hides this area's figures: it says so
            assert "För få i ditt område har svarat" in shown
            return
        assert f"Hur andra i {found.area} svarade" in shown
        for label, share in found.shares:
            assert f"{label}: {round(share)} %" in shown
        assert f"{found.residents} invånare" in shown
