"""The site's Sphinx extension (tools/make_site.py loads it): math as MathML, no MathJax.

Registers the math renderer ``mathml``: every ``$...$`` and ``$$...$$`` of the pages
becomes MathML at build time (latex2mathml, as the old handouts did), which browsers
draw natively, so no page loads MathJax from a CDN. The search index keeps the LaTeX.

Gives each notebook figure its alt text: myst-nb names a PNG output's file by the SHA-256
of its bytes and drops its text/plain; make_site writes ``_alt_text.json`` (hash -> the
output's text/plain, the alt text course_utils generates from the figure's data) into the
book, and every image node whose file has an entry gets it as ``alt``.
"""
from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from latex2mathml.converter import convert


def _visit_math(self, node) -> None:
    self.body.append(convert(node.astext().strip()))
    raise nodes.SkipNode


def _visit_math_block(self, node) -> None:
    self.body.append(f'<div class="math-display">{convert(node.astext().strip(), display="block")}</div>')
    raise nodes.SkipNode


def _alt_text(app, doctree) -> None:
    table = Path(app.srcdir) / "_alt_text.json"
    alts = json.loads(table.read_text(encoding="utf-8")) if table.is_file() else {}
    for image in doctree.findall(nodes.image):
        alt = alts.get(Path(image.get("uri", "")).stem)
        if alt:
            image["alt"] = alt


def setup(app):
    app.connect("doctree-read", _alt_text)
    app.add_html_math_renderer("mathml", (_visit_math, None), (_visit_math_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
