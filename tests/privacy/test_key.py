"""Where the pseudonym secret comes from and how it is protected (`bot.privacy.key`)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from bot.privacy.key import SecretError, key_path, load_secret, rotate_secret
from bot.privacy.pseudonyms import Pseudonyms

GOOD = "0123456789abcdef" * 4


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_key(path: Path, text: str, file_mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(file_mode)
    return path


def test_secret_from_the_environment_wins(tmp_path: Path) -> None:
    file = write_key(tmp_path / "other.key", "f" * 64)
    assert load_secret(GOOD, file, tmp_path / "survey.db") == GOOD.encode()
    assert not key_path(tmp_path / "survey.db").exists()


def test_short_environment_secret_is_refused() -> None:
    with pytest.raises(SecretError, match=r"SURVEYBOT_SECRET is too short.*token_hex"):
        load_secret("too-short", None, None)


def test_secret_from_a_file(tmp_path: Path) -> None:
    file = write_key(tmp_path / "bot.key", GOOD + "\n")
    assert load_secret(None, file, tmp_path / "survey.db") == GOOD.encode()
    # the same text gives the same pseudonyms wherever it comes from
    assert load_secret(GOOD, None, None) == load_secret(None, file, None)


@pytest.mark.parametrize("file_mode", [0o644, 0o640, 0o604, 0o620, 0o602, 0o660])
def test_a_key_file_others_can_touch_is_refused(tmp_path: Path, file_mode: int) -> None:
    file = write_key(tmp_path / "bot.key", GOOD, file_mode)
    with pytest.raises(SecretError, match=re.escape(f"run: chmod 600 {file}")):
        load_secret(None, file, None)


def test_a_short_or_unreadable_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="too short"):
        load_secret(None, write_key(tmp_path / "short.key", "abc"), None)
    with pytest.raises(SecretError, match="cannot read"):
        load_secret(None, tmp_path / "missing.key", None)
    directory = tmp_path / "dir.key"
    directory.mkdir(mode=0o700)
    with pytest.raises(SecretError, match="cannot read"):
        load_secret(None, directory, None)
    binary = tmp_path / "binary.key"
    binary.write_bytes(b"\xff" * 40)
    binary.chmod(0o600)
    with pytest.raises(SecretError, match="cannot read"):
        load_secret(None, binary, None)


def test_first_run_generates_a_private_key_away_from_the_database(tmp_path: Path) -> None:
    database, keys = tmp_path / "data" / "survey.db", tmp_path / "keys"
    database.parent.mkdir()
    old_umask = os.umask(0)  # even a careless umask gives 0600
    try:
        secret = load_secret(None, None, database, keys)
    finally:
        os.umask(old_umask)
    key = key_path(database, keys)
    assert key.parent == keys and key.name.startswith("survey.db-")
    assert mode(key) == 0o600
    assert re.fullmatch(rb"[0-9a-f]{64}", secret)
    assert key.read_text() == secret.decode() + "\n"
    assert load_secret(None, None, database, keys) == secret  # the next run reads it back
    assert sorted(p.name for p in database.parent.iterdir()) == []  # nothing beside the database


def test_the_default_key_directory_is_not_the_database_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 6: the key was generated as `<database>.key`, so a copy of the folder (a
    backup, a public-records request) carried the key that unlocks the pseudonyms."""
    monkeypatch.delenv("SURVEYBOT_KEY_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    database = tmp_path / "survey.db"
    load_secret(None, None, database)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config"]
    assert key_path(database).is_relative_to(tmp_path / "config" / "trygghetsbot")
    with pytest.raises(SecretError, match="database's own folder"):
        load_secret(None, None, database, tmp_path)


def test_a_key_left_beside_the_database_must_be_moved(tmp_path: Path) -> None:
    database = tmp_path / "survey.db"
    (tmp_path / "survey.db.key").write_text("k" * 64)
    with pytest.raises(SecretError, match=r"beside the database.*Move it"):
        load_secret(None, None, database, tmp_path / "keys")


def test_a_database_without_its_key_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "survey.db"
    database.write_bytes(b"")
    with pytest.raises(SecretError, match=r"key file .*survey\.db-.*\.key is missing"):
        load_secret(None, None, database, tmp_path / "keys")
    assert not key_path(database, tmp_path / "keys").exists()


def test_no_secret_at_all_is_refused() -> None:
    with pytest.raises(SecretError, match="no secret"):
        load_secret(None, None, None)
    with pytest.raises(SecretError, match="no secret"):
        load_secret("", None, None)


def test_rotate_replaces_the_key(tmp_path: Path) -> None:
    database, keys = tmp_path / "survey.db", tmp_path / "keys"
    before = load_secret(None, None, database, keys)
    rotate_secret(key_path(database, keys))
    after = load_secret(None, None, database, keys)
    assert after != before and len(after) == 64
    assert mode(key_path(database, keys)) == 0o600
    assert [p.name for p in keys.iterdir()] == [key_path(database, keys).name]  # no temp files
    old, new = Pseudonyms(before, cost=2**8), Pseudonyms(after, cost=2**8)
    assert old.completion_marker("s", 123456789) != new.completion_marker("s", 123456789)


def test_rotate_creates_a_missing_key(tmp_path: Path) -> None:
    key = tmp_path / "bot.key"
    rotate_secret(key)
    assert mode(key) == 0o600
    assert len(load_secret(None, key, None)) == 64
