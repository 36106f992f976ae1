"""The grading sandbox (classroom/sandbox.py) holds a hostile notebook: it runs as
course-grader, without network, sees no private folder, writes nowhere outside its own, and
its time, memory and disk are limited; what it starts dies with it. Needs root (CI is root)."""
from __future__ import annotations

import os
import pwd
import socket
import tempfile
from pathlib import Path

import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from traitlets.config import Config

from class_helpers import COURSE_ENV, set_up_the_class
from conftest import REPO

pytestmark = [pytest.mark.kernel,  # a hub, kernels or nbgrader: make test runs these, test-fast not
              pytest.mark.usefixtures("grader_alone")]  # one at a time, under pytest-xdist too



def grader_processes() -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["username"]) if p.info["username"] == "course-grader"]


def is_sleep(process: psutil.Process) -> bool:
    try:
        return process.name() == "sleep"
    except psutil.NoSuchProcess:  # gone already
        return False


def run_sandboxed(cells: list[str], folder: Path, hidden: list[str], **limits) -> list:
    """Execute the cells as autograde does (SandboxedExecute); the outputs of each cell."""
    from classroom.sandbox import SandboxedExecute

    config = Config()
    config.SandboxKernelManager.python = f"{COURSE_ENV}/bin/python"
    config.SandboxKernelManager.hidden = hidden
    for name, value in limits.items():
        setattr(config.SandboxKernelManager, name, value)
    nb = new_notebook(cells=[new_code_cell(source) for source in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    executor = SandboxedExecute(config=config, timeout=3, iopub_timeout=1)
    executor.preprocess(nb, {"metadata": {"path": str(folder)}})
    return [cell.outputs for cell in nb.cells]


def text(outputs) -> str:
    return "".join(o.get("text", "") + o.get("evalue", "") for o in outputs)


@pytest.fixture(scope="module")
def secrets_and_listener(grader_alone):
    """A root-only folder with a secret, a host file and a TCP server the sandbox must not reach."""
    set_up_the_class()
    secret_dir = Path(tempfile.mkdtemp(prefix="course-secret-", dir="/var/tmp"))
    (secret_dir / "gradebook.db").write_text("SECRET GRADES")
    listener = socket.create_server(("127.0.0.1", 0))
    yield secret_dir, listener.getsockname()[1]
    listener.close()
    for path in secret_dir.iterdir():
        path.unlink()
    secret_dir.rmdir()


def test_a_hostile_notebook_is_contained(secrets_and_listener, tmp_path):
    secret_dir, port = secrets_and_listener
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "mine.txt").write_text("my own file")
    marker = f"/var/tmp/course-hostile-{os.getpid()}"
    before = {p.pid for p in grader_processes()}
    outputs = run_sandboxed([
        "import os, socket, subprocess\n"
        "print(os.getuid(), os.getgroups(), open('mine.txt').read())",
        f"socket.create_connection(('127.0.0.1', {port}), timeout=2)",
        f"print([p for p in {[str(secret_dir), '/root', '/home', str(REPO)]!r}"
        f" if os.path.exists(p) and os.listdir(p)])",
        f"open({marker!r}, 'w')",
        "open('/tmp/private', 'w').write('x'); print(os.listdir('/tmp'), len(os.listdir('/proc')))",
        "subprocess.Popen(['sleep', '600'], start_new_session=True); print('left behind')",
        "for n in range(4):\n    open(f'big{n}', 'wb').write(b'x' * 200 * 2**20)",
        "b = bytearray(9 * 2**30)",
        "while True: pass",
        "print('still here')",
        *["import time; time.sleep(2.5)"] * 4,
        "print('never')",
    ], submission, hidden=["/root", "/home", str(REPO), str(secret_dir)], total_timeout=12)
    uid = pwd.getpwnam("course-grader").pw_uid
    assert text(outputs[0]) == f"{uid} [] my own file\n"
    assert outputs[1][0].ename == "OSError" and "unreachable" in outputs[1][0].evalue
    assert text(outputs[2]) == "[]\n"  # private folders look empty (or absent, inside one)
    assert outputs[3][0].ename == "OSError" and "Read-only file system" in outputs[3][0].evalue
    assert text(outputs[4]).startswith("['private']") and not Path("/tmp/private").exists()
    assert text(outputs[5]) == "left behind\n"
    assert outputs[6][0].ename == "OSError" and "No space left" in outputs[6][0].evalue
    assert outputs[7][0].ename == "MemoryError"
    assert outputs[8][-1].ename == "CellTimeoutError"  # the per-cell limit (3 s) interrupts it
    assert text(outputs[9]) == "still here\n"
    assert outputs[10] == []  # 2.5 s cells are within the cell's limit, not the notebook's 12 s:
    assert outputs[-2][-1].ename == "DeadKernelError" and "used up its 12 s" in text(outputs[-2])
    assert "not run" in text(outputs[-1])
    assert not Path(marker).exists()
    # the sleep this notebook left behind (a grading test on another pytest-xdist worker may
    # have its own kernels running as the grader meanwhile)
    left = [p for p in grader_processes() if p.pid not in before and is_sleep(p)]
    gone, alive = psutil.wait_procs(left, timeout=5)  # SIGKILL takes a moment to land
    assert not alive, "the sleep outlived its sandbox"
    assert not list(Path("/var/tmp").glob("course-sandbox-*"))  # its folder is gone
    assert not list(Path("/sys/fs/cgroup").glob("**/course/grade-*"))  # and its cgroup


def test_memory_beyond_the_limit_stops_the_kernel_where_cgroups_allow(tmp_path, caplog):
    """1.5 GiB fits the address-space limit (8 GiB) but not a 512 MiB memory cgroup."""
    set_up_the_class()
    import limits

    outputs = run_sandboxed(["print('before')", "b = bytearray(1536 * 2**20)\n"
                             "b[::4096] = b'x' * len(b[::4096])", "print('after')"], tmp_path,
                            hidden=["/root", "/home"], memory_limit="512M")
    assert text(outputs[0]) == "before\n"
    probe = limits.memory_cgroup("probe", 2**30)
    limits.remove(probe)
    if probe is None:  # no memory cgroup on this machine: said plainly, not pretended
        assert "memory limit 512M NOT enforced" in caplog.text
        assert text(outputs[2]) == "after\n"
    else:
        assert all(o.ename == "DeadKernelError" for o in outputs[1])
        assert outputs[2][0].ename == "DeadKernelError" and "memory" in text(outputs[2])


def test_a_cell_that_ignores_the_interrupt_stops_the_kernel(tmp_path):
    set_up_the_class()
    outputs = run_sandboxed(["import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                             "while True: pass", "print('never')"], tmp_path,
                            hidden=["/root", "/home"])
    assert "did not stop when interrupted" in text(outputs[0])
    assert outputs[1][0].ename == "DeadKernelError" and "not run" in text(outputs[1])
