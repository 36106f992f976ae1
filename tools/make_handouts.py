"""Handouts for projecting or printing: `make handouts` -> build/handouts/*.html.

Usage: python -m tools.make_handouts [notebooks_dir] [out_dir]   (defaults: notebooks build/handouts)

Each notebook, with its stored outputs, becomes one self-contained HTML file that
opens offline: figures and markdown images (img/) are embedded as data URIs, LaTeX
math is turned into MathML (which browsers draw natively, no MathJax), and the
template's CDN scripts (require.js, MathJax, widgets, mermaid) are left out.
Interactive widgets need a running notebook; a handout says so in their place.
"""
from __future__ import annotations

import base64
import mimetypes
import re
import sys
from pathlib import Path

import jinja2
import nbformat
from latex2mathml.converter import convert as latex_to_mathml
from nbconvert import HTMLExporter

REPO = Path(__file__).resolve().parent.parent

# The lab template minus every block that loads something from the network.
OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{% block html_head_js_requirejs %}{% endblock %}
{% block html_head_js_mathjax %}{% endblock %}
{% block html_head_js_mermaidjs %}{% endblock %}
{% block jupyter_widgets %}{% endblock %}
{% block data_widget_view %}
{%- if 'image/png' in output.data -%}
<div class="jp-RenderedImage jp-OutputArea-output">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}" alt="{{ output.data.get('text/plain', '') | escape_html }}">
</div>
{%- else -%}
<pre>(an interactive widget: open the notebook to use it)</pre>
{%- endif -%}
{% endblock %}
{% block data_png scoped %}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}" alt="{{ output.data.get('text/plain', '') | escape_html }}">
</div>
{% endblock data_png %}
"""
CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.DOTALL)  # fenced blocks and inline code spans
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
INLINE_MATH = re.compile(r"(?<![\\$])\$([^$\n]+?)\$(?!\$)")
IMAGE = re.compile(r"(!\[[^\]]*\]\()([^)\s]+)(\))")  # ![alt](path)


def math_to_mathml(markdown: str, store: list[str]) -> str:
    """markdown with its $...$ and $$...$$ math (outside code) replaced by placeholders.

    The MathML of each formula is appended to store; the placeholder MATHMLn (n its
    index) is a plain word that the markdown renderer leaves alone, swapped back in the
    finished HTML by handout_html.

    Example (tools/make_handouts.py, for every markdown cell):
        >>> store = []; math_to_mathml("a loss $L$", store)
        'a loss MATHML0'
    """
    def keep(mathml: str) -> str:
        store.append(mathml)
        return f"MATHML{len(store) - 1}"

    def convert(text: str) -> str:
        text = DISPLAY_MATH.sub(lambda m: keep(latex_to_mathml(m.group(1).strip(),
                                                               display="block")), text)
        return INLINE_MATH.sub(lambda m: keep(latex_to_mathml(m.group(1).strip())), text)

    parts = CODE.split(markdown)  # odd items are code: left exactly as written
    return "".join(part if i % 2 else convert(part) for i, part in enumerate(parts))


def embed_images(markdown: str, folder: Path) -> str:
    """markdown with each local ![alt](path) image turned into a data: URI."""
    def data_uri(match: re.Match) -> str:
        src = match.group(2)
        if src.startswith(("data:", "attachment:")):
            return match.group(0)
        if src.startswith(("http:", "https:")):
            raise ValueError(f"image {src} would be fetched from the network when the handout "
                             "opens. Fix: draw it into img/ (`make figures`) and show it with "
                             "cu.course_image('NAME').")
        path = folder / src
        if not path.is_file():
            raise FileNotFoundError(f"image {src} (looked for {path}) does not exist. "
                                    "Fix: correct the link, or show a figure of img/ with cu.course_image.")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"{match.group(1)}data:{mime};base64,{encoded}{match.group(3)}"

    return IMAGE.sub(data_uri, markdown)


def handout_html(path: Path | str) -> str:
    """The offline, self-contained HTML handout of one notebook.

    Example (`make handouts`):
        >>> html = handout_html("notebooks/05_training_on_mnist.ipynb")
    """
    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise FileNotFoundError(f"expected a notebook file (.ipynb), got {str(path)!r}. "
                                "Fix: handout_html('notebooks/01_define_the_network.ipynb').")
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)  # widget state only feeds the CDN widget manager
    formulas: list[str] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = embed_images(math_to_mathml(cell.source, formulas), path.parent)
    exporter = HTMLExporter(template_name="lab",
                            extra_loaders=[jinja2.DictLoader({"offline.html.j2": OFFLINE_TEMPLATE})],
                            template_file="offline.html.j2")
    html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"path": str(path.parent)}})
    # highest index first, so MATHML1 never replaces the start of MATHML12
    for index in reversed(range(len(formulas))):
        html = html.replace(f"MATHML{index}", formulas[index])
    return html


def make_handouts(notebooks: Path | str = REPO / "notebooks",
                  out: Path | str = REPO / "build" / "handouts") -> list[Path]:
    """Write build/handouts/NN_name.html for every notebook; return the paths.

    Example (`make handouts`):
        >>> make_handouts("notebooks", "build/handouts")
    """
    sources = sorted(Path(notebooks).glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {notebooks}. "
                                "Fix: pass the course's notebooks/ folder.")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sources:
        target = out / f"{path.stem}.html"
        target.write_text(handout_html(path), encoding="utf-8")
        written.append(target)
    return written


def main(args: list[str]) -> int:
    written = make_handouts(*args[:2])
    print(f"{len(written)} handouts in {written[0].parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
