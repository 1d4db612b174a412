"""Responses sealed to the analysis key (`storage.sealing`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from storage import Response, SealError, SQLiteStore, StoredAnswer, generate_keypair
from storage.sealing import private_key, public_key, seal, unseal
from tests.analysis_key import ANALYSIS_PRIVATE, ANALYSIS_PUBLIC

ANSWERS: dict[str, StoredAnswer] = {"area": "south", "places": ["park"], "years": 12, "skip": None}


def test_a_sealed_response_opens_only_with_its_private_key() -> None:
    response = Response("s", "v1", date(2025, 5, 2), "sv", ANSWERS)
    box = seal(response, public_key(ANALYSIS_PUBLIC))
    assert unseal("s", box, private_key(ANALYSIS_PRIVATE)) == response
    assert b"south" not in box and len(box) % 256 == 48  # padded body + box overhead
    assert seal(response, public_key(ANALYSIS_PUBLIC)) != box  # fresh ephemeral key each time
    _, other = generate_keypair()
    with pytest.raises(SealError, match="does not open"):
        unseal("s", box, private_key(other))


def test_a_short_and_a_long_response_seal_to_the_same_length() -> None:
    key = public_key(ANALYSIS_PUBLIC)
    short = seal(Response("s", "v1", date(2025, 5, 2), "sv", {"a": None}), key)
    longer = seal(Response("s", "v1", date(2025, 5, 2), "sv", {"a": "b" * 100}), key)
    assert len(short) == len(longer)


async def test_a_malformed_analysis_key_is_refused_before_the_file_is_touched(
    tmp_path: Path,
) -> None:
    for bad in ("", "xyz", ANALYSIS_PUBLIC[:-2]):
        with pytest.raises(SealError, match="64 hex characters"):
            await SQLiteStore.open(tmp_path / "s.db", analysis_key=bad)
    assert not (tmp_path / "s.db").exists()
