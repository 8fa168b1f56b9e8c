"""A real MariaDB server (MySQL-compatible) for the tests: Debian's binaries (mariadb-install-db,
mariadbd) on a throwaway data directory, listening on a Unix socket only, started once per session
and removed at its end.

Run as root (CI), the server runs as the `mysql` user (Debian's package creates it), the directory
chowned to it; run as anyone else, it runs as that user. A server that cannot start FAILS the tests
that need it, with the step's output and the server's error log: never a skip.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pymysql
import pytest

from tests import server_steps as steps

SERVER_USER = "mysql"  # Debian's package creates it; the server runs as it when the tests run as root
SUPERUSER = "root"  # the account mariadb-install-db makes (password-less over the socket here)
INSTALL_DB = Path("/usr/bin/mariadb-install-db")
SERVER = Path("/usr/sbin/mariadbd")
ADMIN = Path("/usr/bin/mariadb-admin")
CLIENT = Path("/usr/bin/mariadb")
START_SECONDS = 60  # until the socket takes a connection
STOP_SECONDS = 60


@attrs.frozen
class Server:
    """A running server: its directory (socket, data, error log)."""

    root: Path

    @property
    def socket(self) -> Path:
        return self.root / "sock"

    @property
    def log(self) -> Path:
        return self.root / "error.log"

    def connect(self, database: str | None = None, **options: Any) -> pymysql.connections.Connection:
        return pymysql.connect(unix_socket=str(self.socket), user=SUPERUSER, charset="utf8mb4", database=database,
                               **options)


def installed() -> None:
    missing = [str(p) for p in (INSTALL_DB, SERVER, ADMIN, CLIENT) if not p.exists()]
    if missing:
        pytest.fail(f"MariaDB is not installed: no {', '.join(missing)} "
                    "(apt-get install -y mariadb-server; .ci/run does it)", pytrace=False)


run_or_fail = functools.partial(steps.run_or_fail, "MariaDB")
as_server_user = functools.partial(steps.as_user, SERVER_USER)
server_uid = functools.partial(steps.user_id, SERVER_USER, "MariaDB", "mariadb-server")
server_log = steps.log_text


def start(root: Path) -> tuple[Server, subprocess.Popen[bytes]]:
    """mariadb-install-db and mariadbd in `root` (which the server's user must own): no option
    files read, root without a password over the socket, no TCP."""
    installed()
    server = Server(root)
    data = root / "data"
    user = as_server_user()
    run_or_fail([*user, str(INSTALL_DB), "--no-defaults", f"--datadir={data}", "--auth-root-authentication-method=normal",
                 "--skip-test-db"], "mariadb-install-db", root)
    # the server writes to its error log, not to our pipes (which would then have to be read)
    process = subprocess.Popen([*user, str(SERVER), "--no-defaults", f"--datadir={data}", f"--socket={server.socket}",
                                "--skip-networking", f"--pid-file={root / 'mariadbd.pid'}", f"--log-error={server.log}"],
                               cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None:
            pytest.fail(f"mariadbd stopped while starting (exit {process.returncode}):\n{server_log(server.log)}",
                        pytrace=False)
        try:
            server.connect().close()
            return server, process
        except pymysql.err.OperationalError as error:
            if time.monotonic() > deadline:
                stop(server, process)
                pytest.fail(f"mariadbd took no connection in {START_SECONDS} s ({error}):\n{server_log(server.log)}",
                            pytrace=False)
        time.sleep(0.2)


def stop(server: Server, process: subprocess.Popen[bytes]) -> None:
    """mariadb-admin shutdown (which waits for the server to go); SIGTERM if that fails, then wait."""
    if process.poll() is None:
        subprocess.run([str(ADMIN), "--no-defaults", f"--socket={server.socket}", f"--user={SUPERUSER}", "shutdown"],
                       capture_output=True, timeout=STOP_SECONDS, check=False)
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        pid = server.root / "mariadbd.pid"
        if pid.exists():
            os.kill(int(pid.read_text().strip()), signal.SIGTERM)
        process.terminate()
        process.wait(timeout=STOP_SECONDS)


@pytest.fixture(scope="session")
def mysql_server() -> Iterator[Server]:
    root = Path(tempfile.mkdtemp(prefix="starrules-mariadb-"))
    try:
        if os.geteuid() == 0:
            os.chown(root, server_uid(), -1)
        server, process = start(root)
        try:
            yield server
        finally:
            stop(server, process)
    finally:
        shutil.rmtree(root, ignore_errors=True)


_databases = itertools.count(1)


@pytest.fixture
def mysql(mysql_server: Server) -> Iterator[pymysql.connections.Connection]:
    """A connection to a database of its own, dropped at the end (MySQL commits DDL at once, so a
    rollback could not undo a CREATE TABLE): every test starts from an empty database."""
    name = f"test_{next(_databases)}"
    with mysql_server.connect() as admin:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    try:
        with mysql_server.connect(name) as connection:
            yield connection
    finally:
        with mysql_server.connect() as admin:
            with admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE {name}")
