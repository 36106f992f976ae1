"""The prose is checked: every notebook backs its quantitative claims with small, quiet check
cells, and the claims one notebook makes about another agree with the stored outputs.

A check cell is tagged ``claim-check`` (its source starts ``# Check:``): it holds asserts
whose messages quote the sentence they back, and prints nothing, so a new torch release or
seed that makes the prose wrong fails the tests (nbval runs the cell) instead of slipping by.
"""
import ast
import re

import nbformat
import pytest

from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
MINIMUM = {"01": 6, "02": 6, "03": 8, "04": 10, "05": 8}  # check cells per notebook, at least


def check_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and "claim-check" in c.metadata.get("tags", [])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_claims_are_backed_by_quiet_check_cells(path):
    nb = nbformat.read(path, as_version=4)
    cells = check_cells(nb)
    assert len(cells) >= MINIMUM[path.stem[:2]], f"{path.name}: {len(cells)} check cells"
    for cell in cells:
        assert cell.source.startswith("# Check:"), cell.source[:80]
        tree = ast.parse(cell.source)
        asserts = [node for node in ast.walk(tree) if isinstance(node, ast.Assert)]
        assert asserts and all(a.msg is not None for a in asserts), f"{path.name}: {cell.source}"
        calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Name)}
        assert "print" not in calls and "display" not in calls, f"{path.name}: {cell.source}"
        assert cell.get("outputs") == [], f"{path.name}: a check cell printed {cell.outputs}"
        assert cell.metadata.get("slideshow", {}).get("slide_type") == "skip", "quiet in slides too"
        assert not set(cell.metadata.get("tags", [])) & {"nbval-ignore-output", "nbval-skip"}, \
            f"{path.name}: a check cell must be compared"


def stored_text(nb, marker: str) -> str:
    """The stored output of the code cell whose source contains marker."""
    cell = next(c for c in nb.cells if c.cell_type == "code" and marker in c.source)
    return "".join(o.get("text", "") for o in cell.outputs)


def test_notebook_05_s_optimizer_follows_the_evidence_of_04():
    """05 trains with one of the adaptive optimizers that led 04's sweep; when 04's stored
    winner is another optimizer, 05 also runs that winner at its best rate (the race)."""
    nb04 = nbformat.read(REPO / "notebooks" / "04_optimizers.ipynb", as_version=4)
    rows = re.findall(r"^(\w+)\s+((?:[\d.e-]+\s+[\d.]+%\s+)+)\s*best: lr=(\S+)$",
                      stored_text(nb04, "runs, best_rate, histories"), re.M)
    assert len(rows) == 5, rows
    best = {name: float(dict(zip(cells.split()[::2], cells.split()[1::2]))[lr].rstrip("%"))
            for name, cells, lr in ((n, c, r) for n, c, r in rows)}
    rate = {name: lr for name, _, lr in rows}
    winner = max(best, key=best.get)
    assert winner in ("rmsprop", "adam"), best
    torch_name = {"rmsprop": "RMSprop", "adam": "Adam"}
    source = "\n".join(c.source for c in nbformat.read(
        REPO / "notebooks" / "05_training_on_mnist.ipynb", as_version=4).cells)
    built = re.findall(r"torch\.optim\.(\w+)\(model\.parameters\(\), lr=([\d.e-]+)\)", source)
    assert len(built) >= 2, "05 builds the optimizer for its loop and for fit"
    assert len(set(built)) == 1 and built[0][0] in torch_name.values(), built
    if built[0][0] != torch_name[winner]:
        raced = re.findall(rf"torch\.optim\.{torch_name[winner]}\(racer\.parameters\(\), "
                           r"lr=([\d.e-]+)\)", source)
        assert raced and float(raced[0]) == float(rate[winner]), (winner, rate[winner], raced)


def test_only_the_end_of_05_touches_the_test_digits():
    """Choices are made on validation: the test split appears in one cell, at the end of 05,
    and in no other notebook."""
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        cells = [c for c in nb.cells if c.cell_type == "code"  # its size may be printed, no more
                 and re.search(r"\.test\b", c.source.replace("len(data.test)", ""))]
        if path.stem.startswith("05"):
            assert len(cells) == 1 and "cu.evaluate(model, data.test)" in cells[0].source, \
                [c.source for c in cells]
            later = nb.cells[nb.cells.index(cells[0]):]
            assert any("## Exercises" in c.source for c in later if c.cell_type == "markdown")
        else:
            assert not cells, f"{path.name} uses the test digits: {[c.source for c in cells]}"
