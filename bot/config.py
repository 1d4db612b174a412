"""Settings from the environment or a `.env` file (prefix `SURVEYBOT_`).

What must hold: only the entry points (`bot.cli.main`, `bot.adapters.telegram.app`) read settings;
everything else
receives what it needs. A bad setting is reported as one line naming the variable to set
(`SettingsError`), never as a traceback. The names below are public and stay stable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TOKEN_PATTERN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{30,}$")
DEFAULT_API_BASE_URL = "https://api.telegram.org"


class SettingsError(Exception):
    """A setting is missing or malformed; the message says what to set."""


class Settings(BaseSettings):
    """Every setting of the bot; see the table in README.md."""

    model_config = SettingsConfigDict(
        env_prefix="SURVEYBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    #: The bot token from @BotFather. Required by `survey-bot run` only. A `SecretStr`: it
    #: shows as `**********` in every repr and error; `get_secret_value()` where it is used.
    token: SecretStr | None = None
    #: Bot API server; a self-hosted telegram-bot-api server works too.
    api_base_url: str = DEFAULT_API_BASE_URL
    #: The store: a SQLite file path (or `sqlite:///path`), or `postgresql://...`.
    database: str = "survey.db"
    #: The bot's username (as @BotFather shows it) for the survey's links and QR codes.
    bot_username: str | None = None
    #: The survey file admins edit.
    survey: Path = Path("surveys/questions.yaml")
    #: Telegram user ids of staff (may use /stats) and admins (also /export, /reload).
    staff: Annotated[frozenset[int], NoDecode] = frozenset()
    admins: Annotated[frozenset[int], NoDecode] = frozenset()
    #: The pseudonym secret (>= 32 characters); else read from `secret_file`; else generated
    #: into `key_dir` (mode 0600) on first run.
    secret: str | None = Field(default=None, repr=False)
    secret_file: Path | None = None
    #: Where a generated key is kept (default: `bot.privacy.key.default_key_dir()`); never the
    #: database's folder.
    key_dir: Path | None = None
    #: The analysis PUBLIC key (64 hex characters, `survey-bot analysis-key` makes a pair):
    #: completed responses are stored sealed to it. Without it only counters are kept.
    analysis_key: str | None = None
    #: Sessions idle longer than this are deleted.
    session_ttl_days: int = Field(default=7, ge=1, le=365)
    #: Residents handled at the same time (each resident's updates stay in order). High, so a
    #: crowd's presses are answered at once while their edits wait for the flood limit (a
    #: waiting handler costs about 43 kB, see docs/performance.md; PTB holds every fetched
    #: update in memory anyway).
    concurrency: int = Field(default=4096, ge=1, le=4096)
    #: Seconds one getUpdates long poll waits for news.
    poll_timeout: int = Field(default=10, ge=0, le=50)
    #: Sends per second in one chat (Telegram: about 1 on average; a short burst is allowed).
    per_chat_rate: float = Field(default=1, ge=0, le=100)
    #: Sends per second overall (Telegram: about 30); raise only for a self-hosted test server.
    overall_rate: float = Field(default=30, gt=0, le=100_000)
    #: The HTTP client under python-telegram-bot: "aiohttp" (less CPU) or "httpx".
    http_client: Literal["aiohttp", "httpx"] = "aiohttp"
    #: "FULL" (a completed response survives a power cut) or "NORMAL" (faster, see README).
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    #: Python logging level.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: Polling: "confirm-after" confirms an update to Telegram only once it was handled (a crash
    #: loses no press, the default); "early" is python-telegram-bot's own updater (confirms
    #: before handling, so a crash can drop the presses in flight; see docs/production.md).
    polling: Literal["confirm-after", "early"] = "confirm-after"
    #: Webhook mode: the public HTTPS URL Telegram POSTs updates to (unset: long polling).
    webhook_url: str | None = None
    #: Telegram's secret token for the webhook: 1-256 of A-Z, a-z, 0-9, _ and -.
    webhook_secret: str | None = Field(default=None, repr=False, pattern=r"^[A-Za-z0-9_-]{1,256}$")
    #: Parallel webhook requests Telegram may make (Telegram: 1-100, default 40).
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    #: The small HTTP server (webhook, /healthz, /readyz, /metrics): address and port. In
    #: polling mode it runs only when a port is set; in webhook mode on 8080 unless set.
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=1, le=65535)

    @field_validator("staff", "admins", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError("use comma-separated numeric Telegram user ids") from None
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("api_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        # PTB's examples write the server with "/bot" (its `base_url`); the bot adds that part
        # itself, so both forms mean the same server.
        return value.rstrip("/").removesuffix("/bot").rstrip("/")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be the public https:// URL Telegram should call")
        return value

    def require_webhook_secret(self) -> str:
        """The webhook secret, or a SettingsError saying how to make one."""
        if not self.webhook_secret:
            raise SettingsError(
                "SURVEYBOT_WEBHOOK_SECRET is not set: webhook mode needs a secret token (e.g. "
                "the output of `openssl rand -hex 32`), the same on every replica"
            )
        return self.webhook_secret

    @property
    def all_staff(self) -> frozenset[int]:
        """Admins are staff too."""
        return self.staff | self.admins

    def require_token(self) -> SecretStr:
        """The token, or a SettingsError saying how to get one."""
        token = self.token.get_secret_value().strip() if self.token else ""
        if not token:
            raise SettingsError(
                "SURVEYBOT_TOKEN is not set: create a bot with @BotFather in Telegram and put "
                "its token in the environment or in .env"
            )
        if not TOKEN_PATTERN.match(token):
            raise SettingsError(
                "SURVEYBOT_TOKEN does not look like a bot token (expected 123456789:ABC..., "
                "as @BotFather gives it)"
            )
        return SecretStr(token)


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a bad value becomes one SettingsError line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        first = err.errors()[0]
        name = "SURVEYBOT_" + str(first["loc"][0]).upper() if first["loc"] else "SURVEYBOT_*"
        raise SettingsError(f"{name} is invalid: {first['msg']}") from None
