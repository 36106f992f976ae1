"""The README's lab command starts JupyterLab serving the learner edition, learner/, with
nbgrader's lab extensions off; `make lab-instructor` serves notebooks/ with them on (headless).
"""
import html
import importlib.util
import json
import os
import re
import secrets
import signal
import subprocess
import time
import urllib.request

import pytest

from conftest import REPO, free_port


NBGRADER = "@jupyter/nbgrader"


def lab_extensions(port: int, token: str) -> tuple[set, set]:
    """(installed, disabled) lab extensions, as JupyterLab hands them to its page."""
    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=10).read()
    config = json.loads(html.unescape(re.search(
        rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page,
        re.DOTALL).group(1).decode()))
    return ({ext["name"] for ext in config["federated_extensions"]},
            set(config["disabledExtensions"]))


@pytest.mark.kernel
@pytest.mark.parametrize("target, folder, nbgrader_on", [
    ("lab", "learner", False), ("lab-instructor", "notebooks", True)])
def test_make_lab_serves_the_notebooks(tmp_path, target, folder, nbgrader_on):
    port, token = free_port(), secrets.token_hex(16)
    args = (f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} "
            f"--ServerApp.port_retries=0")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path), "JUPYTER_CONFIG_DIR": str(tmp_path)}
    server = subprocess.Popen(["make", "-s", target, f"LAB_ARGS={args}"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline, contents = time.monotonic() + 90, None
        while time.monotonic() < deadline and contents is None:
            assert server.poll() is None, "make lab exited early"
            try:
                version = json.load(urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api", timeout=2))
                contents = json.load(urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/contents?token={token}", timeout=5))
            except OSError:
                time.sleep(0.5)
        assert contents is not None, "JupyterLab did not answer within 90 s"
        assert "version" in version
        served = {item["name"] for item in contents["content"]}
        on_disk = {p.name for p in (REPO / folder).glob("*.ipynb")}
        assert on_disk and on_disk <= served and "course_utils" not in served  # rooted at folder/
        installed, disabled = lab_extensions(port, token)
        if importlib.util.find_spec("nbgrader"):  # the classroom extra (make setup installs it)
            assert NBGRADER in installed, sorted(installed)
            assert (NBGRADER not in disabled) == nbgrader_on, (
                f"make {target}: nbgrader's lab extensions should be {'on' if nbgrader_on else 'off'}"
                f"; disabled: {sorted(disabled)}")
        # JupyterLab's own settings from lab-settings/: no "get notified about news?" popup
        notification = json.load(urllib.request.urlopen(
            f"http://127.0.0.1:{port}/lab/api/settings/@jupyterlab/apputils-extension:"
            f"notification?token={token}", timeout=5))["schema"]["properties"]
        assert notification["fetchNews"]["default"] == "false"  # JupyterLab's own: "none" (ask)
        assert notification["checkForUpdates"]["default"] is False
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
