"""A real PostgreSQL server for the tests: Debian's binaries (initdb, pg_ctl) on a throwaway data
directory, listening on a Unix socket only, started once per session and removed at its end.

Run as root (CI), the server runs as the `postgres` user (PostgreSQL refuses to run as root), the
directory chowned to it; run as anyone else, initdb and pg_ctl run as that user. A server that
cannot start FAILS the tests that need it, with initdb's or pg_ctl's output: never a skip.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import psycopg
import pytest

from tests import server_steps as steps

SERVER_USER = "postgres"  # Debian's package creates it; the server runs as it when the tests run as root
SUPERUSER = "postgres"  # the database role initdb makes (-U)


@attrs.frozen
class Server:
    """A running server: the directory holding its socket."""

    socket_dir: Path

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(host=str(self.socket_dir), user=SUPERUSER, dbname="postgres")


def binaries() -> Path:
    """The newest installed PostgreSQL's bin directory (Debian keeps them out of PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
                   if p.parent.parent.name.isdigit() else 0)
    if not found:
        pytest.fail("PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/initdb "
                    "(apt-get install -y postgresql; .ci/run does it)")
    return found[-1].parent


# PostgreSQL refuses to run as root: as `postgres` (Debian's package creates the user)
run_or_fail = functools.partial(steps.run_or_fail, "PostgreSQL")
as_server_user = functools.partial(steps.as_user, SERVER_USER)
server_uid = functools.partial(steps.user_id, SERVER_USER, "PostgreSQL", "postgresql")


def start(root: Path) -> Server:
    """initdb and pg_ctl start in `root` (which the server's user must own): trust authentication,
    UTF8 (Chinese names and text), no TCP, no fsync (a test server's data is thrown away)."""
    bin_dir, data, log = binaries(), root / "data", root / "server.log"
    user = as_server_user()
    run_or_fail([*user, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER, "-E", "UTF8",
                 "--locale=C", "--no-sync"], "initdb", root)
    options = f"-k {root} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    # -l: the server writes to its log, not to pg_ctl's pipes (which would then never close)
    run_or_fail([*user, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
                "pg_ctl start", root, log)
    return Server(root)


def stop(root: Path) -> None:
    run_or_fail([*as_server_user(), str(binaries() / "pg_ctl"), "-D", str(root / "data"), "-m", "fast", "-w", "stop"],
                "pg_ctl stop", root, root / "server.log")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    root = Path(tempfile.mkdtemp(prefix="starrules-pg-"))
    try:
        if os.geteuid() == 0:
            os.chown(root, server_uid(), -1)
        server = start(root)
        try:
            yield server
        finally:
            stop(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres(postgres_server: Server) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A connection whose work is rolled back at the end: every test starts from an empty database."""
    with postgres_server.connect() as connection:
        try:
            yield connection
        finally:
            connection.rollback()
