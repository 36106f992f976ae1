"""Safety: checkpoints load without pickled code, nothing evaluates learner strings."""
import ast
import re

import nbformat

from conftest import REPO

# the course's own code; tests/ may imitate a learner's unsafe torch.load on purpose
SOURCES = [p for folder in ("course_utils", "tools", "benchmarks")
           for p in (REPO / folder).glob("**/*.py")]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def all_code():
    for path in SOURCES:
        yield path.relative_to(REPO), path.read_text()
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                yield f"{path.name} cell {i}", cell.source


def test_every_torch_load_uses_weights_only():
    calls = 0
    for where, code in all_code():
        for match in re.finditer(r"torch\.load\(([^()]|\([^()]*\))*\)", code):
            calls += 1
            assert "weights_only=True" in match.group(0), f"{where}: {match.group(0)}"
    assert calls >= 1  # notebook 05 saves and reloads a checkpoint


def test_course_utils_never_evaluates_strings():
    for path in (REPO / "course_utils").glob("**/*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec", "compile"), f"{path}:{node.lineno}"
            if isinstance(node, ast.Attribute):
                assert node.attr not in ("literal_eval",), f"{path}:{node.lineno}"
