"""Shared by the class test (the hub) and the term test (grading): root, users, ports."""
from __future__ import annotations

import os
import socket
import subprocess

import pytest

from conftest import REPO

STUDENTS = [f"course-student{n}" for n in (1, 2, 3)]
COURSE_ENV = os.environ.get("COURSE_ENV", "/opt/course-env")


def set_up_the_class() -> None:
    """Root, then classroom/setup.sh: proxy, class environment, course-grader, 3 students.

    Fails (never skips) without root: these tests create system users, as CI does.
    """
    if os.geteuid() != 0:
        pytest.fail("the class and term tests need root: they create system users (students "
                    "and the grader's sandbox user) and run servers as them. Run them as root "
                    "(`sudo make test`), as CI does.")
    subprocess.run(["bash", "classroom/setup.sh", "--students", str(len(STUDENTS))], cwd=REPO,
                   check=True)


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + count > 65535:
            continue
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError(f"no {count} consecutive free ports on 127.0.0.1")


def run_as(user: str, *command: str, cwd: str = "/") -> subprocess.CompletedProcess:
    """Run a command as another system user (no shell), capturing its output."""
    return subprocess.run(["runuser", "-u", user, "--", *command], capture_output=True,
                          text=True, cwd=cwd)
