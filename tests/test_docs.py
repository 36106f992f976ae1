"""The docstrings' "Example (notebook NN)" and "Used in: notebooks ..." lines tell the truth.

Each says where a learner meets the function or module; a test keeps them true when a
notebook changes. (The examples themselves run as doctests: see conftest.py.)
"""
import importlib
import inspect
import re

import nbformat
import pytest

import course_utils as cu
from conftest import REPO

NOTEBOOKS = {p.name[:2]: "\n".join(c.source for c in nbformat.read(p, as_version=4).cells
                                   if c.cell_type == "code")
             for p in sorted((REPO / "notebooks").glob("*.ipynb"))}
MODULES = ["models", "data", "training", "monitor", "machinery.live", "curves", "plots", "graph",
           "losses", "landscapes", "widgets", "backprop", "surface"]
EXPLORERS = ["optimizer_playground", "gradient_inspector", "learning_rate_explorer",
             "backward_stepper"]


def public_functions():
    """(name, object) for every public name of course_utils, widgets and the exercises."""
    from course_utils import exercises, widgets

    names = [(n, getattr(cu, n)) for n in cu.__all__ if n not in ("DEFAULT_THREADS",)]
    names += [(n, getattr(widgets, n)) for n in EXPLORERS]
    names += [(n, getattr(exercises, n)) for n in exercises.__all__ if n.startswith("check_")]
    return names


def used_in(name: str) -> set[str]:
    """The notebooks whose code calls or names this public name."""
    pattern = rf"\b(?:cu|widgets)\.{name}\b|\b{name}\(|\b{name}="
    return {nb for nb, code in NOTEBOOKS.items() if re.search(pattern, code)}


def numbers(text: str) -> set[str]:
    """The notebook numbers in text: "03 and 05" -> {03, 05}; "02 to 04" -> {02, 03, 04}."""
    found = set(re.findall(r"\b0[1-5]\b", text))
    for first, last in re.findall(r"\b(0[1-5]) to (0[1-5])\b", text):
        found |= {f"{n:02d}" for n in range(int(first), int(last) + 1)}
    return found


@pytest.mark.parametrize("name, obj", public_functions(), ids=lambda v: v if isinstance(v, str) else "")
def test_example_names_a_notebook_that_uses_it(name, obj):
    doc = inspect.getdoc(obj) or ""
    # an exercise check's example is its call in the notebook; tests/test_exercise_answers.py
    # runs every check on right and wrong answers, so it needs no doctest of its own
    assert ">>>" in doc or name.startswith("check_"), f"{name}: the docstring has no example"
    match = re.search(r"^Example \(([^)]*notebooks? [^)]*)\)", doc, re.M)
    if match is None:  # helpers the notebooks never call say so by naming none
        assert not used_in(name), f"{name} is used in notebooks {sorted(used_in(name))}: " \
                                  "its Example line should name one"
        return
    named = numbers(match.group(1))
    assert named and named <= used_in(name), (
        f"{name}: Example says notebook(s) {sorted(named)}, but it is used in "
        f"{sorted(used_in(name)) or 'none'}")


@pytest.mark.parametrize("module", MODULES)
def test_module_used_in_line_lists_the_notebooks_that_use_it(module):
    mod = importlib.import_module(f"course_utils.{module}")
    match = re.search(r"Used in: ([^.]*(?:\([^)]*\)[^.]*)*)\.", mod.__doc__ or "", re.S)
    assert match, f"course_utils/{module}.py: no 'Used in: notebooks ...' line"
    said = numbers(re.sub(r"\([^)]*\)", "", match.group(1)))
    public = [n for n in cu.__all__ if getattr(getattr(cu, n), "__module__", None) == mod.__name__]
    if module == "widgets":
        public = EXPLORERS
    if module == "machinery.live":
        public = ["LivePlot", "live"]  # fit(..., live=True) shows a LivePlot
    actual = set().union(*(used_in(n) for n in public))
    assert said == actual, (f"course_utils/{module}.py says notebooks {sorted(said)}; "
                            f"its public names are used in {sorted(actual)}")


def test_contributing_exercise_table_matches_the_notebooks():
    """CONTRIBUTING's exercise table lists every exercise heading, and its count is the table's."""
    text = (REPO / "CONTRIBUTING.md").read_text()
    rows = re.findall(r"^  \| (\d\d)-(\d) ([^|]+?) \| ([\w-]+) \| (yes|no|partly)\b", text, re.M)
    headings = []
    for p in sorted((REPO / "notebooks").glob("0*.ipynb")):
        for cell in nbformat.read(p, as_version=4).cells:
            if cell.cell_type == "markdown":
                headings += [(p.name[:2], n, title) for n, title in
                             re.findall(r"^### Exercise (\d): (.+)$", cell.source, re.M)]
    assert [(nb, n) for nb, n, *_ in rows] == [(nb, n) for nb, n, _ in headings]
    for (nb, n, title, kind, _), (_, _, heading) in zip(rows, headings):
        assert heading.startswith(title.strip()), f"{nb}-{n}: table says {title!r}, notebook {heading!r}"
    transfer = sum(row[4] == "yes" for row in rows)
    claimed = re.search(r"(\d+) of (\d+) transfer", text)
    assert claimed and (int(claimed[1]), int(claimed[2])) == (transfer, len(rows))
    assert 2 * transfer >= len(rows), "at least half of the exercises must transfer"
    for nb in {row[0] for row in rows}:
        assert any(row[0] == nb and row[3] == "predict" for row in rows), f"{nb} has no predict exercise"


def test_course_utils_stays_small():
    """A learner can open it: at most 4,000 lines in all (as `wc -l` counts), no module over 300."""
    sizes = {str(p.relative_to(REPO)): len(p.read_bytes().splitlines())
             for p in sorted((REPO / "course_utils").rglob("*.py"))}
    too_long = {name: n for name, n in sizes.items() if n > 300}
    assert not too_long, f"modules over 300 lines: {too_long}. Fix: remove what no notebook needs"
    assert sum(sizes.values()) <= 4000, f"course_utils has {sum(sizes.values())} lines (goal: 4,000)"


def test_the_slowest_first_order_names_files_that_exist():
    """The root conftest.py's SLOWEST_FIRST: a renamed file would silently lose its place."""
    import ast

    tree = ast.parse((REPO / "conftest.py").read_text())
    SLOWEST_FIRST = next(ast.literal_eval(node.value) for node in tree.body
                         if isinstance(node, ast.Assign)
                         and getattr(node.targets[0], "id", None) == "SLOWEST_FIRST")
    assert len(SLOWEST_FIRST) >= 4
    assert [path for path in SLOWEST_FIRST if not (REPO / path).is_file()] == []
