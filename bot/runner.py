"""`survey-bot run`: the running bot's lifecycle around `bot.app`.

What must hold: the store is opened before polling starts and closed after it stops; idle
sessions are purged periodically (hourly); SIGHUP reloads the survey file like /reload.
"""

from __future__ import annotations

import asyncio
import logging

from bot.app import BotOptions, build_application, run_until_stopped
from bot.cli import open_service
from bot.config import Settings
from bot.staff import StaffService
from bot.staff_handlers import StaffHandlers, staff_handlers
from bot.survey import Survey

log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 3600


async def serve(settings: Settings, survey: Survey, token: str) -> None:
    """Run the bot until SIGTERM/SIGINT."""
    service = await open_service(settings, survey)
    staff = StaffService(service, survey_path=settings.survey, clock=service_clock(service))
    handlers = StaffHandlers(staff, staff_ids=settings.all_staff, admin_ids=settings.admins)
    options = BotOptions(
        token=token,
        api_base_url=settings.api_base_url,
        concurrency=settings.concurrency,
        extra_handlers=list(staff_handlers(handlers)),
    )
    application = build_application(service, options)

    async def purge_forever() -> None:
        while True:
            removed = await service.purge_idle()
            if removed:
                log.info("deleted %d idle session(s)", removed)
            await asyncio.sleep(PURGE_EVERY_SECONDS)

    async def reload() -> None:
        outcome = await staff.reload()
        log.info("SIGHUP reload: %s", outcome.summary)

    try:
        await run_until_stopped(application, on_reload=reload, background=purge_forever)
    finally:
        await service.store.close()


def service_clock(service: object) -> object:
    """Placeholder replaced when staff service lands."""
    return None
