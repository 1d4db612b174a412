"""compose.yaml's bot service, run as far as this machine allows: the image of
`tests.deploy.image` with the service's environment, its pseudonym-key secret made by the
command docs/production.md gives the operator, and a real PostgreSQL in place of the `db`
service; in webhook mode, with the fake Bot API POSTing a resident's /start.

Shown: the bot starts as uid 10001 with the operator's key file (mode 600, owned by that uid),
passes the image's HEALTHCHECK and /readyz (store and Telegram reachable), answers the
resident through the webhook, stops cleanly on the image's STOPSIGNAL, and writes nothing into
the image's volumes (the store is PostgreSQL, the key is the secret).

Stand-ins, on loopback: the test's PostgreSQL server for `db:5432` (compose.yaml's DSN is
checked against the db service in test_compose.py), 127.0.0.1 and a free port for the service's
0.0.0.0:8080, the fake Bot API for Telegram, and the test's values for the operator's `.env`.
The secret is mounted as compose does for a file secret (a bind mount: here a hard link, the
same file with its owner and mode). Not run: `read_only` (the user can write only /tmp, /data
and /keys here as well), the `db` image's own initialisation, and compose itself.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
from pathlib import Path, PurePosixPath

import aiohttp

from tests.deploy.compose import environment, load_compose
from tests.deploy.dockerfile import ROOT
from tests.deploy.image import Image, ImageBot
from tests.fakes.bot_api import FakeBotApi, User
from tests.fakes.webhook import WebhookSender
from tests.postgres import free_port

WEBHOOK_SECRET = "compose-test-webhook-secret"
#: The operator's command in docs/production.md that makes the key file for the secret.
KEY_COMMAND = re.compile(r"`(install -m 600 -o \d+ /dev/null \S+ && openssl rand -hex 32 > \S+)`")


def make_key_file(image: Image, secret_file: str) -> Path:
    """Run the docs' command in an operator's folder beside compose.yaml's stand-in, and mount
    the file at /run/secrets/<name> as compose does; returns the mounted path."""
    (command,) = KEY_COMMAND.findall((ROOT / "docs" / "production.md").read_text())
    if os.geteuid() != 0:  # only root can give the file to another uid
        command = re.sub(r" -o \d+", "", command)
    operator = image.root.parent / "operator"
    (operator / Path(secret_file).parent).mkdir(parents=True)
    subprocess.run(["bash", "-c", command], cwd=operator, check=True, timeout=30)
    return operator / secret_file


def volume_files(image: Image) -> set[Path]:
    return {p for v in image.final.volumes() for p in image.path(v).rglob("*")}


async def test_the_compose_bot_answers_a_resident_through_its_webhook_with_postgresql(
    image: Image, postgres_dsn: str
) -> None:
    compose = load_compose()
    service = compose["services"]["bot"]
    (secret,) = service["secrets"]
    key = make_key_file(image, compose["secrets"][secret]["file"])
    mounted = image.path(f"/run/secrets/{secret}")
    mounted.parent.mkdir(parents=True, exist_ok=True)
    os.link(key, mounted)
    assert key.stat().st_mode & 0o777 == 0o600
    assert os.geteuid() != 0 or key.stat().st_uid == image.uid
    key_text = key.read_text(encoding="utf-8")

    port = free_port()
    image_port = image.final.env()["SURVEYBOT_HTTP_PORT"]
    healthcheck = [a.replace(f":{image_port}/", f":{port}/") for a in image.final.healthcheck()]
    before = volume_files(image)
    user = User(555_000_001, "Astrid", language_code="sv")
    async with FakeBotApi() as server:
        run_env = environment(service) | {
            "SURVEYBOT_DATABASE": postgres_dsn,  # the `db` service's stand-in
            "SURVEYBOT_HTTP_HOST": "127.0.0.1",
            "SURVEYBOT_HTTP_PORT": str(port),
            # the operator's .env
            "SURVEYBOT_TOKEN": server.token,
            "SURVEYBOT_API_BASE_URL": server.url,
            "SURVEYBOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "SURVEYBOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
        sender = WebhookSender(server, retry_delay=0.1)
        try:
            mounts = (PurePosixPath("/run/secrets"),)
            async with ImageBot(server, image, run_env, mounts) as bot:
                checked = await asyncio.to_thread(image.run, healthcheck, None, 10)
                assert checked.returncode == 0, checked.stderr
                async with (
                    aiohttp.ClientSession() as session,
                    session.get(f"http://127.0.0.1:{port}/readyz") as ready,
                ):
                    assert (ready.status, (await ready.read()).strip()) == (200, b"ready")
                server.send_command(user, "/start")
                await server.wait_for(lambda: bool(server.bot_messages(user.id)), 20)
                assert bot.proc is not None
                bot.proc.send_signal(signal.Signals[image.final.one("STOPSIGNAL").args.strip()])
                code = await bot.wait_exit()
        finally:
            await sender.close()
    log = bot.log_text()
    assert code == 0, log
    assert "Traceback" not in log
    assert [d.status for d in sender.deliveries] == [200]
    assert volume_files(image) == before, "with PostgreSQL and a key file the volumes stay as is"
    assert key.read_text(encoding="utf-8") == key_text
