"""The Dockerfile's image, checked as closely as a machine without a container engine allows.

`tests.deploy.image` follows the Dockerfile's own instructions: the build stage's COPY lines
make the build context, `pip install .` there becomes a wheel installed into a fresh venv, the
final stage's COPY, RUN and ENV lay out the image under a scratch folder, and commands run from
its WORKDIR as its USER (uid 10001, via setpriv, when the tests run as root). Then:

- the wheel holds exactly the files git tracks under bot/ and storage/ (catalogs, templates);
- the installed bot, not the worktree, answers `survey-bot --help` and `validate` as that user;
- the image's ENTRYPOINT and CMD (`survey-bot run`), with only the image's ENV plus a token,
  start against the fake Bot API on loopback, pass the image's HEALTHCHECK command, answer
  /readyz, write the store and the generated pseudonym key only where the image lets its user
  write, and stop cleanly on the image's STOPSIGNAL.

Deviations, all on loopback and named here: the bot listens on 127.0.0.1 and a free port
instead of the image's 0.0.0.0:8080 (the HEALTHCHECK's URL gets the same port), and talks to
the fake Bot API instead of api.telegram.org. What is not checked: a real `docker build`
(the base image, PyPI's resolution of the dependencies) and `docker compose up`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
from pathlib import Path

import aiohttp

from bot.conversation.texts import catalog_languages
from tests.deploy.dockerfile import ROOT
from tests.deploy.image import Image, ImageBot, wheel_files
from tests.fakes.bot_api import FakeBotApi
from tests.postgres import free_port

#: Run in the image: where the packages come from, and whether each catalog loads.
WHERE_FROM = """
import json, sys
import bot, storage
from bot.conversation.texts import catalog_languages, translations
print(json.dumps({
    "bot": bot.__file__, "storage": storage.__file__, "path": sys.path,
    "catalogs": {lang: type(translations(lang)).__name__ for lang in catalog_languages()},
}))
"""


def test_the_wheel_holds_every_file_git_tracks_in_the_packages(image: Image) -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "bot", "storage"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert any(name.endswith(".mo") for name in tracked), "the catalogs are tracked"
    in_wheel = wheel_files(image.wheel)
    assert sorted(set(tracked) - in_wheel) == [], "tracked but missing from the image"
    assert sorted(in_wheel - set(tracked)) == [], "in the image but not tracked"


def test_the_image_runs_the_installed_wheel_not_the_worktree(image: Image) -> None:
    result = image.run(["python", "-c", WHERE_FROM])
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    for package in ("bot", "storage"):
        assert Path(found[package]).is_relative_to(image.venv), found[package]
    # Neither the worktree nor its editable install (the tests' packages are on the path).
    assert str(ROOT) not in found["path"]
    assert not [p for p in found["path"] if "__editable__" in p]
    expected = dict.fromkeys(catalog_languages()[1:], "GNUTranslations")
    assert found["catalogs"] == {"en": "NullTranslations", **expected}


def test_survey_bot_help_and_validate_work_as_the_image_user(image: Image) -> None:
    entrypoint = image.final.exec_form("ENTRYPOINT")
    helped = image.run([*entrypoint, "--help"])
    assert helped.returncode == 0, helped.stderr
    assert "validate" in helped.stdout and "run" in helped.stdout
    # The image's SURVEYBOT_SURVEY names the survey its COPY put into the WORKDIR.
    survey = image.env()["SURVEYBOT_SURVEY"]
    assert Path(survey).is_file(), survey
    validated = image.run([*entrypoint, "validate"])
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert survey in validated.stdout
    assert "Traceback" not in validated.stderr


async def test_the_image_starts_passes_its_healthcheck_and_stops_on_its_stopsignal(
    image: Image,
) -> None:
    final = image.final
    image_port = final.env()["SURVEYBOT_HTTP_PORT"]
    port = free_port()
    healthcheck = [arg.replace(f":{image_port}/", f":{port}/") for arg in final.healthcheck()]
    assert healthcheck != final.healthcheck(), "the HEALTHCHECK calls SURVEYBOT_HTTP_PORT"
    async with FakeBotApi() as server:
        run_env = {  # what `docker run -e` adds, and the loopback deviations (module docstring)
            "SURVEYBOT_TOKEN": server.token,
            "SURVEYBOT_API_BASE_URL": server.url,
            "SURVEYBOT_HTTP_HOST": "127.0.0.1",
            "SURVEYBOT_HTTP_PORT": str(port),
            "SURVEYBOT_POLL_TIMEOUT": "1",
        }
        async with ImageBot(server, image, run_env) as bot:
            checked = await asyncio.to_thread(image.run, healthcheck, run_env, 10)
            assert checked.returncode == 0, checked.stderr
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{port}/readyz") as ready,
            ):
                assert (ready.status, (await ready.read()).strip()) == (200, b"ready")
            assert bot.proc is not None
            bot.proc.send_signal(signal.Signals[final.one("STOPSIGNAL").args.strip()])
            code = await bot.wait_exit()
    log = bot.log_text()
    assert code == 0, log
    assert "Traceback" not in log
    _check_written_files(image)


def _check_written_files(image: Image) -> None:
    """The store and the generated key: where the image's ENV puts them, the user's, mode 600
    for the key, and the key outside the database's folder (a copy of /data has no key)."""
    database = Path(image.env()["SURVEYBOT_DATABASE"])
    assert database.is_file(), f"no store at {database}"
    keys = Path(image.env()["SURVEYBOT_KEY_DIR"])
    (key,) = keys.glob(f"{database.name}-*.key")
    assert key.parent != database.parent
    for path in (database, key):
        assert os.geteuid() != 0 or path.stat().st_uid == image.uid, path
    assert key.stat().st_mode & 0o777 == 0o600
