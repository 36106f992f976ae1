"""The course's website (tools/make_site.py, `make site`): the lesson without the answers, offline.

The tests marked ``site`` build the site once (Jupyter Book, about 15 s; the `site` extra)
into a temporary folder: no page shows a solution line of the instructor notebooks or a
"Correct!", every figure has its alt text, and no page loads anything from outside. The
browser test serves it on 127.0.0.1, opens three pages in Chromium and fails on any
request that leaves the server. Without Jupyter Book they skip (in CI they fail).
"""
from __future__ import annotations

import contextlib
import html
import http.server
import importlib.util
import json
import os
import re
import threading
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import REPO, SOLUTION_SECRETS

from tools import first_cell
from tools.make_student import STUB
from tools.make_site import (EXPLORER_NOTE, SiteError, default_source, make_site,
                             page_notebook, remote_resources, stored_torch)

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9]*.ipynb"))
PAGES = default_source().name  # the notebooks' pages: learner/ (or notebooks/ without it)
SOLUTION_BLOCK = re.compile(r"# BEGIN SOLUTION.*?# END SOLUTION", re.S)
URL = "https://github.com/example/published-course"  # an address as a publisher sets it
GITHUB_PATH = URL.removeprefix("https://github.com/")
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwAD"
       "hgGAWjR9awAAAABJRU5ErkJggg==")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_text(path: Path) -> str:
    """What a reader of the file can see, squeezed: HTML without tags and entities; a
    notebook's sources and outputs; any other text file as it is."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        raw = html.unescape(re.sub(r"<[^>]+>", "", raw))
    elif path.suffix == ".ipynb":
        nb = nbformat.reads(raw, as_version=4)
        raw = "\n".join([c.source for c in nb.cells] + [json.dumps(c.get("outputs", []))
                                                         for c in nb.cells])
    return squeeze(raw)


def lesson_text() -> str:
    """Everything the instructor notebooks show outside their solutions, squeezed."""
    parts = []
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            parts += [SOLUTION_BLOCK.sub("", cell.source), json.dumps(cell.get("outputs", []))]
    return squeeze("\n".join(parts))


# Each solution line of the notebooks (tests/conftest.py: squeezed, 8 characters or more)
# that the lesson does not also show outside the solutions: `target = torch.arange(1, 11, ...)`
# of 02's exercise 2 is part of the lesson's `float_target = torch.arange(1, 11, ...)`.
LESSON = lesson_text()
PAGE_SECRETS = sorted(s for s in SOLUTION_SECRETS if s not in LESSON)


def exercise_notebook(answer_output: str = "Not yet: try again\n") -> nbformat.NotebookNode:
    return new_notebook(cells=[
        new_markdown_cell("# Demo\n\nThe loss $L = (w x - y)^2$."),
        new_code_cell("print(torch.__version__)", outputs=[
            new_output("stream", name="stdout", text="PyTorch 2.9.0\n")]),
        new_markdown_cell("### Exercise 1: double it"),
        new_code_cell("def double(x):\n    # BEGIN SOLUTION\n    return x * 2\n    # END SOLUTION",
                      outputs=[new_output("stream", name="stdout", text="done\n")]),
        new_code_cell("check_double(double)", outputs=[
            new_output("stream", name="stdout", text=answer_output)]),
        new_code_cell("explorer", outputs=[new_output("display_data", data={
            WIDGET_VIEW: {"model_id": "x"}, "image/png": PNG, "text/plain": "A dot, drawn."})]),
    ])


# --- the pages' notebooks, without a build ---------------------------------------------------

def test_a_page_shows_the_exercise_not_its_solution():
    alts = {}
    page = page_notebook(exercise_notebook("Correct! twice x\n"), "00_demo",
                         "notebooks/00_demo.ipynb", URL, "2.14.1", alts)
    sources = [c.source for c in page.cells]
    text = json.dumps(page)
    assert "return x * 2" not in text and "BEGIN SOLUTION" not in text
    assert f"    {STUB}" in sources[4]
    assert "Correct!" not in text and "done" not in text  # exercise and check outputs dropped
    # the launch links and the version, under the title
    assert sources[1].startswith("**Run this notebook:** [Colab](https://colab.research.google"
                                 f".com/github/{GITHUB_PATH}/blob/main/notebooks/00_demo.ipynb)")
    assert "Kaggle" in sources[1] and "Binder" in sources[1]
    assert "PyTorch 2.9.0** (printed by the notebook)" in sources[1]
    # the solution link (the learner edition's), to the repository's file: never in the site
    assert f"]({URL}/blob/main/learner/solutions/00_demo/exercise_1.py)" in sources[6]
    # the explorer: its figure (alt text by the PNG's hash), no widget, one line after it
    explorer = page.cells[7]
    assert WIDGET_VIEW not in explorer.outputs[0].data and "image/png" in explorer.outputs[0].data
    assert page.cells[8].source == EXPLORER_NOTE and list(alts.values()) == ["A dot, drawn."]


def test_the_torch_version_comes_from_the_notebook_or_says_it_does_not():
    nb = exercise_notebook()
    nb.cells[1].outputs = []
    assert stored_torch(nb) == (None, "")
    page = page_notebook(nb, "00_demo", "learner/00_demo.ipynb", URL, "2.14.1")
    assert "PyTorch 2.14.1** (this site's build environment" in page.cells[1].source
    nb.metadata["course"] = {"torch": "2.4.1"}
    assert stored_torch(nb) == ("2.4.1", "recorded in the notebook")


def test_a_correct_output_outside_an_exercise_stops_the_build():
    nb = exercise_notebook()
    nb.cells[1].outputs[0].text = "Correct! shown by a lesson cell\n"
    with pytest.raises(SiteError, match="Correct!"):
        page_notebook(nb, "00_demo", "notebooks/00_demo.ipynb", URL, "2.14.1")


def test_the_network_check_catches_what_a_page_would_load(tmp_path):
    (tmp_path / "a.html").write_text(
        '<script src="https://cdn.example/mathjax.js"></script><link href="//fonts.example/x" '
        'rel="stylesheet"><a href="https://colab.research.google.com/x">Colab</a>'
        '<img src="_images/x.png" alt="x">')
    (tmp_path / "b.css").write_text("@import url(https://fonts.example/x.css);")
    found = remote_resources(tmp_path)
    assert len(found) == 3 and not any("colab" in f for f in found), found


def test_every_notebook_becomes_a_page_without_solutions():
    for path in NOTEBOOKS:
        page = page_notebook(nbformat.read(path, as_version=4), path.stem,
                             f"notebooks/{path.name}", URL, "2.14.1", {})
        text = squeeze(json.dumps(page))
        assert "Correct!" not in text, path.name
        assert "raiseNotImplementedError" in text, path.name


# --- the built site --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built once for this module from the repository's default source."""
    if importlib.util.find_spec("jupyter_book") is None:
        message = ("Jupyter Book is not installed: the site's tests need the site extra. "
                   "Fix: pip install -e '.[site]' (make setup installs it).")
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return make_site(out=tmp_path_factory.mktemp("site") / "site")


