"""Who may do what: the staff and admin roles, and the audit log of their actions.

What must hold: every staff and admin action is audited with role, actor id and the minute in
Europe/Stockholm (staff are employees, not respondents, so their ids may be kept); nothing
about residents is ever written here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.survey.questions import DEFAULT_ZONE
from storage.base import AuditEntry, Store

STAFF, ADMIN = "staff", "admin"


async def audit(
    store: Store, clock: Callable[[], datetime], role: str, actor_id: int, action: str
) -> None:
    """Record a staff or admin action, to the minute."""
    minute = clock().astimezone(DEFAULT_ZONE).strftime("%Y-%m-%d %H:%M")
    await store.record_audit(AuditEntry(minute, role, actor_id, action))
