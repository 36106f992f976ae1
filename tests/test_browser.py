"""The course where people use it: JupyterLab in a real browser (Debian's Chromium).

Starts `jupyter lab` on 127.0.0.1 with a free port and a token, drives the system
Chromium with Python Playwright (never a browser download), and for every notebook:
opens it, runs all cells, waits for the kernel to go idle, and checks that no cell
shows an error and no widget failed to display. In notebook 03 it presses the backward
stepper's next button and checks the step shown changed; in notebook 04 it drags the optimizer
playground's learning-rate slider and checks the plot changed; in notebook 05 it presses
the learning-rate explorer's Train button (disabled during the run). Notebook 01 is also
opened as a RISE slideshow, and math must render both in the notebook and in slides.

Screenshots land in build/screenshots/. The notebooks run from a copy in a temporary
folder, so the stored outputs in notebooks/ are never touched.

Without Chromium the test skips with one line saying how to enable it; in CI (CI=true)
a missing browser is a failure. Run it alone: `.venv/bin/python -m pytest tests/test_browser.py`.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, free_port

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9]*.ipynb"))
SCREENSHOTS = REPO / "build" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
HOW_TO_ENABLE = ("browser test skipped: Chromium not found. To enable it: sudo apt-get install "
                 "chromium (or set COURSE_CHROMIUM=/path/to/chromium).")
RUN_TIMEOUT_S = 300      # one notebook, all cells
# A markdown cell with math, rendered in JupyterLab and in the RISE slides.
MATH = r"$$\frac{\partial L}{\partial w} = x \, (w x - y)$$"
# JupyterLab user settings for the test: every cell in the DOM (so every output is
# checked), no autosave, no news or update checks (the server is offline).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
}


def find_chromium() -> str | None:
    """The system Chromium: $COURSE_CHROMIUM, then chromium on PATH, then /usr/bin/chromium."""
    for candidate in (os.environ.get("COURSE_CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def require_browser() -> str:
    """Chromium's path; skip with one clear line without it, or fail in CI."""
    chromium = find_chromium()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        chromium = None
    if chromium is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI=true but Chromium or Python Playwright is missing: the browser "
                        "test must run in CI. Fix: apt-get install chromium, pip install -e '.[test]'.")
        pytest.skip(HOW_TO_ENABLE)
    return chromium


def markdown(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def write_math_notebook(path: Path) -> None:
    """A two-slide notebook whose second slide holds display math."""
    cells = [markdown("# Math check"), markdown("## The gradient\n\n" + MATH)]
    for i, cell in enumerate(cells):
        cell.update(id=f"math{i}", metadata={"slideshow": {"slide_type": "slide"}})
    kernel = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb = {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))


