"""A throwaway PostgreSQL server for the tests, and a fresh database per test.

What must hold:
- CI (`.ci/run`) starts one server and exports its DSN as `SURVEYBOT_TEST_POSTGRES`; the tests
  use it as it is. Without that variable a developer's `pytest` starts a server itself, the same
  way `.ci/run` does (`initdb` + `pg_ctl` from Debian's `postgresql` package, as the `postgres`
  user when running as root, since `initdb` refuses root), on a free loopback port, in a
  temporary directory, and stops it at the end of the session.
- with `CI` set, a missing server is an error, never a skip: PostgreSQL tests must run in CI.
- the test server runs with `fsync=off`: it is thrown away, and the tests check behaviour, not
  durability (benchmarks that compare stores say which settings they used).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: The variable `.ci/run` exports: a DSN of a server the tests may create databases on.
DSN_VARIABLE = "SURVEYBOT_TEST_POSTGRES"


class NoPostgres(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def server_binaries() -> Path:
    """The directory holding `initdb` and `pg_ctl` (the newest Debian cluster version)."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name or 0)
    )
    for directory in reversed(versions):
        if (directory / "initdb").exists():
            return directory
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise NoPostgres(
        "no PostgreSQL server found: install Debian's `postgresql` package "
        f"(apt-get install -y postgresql) or set {DSN_VARIABLE}"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalPostgres:
    """A PostgreSQL cluster in a temporary directory, started with `start()`."""

    directory: Path
    port: int

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @classmethod
    def start(cls) -> LocalPostgres:
        """Create a cluster and start its server; raises `NoPostgres` without the binaries."""
        binaries = server_binaries()
        directory = Path(tempfile.mkdtemp(prefix="surveybot-pg-"))
        as_postgres: list[str | Path] = []
        if os.geteuid() == 0:  # initdb refuses root
            shutil.chown(directory, "postgres")
            as_postgres = ["runuser", "-u", "postgres", "--"]
        server = cls(directory, free_port())
        data = directory / "data"
        try:
            _run(
                [*as_postgres, binaries / "initdb", "--auth=trust", "--username=postgres",
                 "--encoding=UTF8", "--no-sync", "-D", data],
            )  # fmt: skip
            options = (
                f"-p {server.port} -k {directory} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c full_page_writes=off"
            )
            _run(
                [*as_postgres, binaries / "pg_ctl", "-D", data, "-o", options, "-w",
                 "-l", directory / "server.log", "start"],
            )  # fmt: skip
        except subprocess.CalledProcessError as error:
            log = directory / "server.log"
            detail = log.read_text() if log.exists() else error.stderr.decode(errors="replace")
            shutil.rmtree(directory, ignore_errors=True)
            raise RuntimeError(f"could not start PostgreSQL: {detail.strip()}") from error
        return server

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        as_postgres: list[str | Path] = ["runuser", "-u", "postgres", "--"]
        _run(
            [*(as_postgres if os.geteuid() == 0 else []), server_binaries() / "pg_ctl",
             "-D", self.directory / "data", "-m", "immediate", "-w", "stop"],
            check=False,
        )  # fmt: skip
        shutil.rmtree(self.directory, ignore_errors=True)


def _run(args: list[str | Path], check: bool = True) -> None:
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=check)


def with_database(dsn: str, database: str) -> str:
    """The same server's DSN, naming another database."""
    base, _, rest = dsn.rpartition("/")
    query = rest.partition("?")[2]
    return f"{base}/{database}" + (f"?{query}" if query else "")
