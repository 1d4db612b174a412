"""Bootstrap shared by every `survey-bot` command: settings and logging, the survey file, the store.

What must hold: settings are read here (and in `bot.adapters.telegram.app` only what is passed
in); a person's mistake is a `CliError` whose message says what to do. The bot (`run`, `chat`)
opens the store as the bot (one at a time); the staff's tools open it as a tool, beside a
running bot, creating nothing (`storage.sqlite_lock`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings, load_settings
from bot.conversation.service import SurveyService
from bot.privacy.key import load_secret
from bot.privacy.pseudonyms import Pseudonyms
from bot.privacy.redaction import configure_logging, install_redaction
from bot.survey.loader import Checked, load_survey, read_survey
from bot.survey.model import Survey
from storage import Store, open_store
from storage.metered import MeteredStore
from storage.pg_turns import PgTurns

EXIT_USAGE = 2
log = logging.getLogger(__name__)


class CliError(Exception):
    """A mistake a person can fix; the message says how."""


def now() -> datetime:
    """The wall clock (aware, UTC)."""
    return datetime.now(UTC)


def settings_with_logging() -> Settings:
    """The settings, with logging configured and the secrets registered for redaction."""
    settings = load_settings()
    configure_logging(settings.log_level)
    token = settings.token.get_secret_value() if settings.token else None
    install_redaction([s for s in (token, settings.secret) if s])
    return settings


def load_survey_or_fail(path: Path) -> Survey:
    """The survey at `path` (warnings are logged); a SurveyError lists every problem."""
    _must_exist(path)
    return load_survey(path)


def read_survey_or_fail(path: Path) -> Checked:
    """The survey at `path` and its warnings; a SurveyError lists every problem."""
    _must_exist(path)
    return read_survey(path)


def _must_exist(path: Path) -> None:
    if not path.exists():
        raise CliError(f"survey file {path} not found: set SURVEYBOT_SURVEY to your survey file")


async def open_service(
    settings: Settings,
    survey: Survey,
    database: str | None = None,
    *,
    metered: bool = False,
    running: bool = False,
) -> SurveyService:
    """The survey service on the configured store and secret (`metered`: with Prometheus
    metrics of the store; `running`: the bot itself, which on PostgreSQL takes each
    resident's turn across replicas, `storage.pg_turns`)."""
    database = database or settings.database
    key = load_secret(
        settings.secret, settings.secret_file, database_path(database), settings.key_dir
    )
    store: Store = await open_store(
        database,
        synchronous=settings.sqlite_synchronous,
        analysis_key=settings.analysis_key,
        batch=survey.min_group_size,
    )
    if settings.analysis_key is None:  # said once the store is open: a mistake stays one line
        log.warning("no SURVEYBOT_ANALYSIS_KEY: completed responses are counted, not kept")
    if metered:
        store = MeteredStore(store)
    turns = await PgTurns.open(database) if running and is_postgres(database) else None
    return SurveyService(
        survey,
        store,
        Pseudonyms(key),
        clock=now,
        session_ttl=timedelta(days=settings.session_ttl_days),
        turns=turns,
    )


async def open_tool_store(
    settings: Settings, database: str | None = None, where: str = "SURVEYBOT_DATABASE"
) -> Store:
    """The existing store, opened as a tool (it works while the bot runs); creates nothing, no
    database and no key file. A missing database is one line naming `where` it was set."""
    database = database or settings.database
    path = database_path(database)
    if path is not None and not path.is_file():
        raise CliError(
            f"no database at {path}: nothing has been collected there; "
            f"give the bot's database with {where}"
        )
    return await open_store(database, synchronous=settings.sqlite_synchronous, mode="tool")


def is_postgres(database: str) -> bool:
    """Whether `database` names a PostgreSQL database (which replicas may share)."""
    return database.startswith(("postgresql://", "postgres://"))


def database_path(database: str) -> Path | None:
    """The SQLite file, beside which the key file is kept by default; None for other stores
    (PostgreSQL needs SURVEYBOT_SECRET or SURVEYBOT_SECRET_FILE)."""
    if database.startswith("memory:") or is_postgres(database):
        return None
    return Path(database.removeprefix("sqlite:///"))
