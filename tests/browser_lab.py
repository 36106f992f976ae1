"""JupyterLab in Chromium: what the browser test and the explorers' latency benchmark share.

``Lab`` starts `jupyter lab` on 127.0.0.1 (a free port, a token, offline settings) on a
folder; ``launch_chromium`` starts the system Chromium through Python Playwright (never a
browser download); ``open_notebook`` / ``run_all`` drive a notebook. ``slider_latency``
and ``train_latency`` time an explorer (course_utils.widgets) the way a person sees it:
from a slider's value changing, or the Train button being pressed, to a new image of the
figure decoded and painted on the screen.

Used by tests/test_browser.py, tests/test_site.py and benchmarks/explorers.py.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
# JupyterLab user settings: every cell in the DOM (so every output is checked), no
# autosave, no news or update checks (the server is offline).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
}
RUN_TIMEOUT_S = 300      # one notebook, all cells


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_chromium() -> str | None:
    """The system Chromium: $COURSE_CHROMIUM, then chromium on PATH, then /usr/bin/chromium;
    None without it or without Python Playwright."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None
    for candidate in (os.environ.get("COURSE_CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def launch_chromium(playwright, chromium: str):
    """A headless Chromium browser (Playwright's Browser) from the executable chromium."""
    return playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)


class Lab:
    """A `jupyter lab` server on 127.0.0.1 serving root; its settings and logs in home.

    ``env``: more environment variables for the server and its kernels.
    """

    def __init__(self, root: Path, home: Path, env: dict | None = None):
        self.root, self.home, self.env = Path(root), Path(home), env or {}
        self.port, self.token = free_port(), os.urandom(16).hex()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = self.home / "jupyter.log"
        self.proc = None

    def start(self) -> None:
        settings = self.home / "settings"
        for plugin, values in LAB_SETTINGS.items():
            file = settings / (plugin + ".jupyterlab-settings")
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(json.dumps(values))
        env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings),
               "JUPYTERLAB_WORKSPACES_DIR": str(self.home / "workspaces"),
               "JUPYTER_CONFIG_DIR": str(self.home / "config"),
               "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
               "COURSE_OFFLINE": "1", "COURSE_PROGRESS": "1", **self.env}
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
               "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")   # CI runs as root; learners do not
        with open(self.log, "wb") as log:
            # A session of its own, so stop() can end the server and its kernels together.
            self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n"
                                   + self.log.read_text()[-3000:])
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}",
                                            timeout=2):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("jupyter lab did not answer within 90 s:\n" + self.log.read_text()[-3000:])

    def end_kernels(self) -> None:
        """Shut down every session's kernel, so that the next notebook starts alone."""
        request = urllib.request.Request(f"{self.url}/api/sessions?token={self.token}")
        with urllib.request.urlopen(request, timeout=10) as reply:
            sessions = json.load(reply)
        for session in sessions:
            urllib.request.urlopen(urllib.request.Request(
                f"{self.url}/api/sessions/{session['id']}?token={self.token}", method="DELETE"),
                timeout=10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass


def open_notebook(page, lab: Lab, path: str, kernel: bool = True) -> None:
    """Open path (relative to the server's root) in JupyterLab, alone; wait for an idle
    kernel. A page already showing this JupyterLab closes what it shows (unsaved changes
    dropped) instead of loading the application again."""
    if page.url.startswith(f"{lab.url}/lab") and page.evaluate("() => !!window.jupyterapp"):
        page.evaluate("""async path => { const app = window.jupyterapp;
            for (const widget of [...app.shell.widgets('main')]) {
                if (widget.context) widget.context.model.dirty = false;
                widget.dispose(); }
            await app.commands.execute('docmanager:open', {path}); }""", path)
    else:
        page.goto(f"{lab.url}/lab/tree/{path}?reset&token={lab.token}")
    page.wait_for_function(
        """([name, kernel]) => { const w = window.jupyterapp?.shell.currentWidget;
            return w && w.context?.path.endsWith(name) && w.content?.widgets.length > 0
                && (!kernel || w.sessionContext?.session?.kernel?.status === 'idle'); }""",
        arg=[Path(path).name, kernel], timeout=90_000)


def run_all(page) -> str:
    """Run all cells; wait until the last one finished and the kernel is idle.

    Returns 'done', or 'stopped' (a cell raised) or 'failed: ...' (the command failed).
    """
    page.evaluate("""() => { window.__courseRun = null;
        window.jupyterapp.commands.execute('notebook:run-all-cells')
            .then(ok => { window.__courseRun = ok === false ? 'stopped' : 'done'; },
                  err => { window.__courseRun = 'failed: ' + err; }); }""")
    page.wait_for_function("() => window.__courseRun !== null", timeout=RUN_TIMEOUT_S * 1000)
    page.wait_for_function("""() => window.jupyterapp.shell.currentWidget.sessionContext
            .session.kernel.status === 'idle'
        && ![...document.querySelectorAll('.jp-InputArea-prompt')]
            .some(prompt => prompt.textContent.includes('*'))""")
    wait_for_widgets(page)
    return page.evaluate("() => window.__courseRun")


def wait_for_widgets(page) -> None:
    """Give every widget output time to draw (an empty view after 30 s counts as failed)."""
    page.wait_for_function("""() => [...document.querySelectorAll(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.widget-view+json"]')]
        .every(el => el.textContent.includes('Error displaying widget') || el.childElementCount > 0)""",
                           timeout=30_000)
    page.wait_for_timeout(500)


# -- latency: a control changed -> the new figure on the screen ------------------------------
# In the page, for one explorer: note when a key or the mouse goes down (the change starts)
# and when each new image of the figure is decoded and painted (the frame after decode()).
WATCH = """explorer => {
    const img = explorer.querySelector('img.course-figure');
    const watch = {pressed: null, shown: []};
    explorer.__courseWatch = watch;
    const start = () => { watch.pressed = performance.now(); watch.shown = []; };
    explorer.addEventListener('keydown', start, true);
    explorer.addEventListener('pointerdown', start, true);
    new MutationObserver(() => img.decode().then(() => requestAnimationFrame(
        () => setTimeout(() => watch.shown.push(performance.now()), 0))))
        .observe(img, {attributes: true, attributeFilter: ['src']});
}"""
SHOWN = "explorer => explorer.__courseWatch.shown.map(t => t - explorer.__courseWatch.pressed)"


def slider_latency(page, explorer, slider_css: str, changes: int = 10) -> list[float]:
    """Milliseconds from each of `changes` slider moves (an arrow key on its handle, one
    step right then left, ...) to the new figure on the screen. explorer: a Locator."""
    explorer.scroll_into_view_if_needed()
    explorer.evaluate(WATCH)
    handle = explorer.locator(f"{slider_css} .noUi-handle").first
    latencies = []
    for k in range(changes):
        handle.focus()
        handle.press("ArrowLeft" if k % 2 else "ArrowRight")
        page.wait_for_function(f"el => ({SHOWN})(el).length > 0", arg=explorer.element_handle(),
                               timeout=30_000)
        latencies.append(explorer.evaluate(SHOWN)[0])
        page.wait_for_timeout(200)            # nothing left to draw before the next change
    return latencies


def train_latency(page, explorer) -> tuple[float, float]:
    """Press the explorer's Train button: milliseconds to the first curve on the screen,
    and to the last figure of the run (the button enabled again)."""
    explorer.scroll_into_view_if_needed()
    explorer.evaluate(WATCH)
    button = explorer.locator("button.course-train")
    button.click()
    page.wait_for_function(f"el => ({SHOWN})(el).length > 0", arg=explorer.element_handle(),
                           timeout=60_000)
    page.wait_for_function("b => !b.disabled", arg=button.element_handle(), timeout=120_000)
    page.wait_for_timeout(500)                # the final figure travels after the run ends
    shown = explorer.evaluate(SHOWN)
    return shown[0], shown[-1]
