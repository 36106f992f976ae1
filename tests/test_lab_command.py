"""The README's lab command starts JupyterLab serving notebooks/ (checked headless)."""
import json
import os
import secrets
import signal
import subprocess
import time
import urllib.request

import pytest

from conftest import REPO, free_port


@pytest.mark.kernel
def test_make_lab_serves_the_notebooks(tmp_path):
    port, token = free_port(), secrets.token_hex(16)
    args = (f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} "
            f"--ServerApp.port_retries=0")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path), "JUPYTER_CONFIG_DIR": str(tmp_path)}
    server = subprocess.Popen(["make", "-s", "lab", f"LAB_ARGS={args}"], cwd=REPO, env=env,
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
        on_disk = {p.name for p in (REPO / "notebooks").glob("*.ipynb")}
        assert on_disk <= served and "course_utils" not in served  # rooted at notebooks/
        # JupyterLab's own settings from lab-settings/: no "get notified about news?" popup
        notification = json.load(urllib.request.urlopen(
            f"http://127.0.0.1:{port}/lab/api/settings/@jupyterlab/apputils-extension:"
            f"notification?token={token}", timeout=5))["schema"]["properties"]
        assert notification["fetchNews"]["default"] == "false"  # JupyterLab's own: "none" (ask)
        assert notification["checkForUpdates"]["default"] is False
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
