"""The one rule for output that training moves (tests/nbval_training.py) is active and strict.

nbval has no public hook for it, so this fails when an nbval release (or a missing conftest)
turns it off: a tagged cell whose numbers moved must pass, the same cell untagged must fail,
and a tagged cell whose words changed must fail.
"""
import json
import re
import subprocess
import sys

import nbformat
import pytest

from conftest import REPO
from tests.nbval_training import TAG, same_but_numbers


@pytest.mark.parametrize("stored, fresh, same", [
    ("val loss 0.1346, val acc 97.0%", "val loss 0.1511, val acc 96.2%", True),
    ("val loss 0.1346", "train loss 0.1346", False),              # the words: exact
    ("losses [1, 2]", "losses [1, 2, 3]", False),                  # the count of numbers
    ("15 of 500 misclassified", "9 of 500 misclassified", True),
    ("gap: 7.5e-09", "gap: 3.7e-07", True),
    ("shape (1, 16, 5, 5)", "shape (1, 16, 5)", False),
])
def test_numbers_aside_the_text_is_compared_exactly(stored, fresh, same):
    assert same_but_numbers(stored, fresh) is same


def notebook(tags, stored_text):
    cell = nbformat.v4.new_code_cell('print("val loss", 0.1511, "after", 9, "epochs")', outputs=[
        nbformat.v4.new_output("stream", name="stdout", text=stored_text)])
    cell.metadata["tags"] = tags
    cell.execution_count = 1
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.mark.kernel
def test_nbval_compares_training_output_without_its_numbers():
    folder = REPO / "build" / "verification-test"      # under the repository: its conftest applies
    folder.mkdir(parents=True, exist_ok=True)
    cases = {"moved": ([TAG], "val loss 0.1346 after 8 epochs\n", 0),
             "untagged": ([], "val loss 0.1346 after 8 epochs\n", 1),
             "reworded": ([TAG], "train loss 0.1346 after 8 epochs\n", 1)}
    for name, (tags, stored, _) in cases.items():
        nbformat.write(notebook(tags, stored), folder / f"{name}.ipynb")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
                          "--nbval", *(str(folder / f"{name}.ipynb") for name in cases)],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    for name, (_, _, status) in cases.items():  # one run, each notebook's own outcome
        outcome = "FAILED" if status else "PASSED"
        assert re.search(rf"^{outcome} \S*{name}\.ipynb::", run.stdout, re.MULTILINE), (
            f"{name}: expected {outcome}\n{run.stdout[-3000:]}")


@pytest.mark.parametrize("path", sorted((REPO / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_the_rule_is_kept_for_training_output(path):
    """Tagged cells print, are no claim check, are not also ignored, and stay a minority."""
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    tagged = [c for c in cells if TAG in c.metadata.get("tags", [])]
    for cell in tagged:
        assert cell.outputs, cell.source[:80]
        assert "claim-check" not in cell.metadata.get("tags", []), cell.source[:80]
        assert "nbval-ignore-output" not in cell.metadata.get("tags", []), cell.source[:80]
        assert "# NBVAL_IGNORE_OUTPUT" not in cell.source.splitlines(), cell.source[:80]
    assert "tolerance" not in json.dumps([c.metadata for c in cells])
    printing = [c for c in cells if c.outputs]
    assert len(tagged) <= 0.5 * len(printing), f"{len(tagged)} of {len(printing)} tagged"
