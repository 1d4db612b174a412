"""Attacks by whoever holds the files AND the pseudonym secret, on residents still answering.

DESIGN: they may test whether one known Telegram id took part (one slow derivation per id, the
price of blocking second answers) but must not enumerate participants cheaply, and in-progress
partial answers must be no easier to link than completion markers (finding 6: sessions were
keyed by one fast HMAC and held the partial answers, background first, in plain JSON).
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from datetime import datetime
from pathlib import Path

from bot.conversation.engine import Began, ChoicePicked, Opened
from bot.conversation.service import SurveyService
from bot.privacy.pseudonyms import Pseudonyms
from bot.survey.loader import load_survey
from storage import SQLiteStore

SECRET = b"attack-test-secret-which-is-long-enough"
SMALL = Path(__file__).resolve().parents[1] / "e2e" / "small_survey.yaml"
NOW = datetime.fromisoformat("2026-11-27T12:00:00+01:00")
USERS = range(7_000_000_000, 7_000_000_040)


def fast_keys(survey_id: str, user_id: int) -> list[bytes]:
    """One HMAC-SHA256 per id under the secret, with every purpose a version of the bot used."""
    keys = []
    for purpose in ("trygghetsbot/session/v1", "trygghetsbot/pseudonym/v2"):
        message = b"".join(
            len(part).to_bytes(4, "big") + part
            for part in (purpose.encode(), survey_id.encode(), str(user_id).encode())
        )
        keys.append(hmac.new(SECRET, message, hashlib.sha256).digest())
    return keys


async def test_partial_answers_are_as_hard_to_link_as_markers(tmp_path: Path) -> None:
    survey = load_survey(SMALL)
    path = tmp_path / "survey.db"
    store = await SQLiteStore.open(path, synchronous="NORMAL")
    pseudonyms = Pseudonyms(SECRET)
    service = SurveyService(survey, store, pseudonyms, clock=lambda: NOW)
    try:
        for user in USERS:  # each answers the background question, then leaves
            result = await service.step(user, Opened("sv"))
            assert result.after is not None
            result = await service.step(user, Began(result.after.step))
            assert result.after is not None
            area = "north" if user % 2 else "south"
            result = await service.step(user, ChoicePicked(result.after.step, area))
            assert result.after is not None and result.after.answers["area"] == area
    finally:
        await store.close()

    with sqlite3.connect(path) as db:
        sessions = dict(db.execute("SELECT key, state FROM sessions").fetchall())
    db.close()
    assert len(sessions) == len(USERS)
    # Cheap enumeration: one fast HMAC per id finds no session.
    found = [u for u in USERS if any(k in sessions for k in fast_keys(survey.id, u))]
    assert found == [], f"one HMAC per id found the sessions of {len(found)} residents"
    # Nor does reading the rows: no partial answer is stored in the clear.
    plain = [s for s in sessions.values() if "north" in str(s) or "south" in str(s)]
    assert plain == [], f"{len(plain)} sessions show their background answer"
    # The price the design accepts: ONE slow derivation tests one known id, as for markers.
    known = Pseudonyms(SECRET).keys(survey.id, USERS[3])
    opened = known.open_state(sessions[known.session_key]) or ""
    assert '"area":"north"' in opened.replace(" ", "")
