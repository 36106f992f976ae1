"""Make every notebook run alone on Colab, Kaggle or Binder: `python -m tools.first_cell`.

Usage: python -m tools.first_cell [--check]

Rewrites, from the one repository address in pyproject.toml ([project.urls] Repository):
- the first code cell of each notebook starts with INSTALL: where course_utils is missing
  it pip-installs it from the repository (COURSE_REPO overrides the address) without its
  dependencies, then only the light ones the platform lacks (course_utils.machinery.cloud); where
  course_utils is installed it does nothing and prints nothing. The rest of the cell
  (imports, cu.setup) is kept as it is;
- a markdown image from ../img/NAME.png becomes a code cell `cu.course_image("NAME")` after
  its markdown cell, since the figures (img/) ship inside the package;
- the README's launch links (Colab, Kaggle, Binder) between the two LINKS markers: they open
  the learner edition, learner/ (written from notebooks/ by `make learner`).
Running it again changes nothing. New cells have no outputs yet: run `make notebooks` after.
--check changes nothing and exits 1 when something is out of date (tests/test_platforms.py).
"""
from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
BRANCH = "main"
EDITION = "learner"   # the folder the launch links open: the learner edition
MARK = "# On Colab, Kaggle or Binder: install the course's helpers first (on your machine: nothing)"
INSTALL = MARK + """
import importlib.util, os
if importlib.util.find_spec("course_utils") is None:
    repo = os.environ.get("COURSE_REPO", "git+{url}")
    %pip install -q --no-deps {{repo}}
    from course_utils.machinery import cloud; cloud.install_missing()
"""
# Until whoever publishes the course sets its address, no cell installs from it and no link
# points at it: the first cell says what to set, the links are relative or absent.
PLACEHOLDER = "/OWNER/"
UNPUBLISHED = MARK + """
import importlib.util, os
if importlib.util.find_spec("course_utils") is None:
    if not os.environ.get("COURSE_REPO"):
        raise ModuleNotFoundError("course_utils is not installed: set COURSE_REPO to the course's git address")
    repo = os.environ["COURSE_REPO"]
    %pip install -q --no-deps {repo}
    from course_utils.machinery import cloud; cloud.install_missing()
"""
IMAGE = re.compile(r"^!\[[^\]]*\]\(\.\./img/([\w-]+)\.png\)\n?", re.M)
LINKS = ("<!-- launch links: written by tools/first_cell.py from pyproject.toml -->",
         "<!-- end of launch links -->")


def repository() -> str:
    """The course's address, stated once in pyproject.toml."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return project["urls"]["Repository"].rstrip("/")


def published(url: str) -> bool:
    """Whether url is the course's real address, not pyproject.toml's placeholder."""
    return PLACEHOLDER not in url


def install_block(url: str) -> str:
    return INSTALL.format(url=url) if published(url) else UNPUBLISHED


def with_install(source: str, url: str) -> str:
    """source with the install block (this url) at its top, any older block replaced."""
    if source.startswith(MARK):
        source = source.split("\n\n", 1)[1] if "\n\n" in source else ""
    return install_block(url) + "\n" + source


def rewrite(nb: nbformat.NotebookNode, url: str) -> nbformat.NotebookNode:
    """The install block in the first code cell, package figures instead of ../img links."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    if code:
        code[0].source = with_install(code[0].source, url)
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type == "markdown":
            names = IMAGE.findall(cell.source)
            if names:
                cell.source = re.sub(r"\n{3,}", "\n\n", IMAGE.sub("", cell.source)).strip()
                cells += [nbformat.v4.new_code_cell(f'cu.course_image("{name}")',
                                                    id=f"figure-{name}") for name in names]
    nb.cells = cells
    return nb


def launch_links(url: str, notebooks: list[Path]) -> str:
    if not published(url):
        return ("*Launch links for Colab, Kaggle and Binder appear here once the course's address "
                "is set: `[project.urls] Repository` in pyproject.toml, then `python -m tools.first_cell`.*")
    path = url.removeprefix("https://github.com/")
    rows = ["| notebook | Colab | Kaggle | Binder |", "| --- | --- | --- | --- |"]
    for nb in notebooks:
        blob = f"{path}/blob/{BRANCH}/{EDITION}/{nb.name}"
        rows.append(f"| {nb.stem.replace('_', ' ')} "
                    f"| [open](https://colab.research.google.com/github/{blob}) "
                    f"| [open](https://kaggle.com/kernels/welcome?src=https://github.com/{blob}) "
                    f"| [open](https://mybinder.org/v2/gh/{path}/{BRANCH}"
                    f"?urlpath=lab/tree/{EDITION}/{nb.name}) |")
    return "\n".join(rows)


def with_links(readme: str, url: str, notebooks: list[Path]) -> str:
    start, end = LINKS
    if start not in readme or end not in readme:
        raise ValueError(f"README.md has no launch-link markers. Fix: put {start} and {end} "
                         "on their own lines where the links belong.")
    before, rest = readme.split(start, 1)
    return f"{before}{start}\n{launch_links(url, notebooks)}\n{end}{rest.split(end, 1)[1]}"


def main(args: list[str]) -> int:
    check = "--check" in args
    url = repository()
    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    stale = []
    for path in notebooks:
        before = path.read_text()
        nb = rewrite(nbformat.read(path, as_version=4), url)
        if nbformat.writes(nb).rstrip("\n") != before.rstrip("\n"):
            stale.append(path)
            if not check:
                nbformat.write(nb, path)
    readme = REPO / "README.md"
    text = with_links(readme.read_text(), url, notebooks)
    if text != readme.read_text():
        stale.append(readme)
        if not check:
            readme.write_text(text)
    for path in stale:
        print(f"{'out of date' if check else 'rewritten'}: {path.relative_to(REPO)}")
    if stale and not check:
        print("Now run `make notebooks` to store the new cells' outputs.")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
