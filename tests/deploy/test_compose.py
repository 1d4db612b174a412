"""compose.yaml agrees with the Dockerfile, with the bot's settings and with docs/production.md.

Nothing here runs a container: the files are read (compose.yaml with a safe YAML loader, the
Dockerfile with `tests.deploy.dockerfile`) and compared, so a name, port, uid or path changed in
one place and not in the other fails here rather than on a municipality's server.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.config import Settings
from tests.deploy.compose import COMPOSE, environment, load_compose
from tests.deploy.dockerfile import DOCKERFILE, ROOT, Stage, build_and_final
from tests.deploy.image import dockerignore_patterns, ignored

PRODUCTION = ROOT / "docs" / "production.md"
#: A value that is only a reference to the operator's `.env`: `${NAME}` or `${NAME:?message}`.
REFERENCE = re.compile(r"\$\{[A-Z_][A-Z0-9_]*(?::?[?-][^}]*)?\}")
#: Settings whose value is a secret (`..._FILE` settings hold a path: see the last test).
SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|ANALYSIS_KEY)$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def final() -> Stage:
    return build_and_final()[1]


def test_every_surveybot_name_is_a_setting_of_the_bot() -> None:
    known = {f"SURVEYBOT_{name.upper()}" for name in Settings.model_fields}
    for path in (COMPOSE, DOCKERFILE):
        named = set(re.findall(r"SURVEYBOT_[A-Z0-9_]+", path.read_text(encoding="utf-8")))
        assert named, path
        assert sorted(named - known) == [], f"{path.name} names settings the bot does not have"


def test_the_healthcheck_exposed_and_configured_ports_agree(
    compose: dict[str, Any], final: Stage
) -> None:
    port = final.env()["SURVEYBOT_HTTP_PORT"]
    assert final.one("EXPOSE").args.split() == [port]
    (url,) = re.findall(r"https?://[^'\"\s]+", " ".join(final.healthcheck()))
    parts = urlsplit(url)
    assert (parts.hostname, str(parts.port), parts.path) == ("127.0.0.1", port, "/healthz")
    bot = compose["services"]["bot"]
    assert environment(bot).get("SURVEYBOT_HTTP_PORT", port) == port
    assert environment(bot).get("SURVEYBOT_HTTP_HOST") in (None, "0.0.0.0")
    published = [str(p).rsplit(":", 1)[-1] for p in bot.get("ports", [])]
    assert published == [port], "the reverse proxy reaches the port the bot listens on"
    assert all(str(p).startswith("127.0.0.1:") for p in bot["ports"]), "only for this host"


def test_the_image_runs_as_the_unprivileged_uid_the_key_file_is_made_for(final: Stage) -> None:
    user, uid, _ = final.user_account()
    assert user != "root" and uid != 0
    assert final.one("USER").args.strip() == user
    # The operator makes the compose secret file for that uid (compose.yaml's comment, the
    # command in docs/production.md): the bot refuses a key it cannot read or others can.
    comment = re.findall(r"owner uid (\d+), mode (\d+)", COMPOSE.read_text(encoding="utf-8"))
    assert comment == [(str(uid), "600")]
    command = re.findall(r"install -m (\d+) -o (\d+) /dev/null (\S+)", PRODUCTION.read_text())
    assert command == [("600", str(uid), "secrets/pseudonym.key")]


def test_the_store_and_the_generated_key_each_have_a_volume_of_their_own(final: Stage) -> None:
    # The image's user cannot write its home (/app): without compose's secret file the bot
    # generates the key into SURVEYBOT_KEY_DIR, which must be a volume apart from the store's.
    env = final.env()
    store = PurePosixPath(env["SURVEYBOT_DATABASE"]).parent
    keys = PurePosixPath(env["SURVEYBOT_KEY_DIR"])
    assert store in final.volumes() and keys in final.volumes() and store != keys
    _, _, home = final.user_account()
    assert home not in final.volumes()


def test_the_bot_reaches_the_db_service_as_its_user_and_database(compose: dict[str, Any]) -> None:
    services = compose["services"]
    db_env = environment(services["db"])
    dsn = urlsplit(environment(services["bot"])["SURVEYBOT_DATABASE"])
    assert dsn.scheme == "postgresql"
    assert dsn.hostname == "db" and dsn.hostname in services
    assert dsn.port in (None, 5432)
    assert dsn.username == db_env["POSTGRES_USER"]
    assert dsn.path == "/" + db_env.get("POSTGRES_DB", db_env["POSTGRES_USER"])
    assert dsn.password == "${POSTGRES_PASSWORD}"
    assert services["bot"]["depends_on"]["db"]["condition"] == "service_healthy"
    check = services["db"]["healthcheck"]["test"]
    assert check[:2] == ["CMD", "pg_isready"]
    assert check[check.index("-U") + 1] == db_env["POSTGRES_USER"]
    assert check[check.index("-d") + 1] == db_env["POSTGRES_DB"]


def test_no_secret_value_is_committed(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                assert REFERENCE.fullmatch(value), f"{name}: {key} must come from .env"
            for password in filter(None, [urlsplit(value).password]):
                assert REFERENCE.fullmatch(password), f"{name}: {key} holds a password"
    # The files compose reads secrets from stay out of git and out of the image's context.
    paths = [compose["services"]["bot"]["env_file"]]
    paths += [secret["file"] for secret in compose["secrets"].values()]
    by_git = subprocess.run(
        ["git", "check-ignore", "--no-index", *paths], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    assert sorted(Path(p) for p in by_git) == sorted(Path(p) for p in paths)
    patterns = dockerignore_patterns()
    assert [p for p in paths if not ignored(PurePosixPath(Path(p).as_posix()), patterns)] == []


def test_the_secret_file_survey_and_writable_paths_fit_the_image(
    compose: dict[str, Any], final: Stage
) -> None:
    bot = compose["services"]["bot"]
    env = environment(bot)
    (secret,) = bot["secrets"]
    assert secret in compose["secrets"]
    assert env["SURVEYBOT_SECRET_FILE"] == f"/run/secrets/{secret}"
    # The survey folder mounted over the one the image copied, where SURVEYBOT_SURVEY looks.
    survey = PurePosixPath(final.env()["SURVEYBOT_SURVEY"])
    (surveys,) = bot["volumes"]
    host, container, mode = surveys.split(":")
    assert (ROOT / host).is_dir() and PurePosixPath(container) == survey.parent and mode == "ro"
    # A read-only root: what the bot writes (matplotlib's cache) lies on a tmpfs.
    assert bot["read_only"] is True
    cache = PurePosixPath(final.env()["MPLCONFIGDIR"])
    assert any(cache.is_relative_to(t) for t in bot["tmpfs"])
