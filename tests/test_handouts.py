"""Handouts (tools/make_handouts.py): one self-contained HTML file per notebook, offline."""
import base64
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import REPO

from tools.make_handouts import handout_html, make_handouts

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
# anything the browser would fetch: src/href attributes, CSS imports and url()s
FETCHED = re.compile(r"""(?:\b(?:src|href)\s*=\s*["']?|@import\s+["']?|url\(\s*["']?)"""
                     r"""(?:https?:)?//""", re.IGNORECASE)
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwAD"
                       "hgGAWjR9awAAAABJRU5ErkJggg==")


def network_references(html: str) -> list[str]:
    return [html[m.start():m.start() + 80] for m in FETCHED.finditer(html)]


def lesson(tmp_path, image="../img/dot.png"):
    (tmp_path / "img").mkdir(exist_ok=True)
    (tmp_path / "img" / "dot.png").write_bytes(PNG)
    (tmp_path / "notebooks").mkdir(exist_ok=True)
    figure = new_output("display_data", data={"image/png": base64.b64encode(PNG).decode(),
                                              "text/plain": "<Figure>"})
    nb = new_notebook(cells=[
        new_markdown_cell(f"# Demo\n\nThe loss $L = (w x - y)^2$, costs `$5`, and\n\n"
                          f"$$\\frac{{\\partial L}}{{\\partial w}} = 2x(wx - y)$$\n\n![dot]({image})"),
        new_code_cell("fig", execution_count=1, outputs=[figure]),
    ])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    path = tmp_path / "notebooks" / "00_demo.ipynb"
    nbformat.write(nb, path)
    return path


def test_handout_is_self_contained(tmp_path):
    html = handout_html(lesson(tmp_path))
    assert network_references(html) == []
    assert "<script src" not in html
    assert html.count('src="data:image/png;base64,') == 2  # the markdown image and the figure
    assert html.count("<math ") == 2 and 'display="block"' in html
    assert "<mfrac>" in html and "$L" not in html and "$$" not in html
    assert "<code>$5</code>" in html  # a dollar in code is not math


def test_the_network_check_itself_catches_a_cdn_script():
    assert network_references('<script src="https://cdn.example/mathjax.js"></script>')
    assert network_references("<link href='//fonts.example/css' rel=stylesheet>")
    assert network_references("@import url(https://fonts.example/x.css);")
    assert not network_references('<math xmlns="http://www.w3.org/1998/Math/MathML">')


def test_a_missing_image_is_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        handout_html(lesson(tmp_path, image="../img/missing.png"))


def test_a_network_image_is_refused(tmp_path):
    with pytest.raises(ValueError, match="network"):
        handout_html(lesson(tmp_path, image="https://example.org/x.png"))


def test_not_a_notebook_is_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"\.ipynb"):
        handout_html(tmp_path / "missing.ipynb")


def test_every_notebook_gets_an_offline_handout(tmp_path):
    written = make_handouts(REPO / "notebooks", tmp_path)
    assert [p.stem for p in written] == [p.stem for p in NOTEBOOKS] and written
    for path in written:
        html = path.read_text(encoding="utf-8")
        assert network_references(html) == [], f"{path.name}: {network_references(html)[:3]}"
        assert "<script src" not in html, path.name
        assert len(html) < 5_000_000, f"{path.name}: {len(html)} characters"
        # every figure carries the alt text generated from its data (the stored text/plain)
        alts = re.findall(r'<img src="data:image/png[^>]*?alt="([^"]*)"', html)
        assert all(len(alt) > 20 and "No description" not in alt for alt in alts), (
            path.name, [a for a in alts if len(a) <= 20 or "No description" in a][:3])
        assert "No description has been provided" not in html, path.name



@pytest.mark.browser
def test_handout_opens_offline_in_a_browser(tmp_path):
    """Open a handout with every network request blocked: nothing is asked for, math shows."""
    from test_browser import require_browser
    from browser_lab import launch_chromium

    chromium = require_browser()
    from playwright.sync_api import sync_playwright

    path = tmp_path / "demo.html"
    path.write_text(handout_html(lesson(tmp_path)), encoding="utf-8")
    requests = []
    with sync_playwright() as p:
        browser = launch_chromium(p, chromium)
        page = browser.new_page()
        page.route(re.compile(r"^https?://"), lambda route: (requests.append(route.request.url),
                                                             route.abort()))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        math_width = page.eval_on_selector("math[display=block]",
                                           "m => m.getBoundingClientRect().width")
        images = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
        browser.close()
    assert requests == []
    assert math_width > 10 and images == [1, 1]
