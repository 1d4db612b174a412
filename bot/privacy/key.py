"""The pseudonym secret: where it comes from, how it is kept, and what rotating it means.

What must hold:
- the secret lives outside the database: in `SURVEYBOT_SECRET`, in a key file, or (default) in
  a key directory that is NOT the database's (`default_key_dir()`: `SURVEYBOT_KEY_DIR`, else
  `$XDG_CONFIG_HOME/trygghetsbot/keys`, else `~/.config/trygghetsbot/keys`), generated on first
  run with mode 0600 and named after the database's absolute path. So copying the database's
  folder (a backup, a public-records request) does not copy the key with it. A key directory
  that is the database's own folder is refused; a key left beside the database by an older bot
  is not used silently: the error says where to move it;
- a key file readable or writable by group or others, shorter than 32 characters, or unreadable
  is refused with a `SecretError` that says what to run; nothing falls back silently;
- a database without its key file is refused rather than given a new key: a new key would make
  every completion marker meaningless and let residents answer again (see `rotate_secret`).
  Call `load_secret` before opening the store, so a first run finds no database yet.

The secret is used as the UTF-8 bytes of its text (generated keys are 64 hex characters), so the
same text gives the same pseudonyms whether it comes from the environment or a file.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from pathlib import Path

#: The shortest secret accepted, in characters.
MIN_SECRET_CHARS = 32

_GENERATE_HINT = "python -c 'import secrets; print(secrets.token_hex(32))'"


class SecretError(Exception):
    """The secret is missing, too weak or badly protected; the message says what to do."""


def default_key_dir() -> Path:
    """Where generated keys live unless a key directory is configured."""
    configured = os.environ.get("SURVEYBOT_KEY_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "trygghetsbot" / "keys"


def legacy_key_path(database_path: Path) -> Path:
    """Where older bots generated the key: `<database>.key`, beside the database."""
    return database_path.with_name(database_path.name + ".key")


def key_path(database_path: Path, key_dir: Path | None = None) -> Path:
    """Where the generated key of this database lives: in `key_dir` (default
    `default_key_dir()`), named after the database and a hash of its absolute path."""
    directory = key_dir or default_key_dir()
    absolute = str(database_path.resolve())
    digest = hashlib.sha256(absolute.encode("utf-8")).hexdigest()[:16]
    return directory / f"{database_path.name}-{digest}.key"


def _checked(text: str, source: str) -> bytes:
    text = text.strip()
    if len(text) < MIN_SECRET_CHARS:
        raise SecretError(
            f"{source} is too short: at least {MIN_SECRET_CHARS} characters are needed. "
            f"Generate one with: {_GENERATE_HINT}"
        )
    return text.encode("utf-8")


def _read(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretError(
                f"the key file {path} can be read or written by other users; run: chmod 600 {path}"
            )
        text = path.read_text(encoding="utf-8")
    except SecretError:
        raise
    except (OSError, UnicodeDecodeError) as error:
        raise SecretError(f"cannot read the key file {path}: {error}") from error
    return _checked(text, f"the key file {path}")


def _write_new(path: Path) -> None:
    """Create `path` with a fresh key, mode 0600; fails if it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_secret(
    secret: str | None,
    secret_file: Path | None,
    database_path: Path | None,
    key_dir: Path | None = None,
) -> bytes:
    """The secret: from `secret` (the SURVEYBOT_SECRET value) if given, else from `secret_file`,
    else from `key_path(database_path, key_dir)`, generated there on first run."""
    if secret:
        return _checked(secret, "SURVEYBOT_SECRET")
    if secret_file is not None:
        return _read(secret_file)
    if database_path is None:
        raise SecretError(
            "no secret: set SURVEYBOT_SECRET, a secret file, or a database path "
            "(the key is then generated beside the database)"
        )
    path = key_path(database_path, key_dir)
    if path.parent.resolve() == database_path.resolve().parent:
        raise SecretError(
            f"the key directory {path.parent} is the database's own folder: a copy of the "
            "folder would carry the key. Set SURVEYBOT_KEY_DIR to another place"
        )
    if path.exists():
        return _read(path)
    legacy = legacy_key_path(database_path)
    if legacy.exists():
        raise SecretError(
            f"the key {legacy} lies beside the database, where a copy of the folder takes it "
            f"too. Move it: mkdir -p {path.parent} && mv {legacy} {path}"
        )
    if database_path.exists():
        raise SecretError(
            f"the database {database_path} exists but its key file {path} is missing. "
            "Restore the key file from your backup. Only if the survey is closed and the key "
            "was destroyed on purpose, create a new one with `survey-bot rotate-secret --yes` "
            "(residents who already answered could then answer again)."
        )
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_new(path)
    except FileExistsError:
        pass  # another process created it first: use theirs
    except OSError as error:
        raise SecretError(f"cannot create the key file {path}: {error}") from error
    return _read(path)


def rotate_secret(path: Path) -> None:
    """Replace the key file at `path` by a new random key (atomically, mode 0600).

    Rotating makes every pseudonym new: sessions in progress are lost (residents start again),
    and the completion markers no longer match anyone, so a resident who already answered
    could answer again. Rotate (or destroy the key) only after the survey has closed; doing so
    then makes the markers meaningless even to someone who has the database.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        _write_new(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)
