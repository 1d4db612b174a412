"""Wiring and lifecycle: builds the PTB application, registers handlers, runs long polling.

What must hold:
- only the update types the bot handles are requested (message, edited_message,
  callback_query), and each is routed explicitly (`filters.TEXT` alone would match edits);
- residents are handled concurrently, each resident's updates in order
(`bot.adapters.telegram.ordering`), and
  sends stay within Telegram's flood limits (`bot.adapters.telegram.flood`);
- the same update delivered twice is handled once (a bounded memory of recent update ids);
- SIGTERM/SIGINT stop cleanly: polling stops, running steps finish, the store is closed;
  SIGHUP reloads the survey file (through the admin service when one is wired in). A signal
  while the bot is still reaching Telegram, or while Telegram is down, stops it just as cleanly;
- a rejected token (at start, or revoked while running) and an unreachable server at start
  end `run_until_stopped` with a `StopError`: one line without the token, and an exit status;
  a background job's failure never stops the shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import SecretStr
from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.adapters.telegram import messages
from bot.adapters.telegram.aiohttp_request import AiohttpRequest
from bot.adapters.telegram.flood import FloodLimiter, SharedWindows
from bot.adapters.telegram.ordering import PerResidentProcessor
from bot.adapters.telegram.residents import ResidentHandlers
from bot.adapters.telegram.staff import StaffHandlers, staff_handlers
from bot.adapters.telegram.updates import TolerantBot
from bot.conversation.service import SurveyService
from bot.conversation.texts import COMMANDS, STAFF_COMMANDS, catalog_languages, t
from bot.staff.service import StaffService

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
#: Recent update ids remembered to drop redelivered updates.
_SEEN_LIMIT = 50_000


@dataclass
class BotOptions:
    """How to reach Telegram and how hard to work."""

    token: SecretStr
    api_base_url: str = "https://api.telegram.org"
    concurrency: int = 4096
    #: Seconds a getUpdates long poll waits for news.
    poll_timeout: float = 10
    #: Per-chat sends per second (Telegram: about 1 on average); 0 turns the limit off.
    per_chat_rate: float = 1
    #: Overall sends per second (Telegram: about 30); 0 turns every flood limit off.
    overall_rate: float = 30
    #: The HTTP client under PTB: "aiohttp" (about a quarter of httpx's CPU per call, see
    #: docs/performance.md) or "httpx" (PTB's default).
    http_client: str = "aiohttp"
    #: Telegram user ids of staff (/stats) and admins (also /export, /reload).
    staff_ids: frozenset[int] = frozenset()
    admin_ids: frozenset[int] = frozenset()
    #: The bot's username for the share link if Telegram has not told it (SURVEYBOT_BOT_USERNAME).
    bot_username: str | None = None


class _SeenUpdates:
    """A bounded memory of update ids: Telegram may deliver an update again after a restart."""

    def __init__(self, limit: int = _SEEN_LIMIT) -> None:
        self._ids: OrderedDict[int, None] = OrderedDict()
        self._limit = limit

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.update_id in self._ids:
            raise ApplicationHandlerStop
        self._ids[update.update_id] = None
        if len(self._ids) > self._limit:
            self._ids.popitem(last=False)


def build_application(
    service: SurveyService,
    options: BotOptions,
    staff: StaffService | None = None,
    *,
    shared_windows: SharedWindows | None = None,
) -> Application:  # type: ignore[type-arg]
    """The PTB application with every resident (and, given `staff`, staff) handler; with
    `shared_windows` (replicas on one PostgreSQL) the flood limits are kept there."""
    base = options.api_base_url.rstrip("/")
    request: type[AiohttpRequest | HTTPXRequest] = (
        AiohttpRequest if options.http_client == "aiohttp" else HTTPXRequest
    )
    # Handlers mostly wait (for the flood limit, for Telegram); connections are only held
    # while a request is on the wire, so the pool stays small however many residents run.
    pool = min(options.concurrency, 56) + 8
    limiter = None
    if options.overall_rate:
        limiter = FloodLimiter(
            overall_rate=options.overall_rate,
            per_chat_rate=options.per_chat_rate,
            per_chat_burst=max(3, int(options.per_chat_rate * 3)),
            shared=shared_windows,
        )
    requests = (
        request(connection_pool_size=pool, read_timeout=15, write_timeout=15),
        request(read_timeout=options.poll_timeout + 10),
    )
    bot = TolerantBot(
        options.token.get_secret_value(),
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=requests[0],
        get_updates_request=requests[1],
        rate_limiter=limiter,
    )
    # Replicas on one database: a resident's update runs while this replica holds their turn.
    turn = service.turn if service.turns is not None else None
    builder = (
        ApplicationBuilder()
        .bot(bot)
        .concurrent_updates(PerResidentProcessor(options.concurrency, turn=turn))
    )
    application = builder.build()
    application.add_handler(TypeHandler(Update, _SeenUpdates()), group=-1)
    residents = ResidentHandlers(service, options.bot_username)
    if staff is not None:
        handlers = StaffHandlers(
            staff, residents, staff_ids=options.staff_ids, admin_ids=options.admin_ids
        )
        for handler in staff_handlers(handlers):
            application.add_handler(handler)
    register_resident_handlers(application, residents)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """One log line per failure (no user data), and a translated apology to the resident."""
        error = context.error
        log.error("failed to handle an update: %s: %s", type(error).__name__, error)
        if log.isEnabledFor(logging.DEBUG) and error is not None:
            log.debug("traceback", exc_info=error)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None and chat.type == chat.PRIVATE:
            language = messages.survey_language(service.survey, messages.language_code(update))
            await messages.send(context.bot, chat.id, t("error", language))

    application.add_error_handler(on_error)
    return application


def register_resident_handlers(application: Application, h: ResidentHandlers) -> None:  # type: ignore[type-arg]
    """Route every update type explicitly; private chats run the survey, groups get a pointer."""
    private = filters.ChatType.PRIVATE
    new = filters.UpdateType.MESSAGE
    for name, callback in (
        ("start", h.start),
        ("restart", h.restart),
        ("cancel", h.cancel),
        ("help", h.help),
        ("privacy", h.privacy),
        ("language", h.language),
    ):
        application.add_handler(CommandHandler(name, callback, filters=private & new))
    application.add_handler(MessageHandler(private & new & filters.COMMAND, h.unknown_command))
    application.add_handler(MessageHandler(private & new & filters.TEXT, h.text))
    application.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, h.edited))
    application.add_handler(MessageHandler(private & new, h.other))
    application.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & new & (filters.COMMAND | filters.Regex(r"^/[A-Za-z]")),
            h.group,
        )
    )
    application.add_handler(CallbackQueryHandler(h.button))


async def start_application(
    application: Application,  # type: ignore[type-arg]
    options: BotOptions | None = None,
) -> None:
    """Initialise, register the command menus (a failure there is one log line) and start
    handling: what every way of receiving updates (polling, webhook) does first."""
    await application.initialize()
    try:
        if options is None:
            await register_commands(application)
        else:
            await register_commands(application, options.staff_ids, options.admin_ids)
    except TelegramError as err:
        log.warning("could not register the command menu: %s", err)
    await application.start()


async def start_polling(
    application: Application,  # type: ignore[type-arg]
    poll_timeout: float,
    options: BotOptions | None = None,
) -> None:
    """Initialise, register the command menus, start handling and long polling."""
    await start_application(application, options)
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=0,
        timeout=int(poll_timeout),
        allowed_updates=ALLOWED_UPDATES,
        error_callback=_on_poll_error,
    )


def _on_poll_error(error: TelegramError) -> None:
    """A failed getUpdates: one line (PTB's default logs a whole traceback); PTB retries."""
    log.warning("getUpdates failed, retrying: %s: %s", type(error).__name__, error)


async def stop_polling(application: Application) -> None:  # type: ignore[type-arg]
    """Stop polling, let running steps finish, shut down."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


async def register_commands(
    application: Application,  # type: ignore[type-arg]
    staff_ids: frozenset[int] = frozenset(),
    admin_ids: frozenset[int] = frozenset(),
) -> None:
    """setMyCommands in each language (English is also the default menu); staff and admins
    see their own commands too, in their chat only (scope: that chat)."""
    for language in (lang for lang in catalog_languages() if len(lang) == 2):  # ISO 639-1 only
        commands = [BotCommand(name, t(f"cmd.{name}", language)) for name in COMMANDS]
        await application.bot.set_my_commands(commands, language_code=language)
    default = [BotCommand(name, t(f"cmd.{name}", "en")) for name in COMMANDS]
    await application.bot.set_my_commands(default)
    for user_id in sorted(staff_ids | admin_ids):
        names = COMMANDS + (STAFF_COMMANDS if user_id in admin_ids else STAFF_COMMANDS[:2])
        commands = [BotCommand(name, t(f"cmd.{name}", "en")) for name in names]
        try:
            await application.bot.set_my_commands(commands, scope=BotCommandScopeChat(user_id))
        except TelegramError as err:
            # Telegram knows the chat only after that person has written to the bot once.
            log.info("no staff command menu for one staff chat yet: %s", err)


class StopError(Exception):
    """Polling could not start, or had to stop: `str()` is one line for the operator (no
    token in it), `status` the process's exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


#: Exit statuses: the operator must fix a setting; Telegram could not be reached (a supervisor
#: restarts the bot, with its own backoff).
EXIT_SETTING = 2
EXIT_UNREACHABLE = 1


def token_rejected(base_url: str, *, running: bool) -> StopError:
    when = "while the bot was running (revoked?)" if running else ""
    return StopError(
        f"Telegram rejected the token {when}".rstrip()
        + f" (401/404 from {base_url}): check SURVEYBOT_TOKEN"
        + ("" if base_url == "https://api.telegram.org" else " and SURVEYBOT_API_BASE_URL"),
        EXIT_SETTING,
    )


def _start_error(error: BaseException, options: BotOptions | None) -> StopError:
    base = options.api_base_url if options is not None else "the Bot API"
    if isinstance(error, InvalidToken):
        return token_rejected(base, running=False)
    reason = f"{type(error).__name__}: {error}"
    if options is not None:
        reason = reason.replace(options.token.get_secret_value(), "<token>")
    return StopError(
        f"cannot reach Telegram at {base} ({reason}); check the network and "
        "SURVEYBOT_API_BASE_URL (exiting; a supervisor such as systemd restarts the bot)",
        EXIT_UNREACHABLE,
    )


class Transport(Protocol):
    """Another way than long polling to receive updates (webhook mode): `start()` initialises
    and starts the application; `stop()` stops receiving (the application is stopped here)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def run_until_stopped(
    application: Application,  # type: ignore[type-arg]
    *,
    poll_timeout: float = 10,
    options: BotOptions | None = None,
    on_reload: Callable[[], Coroutine[Any, Any, None]] | None = None,
    background: Callable[[], Coroutine[Any, Any, None]] | None = None,
    transport: Transport | None = None,
) -> None:
    """Poll (or run `transport`) until SIGTERM/SIGINT; SIGHUP calls `on_reload`; `background`
    runs alongside."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()

    def _reload() -> None:
        if on_reload is not None:
            task = loop.create_task(on_reload())
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, _reload)
    bot = application.bot
    failures: list[StopError] = []

    def _rejected() -> None:
        base = options.api_base_url if options is not None else "the Bot API"
        failures.append(token_rejected(base, running=True))
        stop.set()

    if isinstance(bot, TolerantBot):
        bot.lifecycle.on_token_rejected = _rejected
    worker: asyncio.Task[None] | None = None
    started = False
    try:
        first = (
            start_polling(application, poll_timeout, options)
            if transport is None
            else transport.start()
        )
        starting = loop.create_task(first)
        stopping = loop.create_task(stop.wait())
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not starting.done():
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            log.info("stopped before Telegram answered")
            return
        error = starting.exception()
        if isinstance(error, TelegramError):
            raise _start_error(error, options) from None
        starting.result()
        started = True
        log.info("the bot is running; stop it with Ctrl+C or SIGTERM")
        worker = loop.create_task(background()) if background else None
        await stop.wait()
    finally:
        if started:
            log.info("stopping")
        if worker is not None:
            worker.cancel()
            # The worker logs its own failures; its end must not stop the shutdown.
            await asyncio.gather(worker, return_exceptions=True)
        if isinstance(bot, TolerantBot):
            bot.lifecycle.stopping = True
        if started:
            if transport is not None:
                await transport.stop()
            await stop_polling(application)
        else:
            await _close_requests(application)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
    if failures:
        raise failures[0]


async def _close_requests(application: Application) -> None:  # type: ignore[type-arg]
    """Close the HTTP sessions of a bot that never finished starting (PTB's shutdown skips a
    bot whose initialize failed)."""
    bot = application.bot
    for request in bot.lifecycle.requests if isinstance(bot, TolerantBot) else ():
        with contextlib.suppress(Exception):
            await request.shutdown()
