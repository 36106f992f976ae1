"""tools/slides.py: slideshow metadata from the headings, deterministic and idempotent."""
import copy

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import REPO

from tools.slides import add_slides

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def lesson():
    nb = new_notebook(cells=[
        new_markdown_cell("# Title\n\nGoals"),
        new_code_cell("import course_utils as cu"),
        new_markdown_cell("## A section"),
        new_code_cell("x = 1"),
        new_markdown_cell("Why we do this next."),
        new_code_cell("print(x)"),
        new_code_cell("print(x + 1)"),
        new_markdown_cell("### Exercise 1: a subsection"),
        new_code_cell("y = 2"),
    ])
    return nb


def types(nb):
    return [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]


def test_the_rule():
    assert types(add_slides(lesson())) == ["slide", "-", "slide", "-", "-", "fragment", "-",
                                           "subslide", "-"]


def test_idempotent_and_deterministic():
    once = add_slides(lesson())
    twice = add_slides(copy.deepcopy(once))
    assert once == twice
    assert types(once) == types(add_slides(lesson()))
    assert once.metadata.rise["scroll"] is True


def test_authored_type_is_kept_but_headings_always_get_theirs():
    nb = lesson()
    nb.cells[3].metadata["slideshow"] = {"slide_type": "notes"}
    nb.cells[2].metadata["slideshow"] = {"slide_type": "skip"}
    result = types(add_slides(nb))
    assert result[3] == "notes" and result[2] == "slide"


def test_a_heading_after_a_leading_space_and_a_hashtag_line():
    nb = new_notebook(cells=[new_markdown_cell("# T"), new_markdown_cell("  ## Indented"),
                             new_markdown_cell("#hashtag, not a heading"),
                             new_code_cell("1")])
    assert types(add_slides(nb)) == ["slide", "slide", "-", "fragment"]


def test_bad_input_says_what_to_pass():
    with pytest.raises(TypeError, match="nbformat.read"):
        add_slides({"cells": []})


@pytest.mark.kernel
def test_run_notebooks_adds_the_slides(tmp_path):
    """The hook: `make notebooks` stores slideshow metadata with the outputs."""
    from tools.run_notebooks import run

    path = tmp_path / "00_demo.ipynb"
    nbformat.write(lesson(), path)
    run(path)
    stored = nbformat.read(path, as_version=4)
    assert types(stored) == types(add_slides(lesson()))
    assert stored.cells[5].outputs[0].text == "1\n"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_notebooks_carry_their_slides(path):
    """Each notebook was regenerated through run_notebooks, so it opens as a slideshow."""
    nb = nbformat.read(path, as_version=4)
    assert types(nb) == types(add_slides(copy.deepcopy(nb))), f"run `make notebooks` on {path.name}"
    assert types(nb)[0] == "slide" and types(nb).count("slide") >= 3, path.name
