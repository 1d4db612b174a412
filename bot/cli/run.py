"""`survey-bot run`: the running bot's lifecycle around `bot.adapters.telegram.app`.

What must hold: the store is opened before polling starts and closed after it stops; idle
sessions are purged periodically (hourly), and a failed purge is logged and tried again at the
next hour (it never ends the purging, nor the shutdown); SIGHUP reloads the survey file like
/reload. When Telegram rejects the token (at start, or later: revoked) or cannot be reached at
start, the command ends with ONE line (`StopError`) and a non-zero status: 2 for a setting to
fix, 1 for an unreachable server (a supervisor restarts the bot; see README).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from pydantic import SecretStr

from bot.adapters.telegram.app import BotOptions, StopError, build_application, run_until_stopped
from bot.adapters.telegram.metrics import Health, track_pseudonyms
from bot.adapters.telegram.polling import ConfirmingPoller
from bot.adapters.telegram.webhook import HttpServer, WebhookOptions, WebhookTransport
from bot.cli.bootstrap import (
    is_postgres,
    load_survey_or_fail,
    now,
    open_service,
    settings_with_logging,
)
from bot.config import Settings
from bot.conversation.service import SurveyService
from bot.staff.service import StaffService
from bot.survey.model import Survey
from storage.pg_flood import PgWindows

log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 3600
#: The HTTP server's port in webhook mode when SURVEYBOT_HTTP_PORT is not set.
DEFAULT_HTTP_PORT = 8080


async def serve(settings: Settings, survey: Survey, token: SecretStr) -> None:
    """Run the bot until SIGTERM/SIGINT. On PostgreSQL, replicas share residents' turns and
    the flood limits through the database (docs/production.md, "Several replicas")."""
    service = await open_service(settings, survey, metered=True, running=True)
    windows = await PgWindows.open(settings.database) if is_postgres(settings.database) else None
    staff = StaffService(service, survey_path=settings.survey, clock=now)
    options = BotOptions(
        staff_ids=settings.staff,
        admin_ids=settings.admins,
        token=token,
        api_base_url=settings.api_base_url,
        concurrency=settings.concurrency,
        poll_timeout=settings.poll_timeout,
        per_chat_rate=settings.per_chat_rate,
        overall_rate=settings.overall_rate,
        http_client=settings.http_client,
        bot_username=settings.bot_username,
    )
    application = build_application(service, options, staff, shared_windows=windows)

    async def reload() -> None:
        outcome = await staff.reload()
        log.info("SIGHUP reload: %s", outcome.summary)
        for problem in outcome.problems:
            log.warning("%s", problem)

    async def purge_forever() -> None:
        while True:
            await purge_once(service)
            await asyncio.sleep(PURGE_EVERY_SECONDS)

    health = Health(application, lambda: service.store.count_responses(survey.id))
    track_pseudonyms(service.pseudonyms)
    transport: WebhookTransport | ConfirmingPoller | None = None
    ops_server = None
    if settings.webhook_url:
        webhook = WebhookOptions(
            url=settings.webhook_url,
            secret=settings.require_webhook_secret(),
            host=settings.http_host,
            port=settings.http_port or DEFAULT_HTTP_PORT,
            max_connections=settings.webhook_max_connections,
        )
        transport = WebhookTransport(application, webhook, options, health.routes())
    else:
        if settings.polling == "confirm-after":
            transport = ConfirmingPoller(application, settings.poll_timeout, options)
        if settings.http_port:
            ops_server = HttpServer(settings.http_host, settings.http_port, health.routes())
    try:
        if ops_server is not None:
            await ops_server.start()
        await run_until_stopped(
            application,
            poll_timeout=settings.poll_timeout,
            options=options,
            on_reload=reload,
            background=purge_forever,
            transport=transport,
        )
    finally:
        if ops_server is not None:
            await ops_server.stop()
        await service.store.close()
        if service.turns is not None:
            await service.turns.close()
        if windows is not None:
            await windows.close()


async def purge_once(service: SurveyService) -> None:
    """Delete idle sessions; a failure is one log line (the next run tries again)."""
    try:
        removed = await service.purge_idle()
    except Exception as err:  # a locked or failing store must not end the purging
        log.warning("could not delete idle sessions: %s: %s", type(err).__name__, err)
        return
    if removed:
        log.info("deleted %d idle session(s)", removed)


def run_command(args: argparse.Namespace) -> int:
    """`survey-bot run`: read the settings and the survey, then serve until stopped."""
    settings = settings_with_logging()
    token = settings.require_token()
    if settings.webhook_url:
        settings.require_webhook_secret()
    survey = load_survey_or_fail(settings.survey)
    try:
        asyncio.run(serve(settings, survey, token))
    except StopError as err:
        print(f"survey-bot: {err}", file=sys.stderr)
        return err.status
    return 0