@pytest.mark.site
def test_no_page_shows_a_solution_or_a_correct(site):
    assert len(PAGE_SECRETS) > 30, "too few solution lines found in notebooks/: check the check"
    # every page, its sources and the search index (not the theme's own scripts in _static/)
    files = [p for p in site.rglob("*") if p.suffix in (".html", ".ipynb", ".js", ".txt", ".md")
             and "_static" not in p.relative_to(site).parts]
    pages = [p for p in files if p.suffix == ".html"]
    assert len([p for p in pages if re.match(r"\d\d_", p.name)]) == len(NOTEBOOKS)
    for path in files:
        text = page_text(path)
        leaked = [line for line in PAGE_SECRETS if line in text]
        assert not leaked, f"{path.relative_to(site)} shows solution lines: {leaked[:3]}"
        if re.match(r"\d\d_", path.name):  # a notebook's page (the home page may say the word)
            assert "Correct!" not in text, f"{path.relative_to(site)} shows a 'Correct!' output"
    assert not list(site.rglob("exercise_*.py")), "a solution file was copied into the site"


@pytest.mark.site
def test_every_page_says_its_pytorch_and_links_its_launches(site):
    for page in sorted(site.rglob("[0-9][0-9]_*.html")):
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
        assert re.search(r"Stored outputs made with PyTorch \d+\.\d+\S* \(recorded in the "
                         r"notebook\)", text), page.name
        for platform in ("colab.research.google.com", "kaggle.com/kernels", "mybinder.org"):
            if first_cell.published(first_cell.repository()):
                assert platform in page.read_text(encoding="utf-8"), (page.name, platform)
            else:   # no link leads to the placeholder address
                assert first_cell.PLACEHOLDER not in page.read_text(encoding="utf-8"), page.name