class Lab:
    """A `jupyter lab` server on 127.0.0.1 serving a copy of the notebooks."""

    def __init__(self, root: Path, home: Path):
        self.root, self.home = root, home
        self.port, self.token = free_port(), os.urandom(16).hex()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / "jupyter.log"
        self.proc = None

    def start(self) -> None:
        settings = self.home / "settings"
        for plugin, values in LAB_SETTINGS.items():
            file = settings / (plugin + ".jupyterlab-settings")
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(json.dumps(values))
        env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(self.home / "workspaces"),
                   JUPYTER_CONFIG_DIR=str(self.home / "config"),
                   JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
                   COURSE_OFFLINE="1", COURSE_PROGRESS="1")
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


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    chromium = require_browser()
    from playwright.sync_api import sync_playwright

    root = tmp_path_factory.mktemp("course")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    if (REPO / "img").is_dir():
        shutil.copytree(REPO / "img", root / "img")
    write_math_notebook(root / "notebooks" / "math_check.ipynb")
    server = Lab(root, tmp_path_factory.mktemp("jupyter"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        server.start()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                server.browser = browser
                yield server
            finally:
                browser.close()
    finally:
        server.stop()


@pytest.fixture
def page(lab):
    context = lab.browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()
        # End this test's kernels so the next notebook starts alone.
        request = urllib.request.Request(f"{lab.url}/api/sessions?token={lab.token}")
        with urllib.request.urlopen(request, timeout=10) as reply:
            sessions = json.load(reply)
        for session in sessions:
            urllib.request.urlopen(urllib.request.Request(
                f"{lab.url}/api/sessions/{session['id']}?token={lab.token}", method="DELETE"),
                timeout=10)


def open_notebook(page, lab, name: str, kernel: bool = True) -> None:
    """Open notebooks/name in JupyterLab (fresh workspace); wait for an idle kernel."""
    page.goto(f"{lab.url}/lab/tree/notebooks/{name}?reset&token={lab.token}")
    page.wait_for_function(
        """([name, kernel]) => { const w = window.jupyterapp?.shell.currentWidget;
            return w && w.context?.path.endsWith(name) && w.content?.widgets.length > 0
                && (!kernel || w.sessionContext?.session?.kernel?.status === 'idle'); }""",
        arg=[name, kernel], timeout=90_000)


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


def problems(page) -> list[str]:
    """Error outputs, stderr text, and widgets that could not be displayed, as lines."""
    return page.evaluate("""() => {
        const found = [];
        const nb = window.jupyterapp.shell.currentWidget.content;
        nb.widgets.forEach((cell, i) => {
            if (cell.model.type !== 'code') return;
            const outputs = cell.model.outputs;
            for (let j = 0; j < outputs.length; j++) {
                const o = outputs.get(j).toJSON();
                if (o.output_type === 'error') found.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
                if (o.output_type === 'stream' && o.name === 'stderr')
                    found.push(`cell ${i} wrote to stderr: ${[].concat(o.text).join('').slice(0, 300)}`);
            }
            const text = cell.node.textContent;
            for (const bad of ['Error displaying widget', 'model not found'])
                if (text.includes(bad)) found.push(`cell ${i} shows "${bad}"`);
        });
        return found; }""")


def math_rendered(page, scope: str) -> tuple[int, int]:
    """(typeset formulas, math errors) inside the CSS selector scope."""
    return tuple(page.evaluate("""scope => [
        document.querySelectorAll(scope + ' mjx-container').length,
        document.querySelectorAll(scope + ' mjx-merror, ' + scope + ' .MathJax_Error').length]""",
                               scope))


def screenshot(page, name: str) -> None:
    """Save the notebook scrolled to its first explorer, else widget, else figure."""
    for selector in (".course-explorer", ".jupyter-widgets.widget-container", ".jp-RenderedImage"):
        target = page.locator(selector).first
        if target.count():
            target.scroll_into_view_if_needed()
            break
    page.screenshot(path=str(SCREENSHOTS / f"{Path(name).stem}.png"))


def image_bytes(locator) -> bytes:
    return locator.screenshot(animations="disabled")


def find_explorer(page, kind: str, notebook: str, need: str):
    """The first explorer with CSS class course-KIND, scrolled into view, and its figure."""
    explorer = page.locator(f".course-{kind}").first
    assert explorer.count(), (f"notebook {notebook} shows no widget with the CSS class "
                              f"course-{kind}: {need}.")
    explorer.scroll_into_view_if_needed()
    return explorer, explorer.locator("img.course-figure").first


def wait_for_change(figure, before: bytes, what: str) -> None:
    """Wait (30 s at most) until the figure's image differs from before."""
    deadline = time.monotonic() + 30
    while image_bytes(figure) == before:
        assert time.monotonic() < deadline, f"the figure did not change after {what}"
        time.sleep(0.25)


def drag_learning_rate(page) -> None:
    """In notebook 04 drag the playground's learning-rate slider; its plot must change."""
    playground, figure = find_explorer(page, "optimizer-playground", "04",
                                       "the slider test needs optimizer_playground()")
    handle = playground.locator(".course-learning-rate .noUi-handle").first
    before = image_bytes(figure)
    box = handle.bounding_box()
    track = playground.locator(".course-learning-rate .noUi-target").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    centre = track["x"] + track["width"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + (60 if x < centre else -60), y, steps=5)   # towards the middle
    page.mouse.up()
    wait_for_change(figure, before, "moving the slider")


def step_once(page) -> None:
    """In notebook 03 press the backward stepper's next button: the figure must change."""
    stepper, figure = find_explorer(page, "backward-stepper", "03",
                                    "add backward_stepper() with `python -m tools.add_views`")
    before = image_bytes(figure)
    stepper.locator("button.course-step-next").click()
    wait_for_change(figure, before, "pressing next")


def train_once(page) -> None:
    """In notebook 05 press the learning-rate explorer's Train button: it must disable
    itself while the run goes, then come back, and the loss plot must change."""
    explorer, figure = find_explorer(page, "learning-rate-explorer", "05",
                                     "the Train test needs learning_rate_explorer()")
    button = explorer.locator("button.course-train")
    before = image_bytes(figure)
    handle = button.element_handle()
    # Note every change of `disabled`, so a run faster than our polling is still seen.
    handle.evaluate("""el => { el.__states = [];
        new MutationObserver(() => el.__states.push(el.disabled))
            .observe(el, {attributes: true, attributeFilter: ['disabled']}); }""")
    button.click()
    page.wait_for_function("el => el.__states.includes(true) && !el.disabled", arg=handle,
                           timeout=120_000)
    assert image_bytes(figure) != before, "the loss plot did not change after a run"


@pytest.mark.parametrize("notebook", [p.name for p in NOTEBOOKS])
def test_notebook_runs_in_jupyterlab(page, lab, notebook):
    open_notebook(page, lab, notebook)
    outcome = run_all(page)
    found = problems(page)
    if outcome != "done" and not found:
        found.append(f"Run All ended with {outcome!r}")
    has_math = "$" in "".join("".join(c["source"]) for c in json.loads(
        (lab.root / "notebooks" / notebook).read_text())["cells"] if c["cell_type"] == "markdown")
    if has_math:
        formulas, errors = math_rendered(page, ".jp-Notebook")
        if not formulas or errors:
            found.append(f"math: {formulas} formulas typeset, {errors} errors")
    if notebook.startswith("03") and not found:
        step_once(page)
    if notebook.startswith("04") and not found:
        drag_learning_rate(page)
    if notebook.startswith("05") and not found:
        train_once(page)
    screenshot(page, notebook)
    assert not found, f"{notebook} in JupyterLab:\n" + "\n".join(found)


def test_math_renders_in_notebook(page, lab):
    open_notebook(page, lab, "math_check.ipynb", kernel=False)
    page.wait_for_selector(".jp-Notebook mjx-container", timeout=30_000)
    assert math_rendered(page, ".jp-Notebook") == (1, 0)


def open_slides(page, lab, name: str) -> None:
    page.goto(f"{lab.url}/rise/notebooks/{name}?token={lab.token}")
    page.wait_for_selector(".reveal .slides section.present", timeout=90_000)


def next_slide(page) -> None:
    """Press the right arrow; wait until another slide is shown and its transition ended."""
    before = page.locator(".reveal .slides section.present").last.inner_text()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("""before => { const s = [...document.querySelectorAll(
            '.reveal .slides section.present')];
        return s.length && s[s.length - 1].innerText !== before
            && s.every(el => getComputedStyle(el).opacity === '1'); }""",
                           arg=before, timeout=15_000)


def test_math_renders_in_slides(page, lab):
    open_slides(page, lab, "math_check.ipynb")
    assert "Math check" in page.locator(".reveal .slides section.present").last.inner_text()
    next_slide(page)
    page.wait_for_selector(".reveal section.present mjx-container", timeout=30_000)
    assert math_rendered(page, ".reveal section.present") == (1, 0)
    page.screenshot(path=str(SCREENSHOTS / "math_slides.png"))


def test_notebook_01_as_slides(page, lab):
    name = "01_define_the_network.ipynb"
    cells = json.loads((REPO / "notebooks" / name).read_text())["cells"]
    slides = [c for c in cells if c["metadata"].get("slideshow", {}).get("slide_type")
              in ("slide", "subslide")]
    assert len(slides) >= 2, "notebook 01 needs slideshow metadata: a title slide and sections"
    open_slides(page, lab, name)
    title = "".join(cells[0]["source"]).lstrip("# ").splitlines()[0]
    first = page.locator(".reveal .slides section.present").last
    assert title in first.inner_text(), f"the first slide does not show the title {title!r}"
    next_slide(page)
    page.screenshot(path=str(SCREENSHOTS / "01_slides.png"))


def test_missing_browser_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "find_chromium", lambda: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true but Chromium"):
        require_browser()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="sudo apt-get install chromium"):
        require_browser()


@pytest.mark.parametrize("notebook", [p.name for p in NOTEBOOKS if p.name[:2] in ("03", "04", "05")])
def test_figures_are_shown_at_full_size_in_a_1280x720_window(lab, notebook):
    """The figures' text is 10 pt or more only if JupyterLab does not shrink them: at 1280 x 720
    with the file browser open, each stored figure fits its output area at 100 %."""
    context = lab.browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_notebook(page, lab, notebook, kernel=False)
        page.wait_for_selector(".jp-RenderedImage img")
        page.wait_for_function("() => [...document.querySelectorAll('.jp-RenderedImage img')]"
                               ".every(img => img.complete && img.naturalWidth > 0)")
        sizes = page.evaluate("""() => [...document.querySelectorAll('.jp-RenderedImage img')]
            .map(img => [img.naturalWidth, img.getBoundingClientRect().width,
                         (img.alt || '').slice(0, 60)])""")
        assert sizes, f"{notebook}: no stored figures"
        shrunk = [(alt, natural, round(shown)) for natural, shown, alt in sizes
                  if shown < natural - 1]
        assert not shrunk, f"{notebook}: figures shown smaller than drawn: {shrunk}"
        first = page.locator(".jp-RenderedImage img").first
        first.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"{Path(notebook).stem}-1280x720.png"))
    finally:
        context.close()
