"""Starting a throwaway database server for the tests, whichever server (tests/postgres_server.py,
tests/mysql_server.py): each step runs as the server's own user when the tests run as root (the
servers refuse root, or should not run as it), and a step that fails FAILS the test with what it
printed and the server's log — never a skip."""

from __future__ import annotations

import os
import pwd
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest


def as_user(user: str) -> list[str]:
    """The prefix that runs a command as `user`: `runuser` when the tests run as root."""
    return ["runuser", "-u", user, "--"] if os.geteuid() == 0 else []


def user_id(user: str, product: str, package: str) -> int:
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        pytest.fail(f"no user “{user}” to run {product} as; Debian's {package} package creates it", pytrace=False)


def log_text(log: Path | None) -> str:
    return log.read_text(errors="replace") if log is not None and log.exists() else ""


def run_or_fail(product: str, command: Sequence[str], step: str, cwd: Path, log: Path | None = None) -> None:
    """Run one step of starting or stopping the server; a failure fails the test with what the
    step printed (and the server's log, if it has one)."""
    done = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        pytest.fail(f"{product} {step} failed (exit {done.returncode}): {' '.join(command)}\n"
                    f"{done.stdout}{done.stderr}{log_text(log)}", pytrace=False)
