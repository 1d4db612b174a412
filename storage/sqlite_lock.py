"""Who may open the SQLite store, and how: the bot under the runner lock, tools beside it.

What must hold:
- one bot at a time: the bot takes an exclusive advisory lock (`fcntl.flock`) on
  `<database>.lock`, the runner lock, and holds it until it closes. A second bot (another
  process, or a second open in this one) gets `StoreLocked` at once instead of two bots racing
  on the same residents.
- tools (`survey-bot stats/export/report`) open the file beside a running bot without the
  lock, so a bot starts while a tool is open, and a tool runs while the bot does. They never
  create the file, and never migrate while a bot runs: the current schema is used as it is; an
  older one is migrated only if the tool can take the runner lock for that moment (no bot
  runs), and refused with one line otherwise; a newer one is refused (`SchemaTooNew`).
  What a tool may do once open is `storage.sqlite`'s to say (read and publish, no maintenance).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Literal

import aiosqlite

from storage.base import StoreError, StoreLocked
from storage.migrations import SCHEMA_VERSION, migrate, refuse_newer

#: Who opens the store: the bot (takes the runner lock) or a tool beside it.
Mode = Literal["bot", "tool"]


def runner_lock(path: Path) -> int:
    """Take the runner lock beside the database; returns the lock's descriptor (close it to
    release the lock). Raises `StoreLocked` at once if another bot holds it."""
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreLocked(
            f"another bot is using {path.name} (lock {lock_path} is held); "
            "stop the other bot first, or give this one its own database"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_tool_file(path: Path) -> None:
    """A tool reads what a bot collected: it never creates the database."""
    if not path.is_file():
        raise StoreError(f"no database at {path}: nothing has been collected there")


async def migrate_as_tool(db: aiosqlite.Connection, path: Path) -> None:
    """A tool's schema check on its open connection: see the module docstring."""
    if await refuse_newer(db, path.name) == SCHEMA_VERSION:
        return
    try:
        fd = runner_lock(path)
    except StoreLocked:
        raise StoreError(
            f"{path.name} has an older schema than this survey-bot, and a bot is running on it: "
            "run this command again once a bot of this version has started (it upgrades the "
            "database when it starts)"
        ) from None
    try:
        await migrate(db, path.name)
    finally:
        os.close(fd)
