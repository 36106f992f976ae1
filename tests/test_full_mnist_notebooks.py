"""The notebooks with full-size MNIST in the cache: what a learner online gets from `make lab`.

load_mnist() finds 60,000 training digits there (52,500 to train on, 7,500 for validation)
instead of the embedded 4,000 (3,500 and 500), so every
notebook that trains must keep its cost independent of the source (notebook 04 takes a
subset, notebook 05 sizes its epochs) and still run without an error. The cache here
holds the embedded digits repeated to MNIST's sizes (no network needed); its uncompressed
IDX files are what torchvision leaves in data/MNIST/raw.

How long the notebooks take on it is measured by `make bench` (benchmarks/notebooks.py).
"""
from __future__ import annotations

import re

import nbformat
import pytest

from conftest import REPO

from benchmarks.common import write_full_size_cache
from tools.execute import execute_notebook

# the notebooks that load MNIST from whatever source is there (not source="sample")
TRAINING_NOTEBOOKS = [path for path in sorted((REPO / "notebooks").glob("*.ipynb"))
                      if re.search(r"load_mnist\((?![^)]*source=)", path.read_text())]


@pytest.fixture(scope="module")
def full_cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("full_mnist")
    write_full_size_cache(root)
    return root


def test_the_training_notebooks_are_found():
    assert {p.stem[:2] for p in TRAINING_NOTEBOOKS} == {"03", "04", "05"}


# a cell appended to a notebook, and what it must print there: the training budget held
PROBES = {
    "04": ("print('probe', len(data.train), len(data.val))", "probe 3500 500"),
    "05": ("print('probe', epochs, history.samples)", "probe 1 52500"),
}


@pytest.mark.parametrize("path", TRAINING_NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_full_mnist(path, full_cache, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "0")  # the kernel inherits this environment
    monkeypatch.setenv("COURSE_DATA", str(full_cache))
    nb = nbformat.read(path, as_version=4)
    probe, expected = PROBES.get(path.stem[:2], ("print('probe')", "probe"))
    nb.cells.append(nbformat.v4.new_code_cell(probe))
    execute_notebook(nb, path.parent, timeout=300)
    text = []
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        for output in cell.outputs:
            assert output.output_type != "error", (
                f"{path.name} code cell {i}: {output.ename}: {output.evalue}")
            assert output.get("name") != "stderr", f"{path.name} code cell {i}: {output.text}"
            text.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    assert re.search(r"MNIST: local cache .*, 52500 train \+ 7500 validation \+ 10000 test digits",
                     "\n".join(text)), f"{path.name} did not read the full-size cache"
    assert text[-1].strip() == expected, f"{path.name}: {text[-1]!r}"
