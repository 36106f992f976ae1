"""Slideshow metadata for presenting a notebook live with jupyterlab-rise.

Usage: python -m tools.slides notebooks/05_training_on_mnist.ipynb [...]
(tools/run_notebooks.py applies it to every notebook before executing it.)

The rule, one slide type per cell (`cell.metadata.slideshow.slide_type`):

- the first cell (the `# Title`) and every markdown cell starting with `## `: "slide"
- a markdown cell starting with `### ` (an exercise, a subsection): "subslide"
- a code cell right after a prose markdown cell (not a heading): "fragment", so the
  slide shows the question first and the code with its output on the next key press
- any other cell: "-" (continues the current slide), unless its author already set
  a slide type, which is kept.

Headings always get their type, so the result depends only on the cells: applying
it twice gives the same notebook (idempotent). The notebook's `rise` metadata turns
on scrolling, so a long slide can be read from the back row.
"""
from __future__ import annotations

import sys

import nbformat

RISE_SETTINGS = {"scroll": True}


def _heading(cell) -> str | None:
    """"#", "##" or "###" when cell is a markdown heading cell, else None."""
    if cell.cell_type != "markdown":
        return None
    first = cell.source.lstrip().split("\n", 1)[0]
    marks = first.split(" ", 1)[0]
    return marks if marks in ("#", "##", "###") and " " in first else None


def slide_type(cells: list, index: int) -> str:
    """The slide type the rule above gives cells[index]."""
    cell = cells[index]
    heading = _heading(cell)
    if index == 0 or heading in ("#", "##"):
        return "slide"
    if heading == "###":
        return "subslide"
    authored = cell.metadata.get("slideshow", {}).get("slide_type")
    if authored:
        return authored
    before = cells[index - 1]
    if cell.cell_type == "code" and before.cell_type == "markdown" and _heading(before) is None:
        return "fragment"
    return "-"


def add_slides(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Set every cell's slide type by the rule above (in place) and return nb.

    Example (tools/run_notebooks.py, for every notebook):
        >>> nb = add_slides(nbformat.read("notebooks/01_define_the_network.ipynb", 4))
    """
    if not isinstance(nb, nbformat.NotebookNode) or "cells" not in nb:
        raise TypeError(f"add_slides needs a notebook read by nbformat, got "
                        f"{type(nb).__name__}. Fix: add_slides(nbformat.read(path, as_version=4)).")
    types = [slide_type(nb.cells, i) for i in range(len(nb.cells))]
    for cell, kind in zip(nb.cells, types):
        cell.metadata.setdefault("slideshow", {})["slide_type"] = kind
    nb.metadata["rise"] = {**nb.metadata.get("rise", {}), **RISE_SETTINGS}
    return nb


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    for name in paths:
        nb = nbformat.read(name, as_version=4)
        nbformat.write(add_slides(nb), name)
        print(f"{name}: {sum(c.metadata.slideshow.slide_type == 'slide' for c in nb.cells)} slides")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
