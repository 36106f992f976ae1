"""The README's setup without `make` (Windows, conda) works: its commands, run the POSIX way.

The Windows block is run here as a POSIX shell would (`.venv\\Scripts\\` is `.venv/bin/`), in
a fresh venv. So that the test needs neither the network nor a second 5 GB PyTorch, the venv
sees this environment's packages (not course_utils) through a .pth file, as a machine that
already has them would; pip then installs the course itself from the repository, offline.
The last command, JupyterLab on the learner edition, is started and asked for its notebooks.
"""
import json
import os
import re
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO

START, END = "<!-- without make:", "<!-- end of without make -->"


def readme_commands() -> list[str]:
    """The Windows block's commands, as written in the README."""
    section = (REPO / "README.md").read_text().split(START, 1)[1].split(END, 1)[0]
    block = re.search(r"```powershell\n(.*?)```", section, re.DOTALL).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def posix(command: str, venv: Path) -> list[str]:
    command = command.replace(".venv\\Scripts\\", f"{venv}/bin/")
    words = command.split()
    if words[0] == "py":   # the Python launcher: this Python, whatever its version flag says
        words = [sys.executable, *words[2:]]
    return [w.replace('"', "") for w in words]


def test_the_readme_gives_the_three_steps():
    commands = readme_commands()
    assert len(commands) == 3 and "-m venv .venv" in commands[0]
    assert 'pip install -e ".[lab]"' in commands[1] and "jupyter lab" in commands[2]
    assert "--notebook-dir=learner" in commands[2]   # the learner edition, as `make lab`


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.kernel
def test_the_commands_without_make_set_up_and_open_the_learner_edition(tmp_path):
    create, install, lab = readme_commands()
    venv = tmp_path / ".venv"
    subprocess.run(posix(create, venv), cwd=tmp_path, check=True, timeout=300)
    view = tmp_path / "preinstalled"   # what a machine with PyTorch and friends already has
    view.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(("course_utils", "course-utils", "__editable__", "pip")) \
                and entry.suffix != ".pth":
            (view / entry.name).symlink_to(entry)
    site = Path(subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; "
                                "print(sysconfig.get_paths()['purelib'])"], capture_output=True,
                               text=True, check=True).stdout.strip())
    (site / "preinstalled.pth").write_text(f"{view}\n")
    # offline, pip builds the course without isolation: with this environment's setuptools,
    # not the older one the fresh venv bundles (online, pip's isolated build fetches a new one)
    subprocess.run([venv / "bin" / "python", "-m", "pip", "uninstall", "-q", "-y", "setuptools"],
                   check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHONPATH"))}
    env.update(PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0", PIP_DISABLE_PIP_VERSION_CHECK="1")
    run = subprocess.run(posix(install, venv), cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    where = subprocess.run([venv / "bin" / "python", "-c", "import course_utils; "
                            "print(course_utils.__file__)"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(REPO / "course_utils")), where

    command = posix(lab, venv)
    assert command[1] == "lab", command
    if not Path(command[0]).exists():   # jupyter came with the preinstalled packages, its script not
        command[:2] = [str(venv / "bin" / "python"), "-m", "jupyterlab"]
    port = free_port()
    server = subprocess.Popen(command + [
        "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=",
        *(["--allow-root"] if os.geteuid() == 0 else [])], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        names, deadline = None, time.monotonic() + 120
        while names is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=5) as r:
                    names = sorted(item["name"] for item in json.load(r)["content"])
            except OSError:
                time.sleep(1)
        assert names is not None, server.stderr.read() if server.poll() is not None else "no answer"
        assert "01_define_the_network.ipynb" in names and "solutions" in names, names
    finally:
        server.terminate()
        server.wait(timeout=30)