def test_an_unpublished_course_links_no_placeholder():
    page = page_notebook(exercise_notebook("x\n"), "00_demo", "learner/00_demo.ipynb",
                         "https://github.com/OWNER/a-course", "2.14.1")
    text = json.dumps(page)
    assert first_cell.PLACEHOLDER not in text and "colab" not in text
    assert "`solutions/00_demo/exercise_1.py`" in text


@pytest.mark.site
def test_the_site_is_offline_and_its_figures_have_alt_text(site):
    assert remote_resources(site) == []
    for page in sorted(site.rglob("[0-9][0-9]_*.html")):
        text = page.read_text(encoding="utf-8")
        assert "<math" in text, page.name  # every notebook has a formula, as MathML
        alts = [re.search(r'\balt="([^"]*)"', tag).group(1) if ' alt="' in tag else ""
                for tag in re.findall(r"<img\b[^>]*>", text)]
        assert alts and all(len(a) > 20 and "_images/" not in a and "No description" not in a
                            for a in alts), (page.name, [a for a in alts if len(a) <= 20][:3])
    explorers = (site / PAGES / "04_optimizers.html").read_text(encoding="utf-8")
    assert "This explorer is live in a notebook" in explorers


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder: Path):
    handler = lambda *a, **k: _Quiet(*a, directory=str(folder), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.site
@pytest.mark.browser
def test_the_site_in_a_browser_asks_nothing_from_outside(site):
    """Home, notebook 03 and a search for zero_grad, served on 127.0.0.1 with every request
    that leaves the server refused: every image has alt text and shows, a formula renders."""
    from test_browser import require_browser
    from browser_lab import launch_chromium

    chromium = require_browser()
    from playwright.sync_api import sync_playwright

    outside, broken, seen = [], [], {}
    with serve(site) as base, sync_playwright() as p:
        browser = launch_chromium(p, chromium)
        page = browser.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
                   else (outside.append(route.request.url), route.abort()))
        page.on("response", lambda r: broken.append(f"{r.status} {r.url}") if r.status >= 400
                else None)
        for path in ("index.html", f"{PAGES}/03_backpropagation.html"):
            page.goto(f"{base}/{path}")
            page.wait_for_load_state("networkidle")
            seen[path] = page.eval_on_selector_all(
                "img", "els => els.map(e => [e.getAttribute('alt') || '', e.naturalWidth])")
        math = page.eval_on_selector_all(
            "math", "els => els.map(e => { const r = e.getBoundingClientRect(); "
                    "return [r.width, r.height]; })")
        page.goto(f"{base}/search.html?q=zero_grad")
        page.wait_for_selector("ul.search li a", timeout=30_000)
        page.wait_for_load_state("networkidle")
        found = page.eval_on_selector_all("ul.search li a", "els => els.map(e => e.href)")
        browser.close()
    assert outside == [], f"requests that left the site: {outside[:5]}"
    assert broken == [], f"missing on the site: {broken[:5]}"
    images = seen[f"{PAGES}/03_backpropagation.html"]
    assert images, "notebook 03 shows no figure"
    assert all(len(alt) > 20 and width > 0 for alt, width in images + seen["index.html"]), images
    assert math and all(w > 0 and h > 0 for w, h in math), math[:5]
    assert any("03_backpropagation" in href for href in found), found
