"""tools/add_views.py: the views land at their anchors, once, and a second run changes nothing."""
from __future__ import annotations

import ast

import nbformat
import pytest

from conftest import REPO
from tools.add_views import TAG, WEIGHT_PATH_LINE, AnchorNotFound, add_views, main


def tagged(nb):
    return [i for i, c in enumerate(nb.cells) if TAG in c.metadata.get("tags", [])]


def without_views(nb):
    """nb as it was before the tool ran (the lessons as written by hand)."""
    nb.cells = [c for c in nb.cells if TAG not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        cell.source = WEIGHT_PATH_LINE.sub("", cell.source)
    return nb


@pytest.fixture
def folder(tmp_path):
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        nbformat.write(without_views(nbformat.read(path, as_version=4)), tmp_path / path.name)
    return tmp_path


def read(folder, prefix):
    (path,) = folder.glob(f"{prefix}_*.ipynb")
    return nbformat.read(path, as_version=4)


def test_the_backprop_section_follows_the_first_backward_section(folder):
    main(str(folder))
    nb = read(folder, "03")
    rows = tagged(nb)
    assert rows == list(range(rows[0], rows[0] + len(rows)))        # one block
    assert nb.cells[rows[0]].source.startswith("## What happens when we call `loss.backward()`?")
    backward = next(i for i, c in enumerate(nb.cells)
                    if c.cell_type == "code" and "loss.backward()" in c.source)
    headings = [i for i, c in enumerate(nb.cells) if c.source.startswith("## ")]
    assert max(h for h in headings if h < backward) < backward < rows[0]
    assert nb.cells[rows[-1] + 1].source.startswith("## ")           # then the next section
    assert not any(h for h in headings if backward < h < rows[0])


def test_the_surface_follows_the_training_run_and_the_path_is_kept_during_it(folder):
    main(str(folder))
    nb = read(folder, "05")
    (fit,) = [c for c in nb.cells if "weight_path = cu.WeightPath(" in c.source]
    lines = fit.source.splitlines()
    k = next(i for i, line in enumerate(lines) if "weight_path = " in line)
    assert lines[k].startswith("weight_path = cu.WeightPath(model, optimizer)")
    assert lines[k + 1].startswith("history = cu.fit(model, data, optimizer")
    rows = tagged(nb)
    assert nb.cells[rows[0]].source.startswith("## The surface the optimizer walked on")
    assert nb.cells.index(fit) < rows[0] and nb.cells[rows[-1] + 1].source.startswith("## ")
    for i in rows:
        if nb.cells[i].cell_type == "code":
            ast.parse(nb.cells[i].source)                            # the templates filled
    assert read(folder, "04").cells == nbformat.read(
        next((REPO / "notebooks").glob("04_*.ipynb")), as_version=4).cells   # untouched


def test_running_it_again_changes_nothing_and_keeps_outputs(folder, capsys):
    main(str(folder))
    path = next(folder.glob("03_*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    code = next(nb.cells[i] for i in tagged(nb) if nb.cells[i].cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="as make notebooks left it\n")]
    nbformat.write(nb, path)
    before = {p.name: p.read_bytes() for p in folder.glob("*.ipynb")}
    capsys.readouterr()
    main(str(folder))
    assert {p.name: p.read_bytes() for p in folder.glob("*.ipynb")} == before
    assert capsys.readouterr().out.count("up to date") == 2


def test_a_changed_cell_is_replaced_where_the_anchor_is_now(folder):
    main(str(folder))
    path = next(folder.glob("03_*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    first = tagged(nb)[0]
    nb.cells[first + 1].source += "\nprint('edited by hand')"
    moved = nb.cells.pop(first)                       # and the heading moved to the end
    nb.cells.append(moved)
    nbformat.write(nb, path)
    main(str(folder))
    again = nbformat.read(path, as_version=4)
    rows = tagged(again)
    assert rows == list(range(rows[0], rows[0] + len(rows))) and rows[0] == first
    assert "edited by hand" not in again.cells[first + 1].source


def notebook(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def test_the_training_runs_own_names_are_used(tmp_path):
    nb = notebook("net = cu.LeNet()\nopt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
                  "for epoch in range(2):\n    h = cu.fit(net, mnist, opt, epochs=1)")
    nb = add_views(nb, tmp_path / "05_training.ipynb")
    lines = nb.cells[0].source.splitlines()             # once, before the loop that trains
    assert lines[2].startswith("weight_path = cu.WeightPath(net, opt)  #")
    assert lines[3] == "for epoch in range(2):"
    code = "\n".join(c.source for c in nb.cells[1:] if c.cell_type == "code")
    assert "cu.loss_surface(net, mnist.train, weight_path" in code
    assert "cu.evaluate(net, mnist.train.subset(100))" in code and "(model" not in code


def test_a_missing_anchor_says_what_is_missing(tmp_path):
    with pytest.raises(AnchorNotFound, match="no code cell calls loss.backward()"):
        add_views(notebook("net = cu.LeNet()"), tmp_path / "03_backprop.ipynb")
    with pytest.raises(AnchorNotFound, match="does not define target, criterion"):
        add_views(notebook("net = cu.LeNet()\ninput = torch.randn(1, 1, 32, 32)",
                           "loss.backward()"), tmp_path / "03_backprop.ipynb")
    with pytest.raises(AnchorNotFound, match="cu.fit"):
        add_views(notebook("fit(model, data, optimizer)"), tmp_path / "05_training.ipynb")
