"""The student versions of the course, from the instructor's notebooks in notebooks/.

Usage:
    python -m tools.make_student --learner [--check]      (`make learner`: learner/, committed)
    python -m tools.make_student [notebooks_dir] [out_dir] (`make student`: build/student/)

In a code cell, the lines from `# BEGIN SOLUTION` to `# END SOLUTION` (markers included)
become, at the BEGIN marker's indentation:

    ...
    raise NotImplementedError("Exercise 2 (05_training_on_mnist): count the mistakes")

where the number and title come from the exercise's `### Exercise N: title` markdown
cell above it. The check cell after it stays, so each exercise fails loudly until it
is done.

The learner edition (learner/, what `make lab`, the README and the launch links open)
keeps the instructor's stored outputs in every lesson cell (copied, not re-executed), so a
notebook reads well before it runs. Each exercise cell holds its stub, and it and its check
cell store what a fresh run prints with the stub in place (one run of the learner notebook:
the stub's NotImplementedError, tagged `raises-exception` for nbval, or the check's "Not
yet" line). After each check a markdown cell links that exercise's solution, alone in
learner/solutions/NOTEBOOK/exercise_N.py (one file per exercise: opening one shows no other).
`--check` writes nothing and exits 1 when learner/ differs from what this would write; it
needs no kernel: it compares everything but the fresh-run outputs, which nbval compares
with a real run in `make test`.

`make student` writes every notebook with its solutions stubbed and all outputs cleared
(build/student/). The tool never writes into notebooks/.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
EXERCISE = re.compile(r"^\s*###\s+Exercise\s+(\d+)\s*:\s*(.+?)\s*$", re.MULTILINE)


class SolutionMarkerError(ValueError):
    """The solution markers of a notebook are unbalanced or outside an exercise."""


def stub_solutions(source: str, label: str) -> str:
    """source with each BEGIN/END SOLUTION block replaced by `...` and a NotImplementedError.

    Example (tools/make_student.py, for each exercise cell):
        >>> stub_solutions("def f():\\n    # BEGIN SOLUTION\\n    return 1\\n    # END SOLUTION",
        ...                "Exercise 1 (demo): f")
        'def f():\\n    ...\\n    raise NotImplementedError("Exercise 1 (demo): f")'
    """
    out, indent = [], None
    for number, line in enumerate(source.split("\n"), 1):
        marker = line.strip()
        if marker == BEGIN:
            if indent is not None:
                raise SolutionMarkerError(f"line {number}: a second {BEGIN} before {END}. "
                                          f"Fix: close the first block with {END}.")
            indent = line[:len(line) - len(line.lstrip())]
            out += [f"{indent}...",
                    f"{indent}raise NotImplementedError({json.dumps(label, ensure_ascii=False)})"]
        elif marker == END:
            if indent is None:
                raise SolutionMarkerError(f"line {number}: {END} without {BEGIN} above it. "
                                          f"Fix: add {BEGIN} where the solution starts.")
            indent = None
        elif indent is None:
            out.append(line)
    if indent is not None:
        raise SolutionMarkerError(f"{BEGIN} is never closed. Fix: add {END} after the solution.")
    return "\n".join(out)


def exercise_cells(nb: nbformat.NotebookNode, name: str):
    """(index, cell, number, title) for each code cell of nb that holds a solution, where
    number and title come from the `### Exercise N: title` markdown cell above it.

    Example (student_notebook below; tools/make_assignments.py):
        >>> [(i, n) for i, _, n, _ in exercise_cells(nb, "03_backpropagation")]
        [(35, '1'), (38, '2'), (41, '3')]
    """
    exercise = None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            found = EXERCISE.search(cell.source)
            exercise = found.groups() if found else exercise
        elif cell.cell_type == "code" and BEGIN in cell.source:
            if exercise is None:
                raise SolutionMarkerError(
                    f"{name}, cell {index}: a solution with no '### Exercise N: title' "
                    "markdown cell above it. Fix: add the exercise heading before the exercise cell.")
            yield index, cell, *exercise


def stub_cell(cell: nbformat.NotebookNode, name: str, index: int, number: str, title: str) -> None:
    """Replace the solutions of exercise cell `index` of notebook `name` with the stub, in place."""
    try:
        cell.source = stub_solutions(cell.source, f"Exercise {number} ({name}): {title}")
    except SolutionMarkerError as err:
        raise SolutionMarkerError(f"{name}, cell {index}: {err}") from None


def student_notebook(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """A copy of nb with solutions stubbed, outputs, execution counts and widget state cleared.

    Example (tools/make_student.py):
        >>> student = student_notebook(nbformat.read(path, 4), "05_training_on_mnist")
    """
    nb = nbformat.from_dict(nb)  # a deep copy: never touch the instructor's notebook
    nb.metadata.pop("widgets", None)  # stored widget state belongs to the cleared outputs
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    for index, cell, number, title in list(exercise_cells(nb, name)):
        stub_cell(cell, name, index, number, title)
    return nb


def make_student(notebooks: Path | str = REPO / "notebooks",
                 out: Path | str = REPO / "build" / "student") -> list[Path]:
    """Write the student version of every notebook in notebooks/ to out/; return the paths.

    Example (`make student`):
        >>> make_student("notebooks", "build/student")
    """
    notebooks, out = Path(notebooks).resolve(), Path(out).resolve()
    if out == notebooks or notebooks in out.parents:
        raise ValueError(f"out={out} lies inside {notebooks}: the student version must never "
                         "overwrite the instructor's notebooks. Fix: use build/student.")
    sources = sorted(notebooks.glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {notebooks}. "
                                "Fix: pass the course's notebooks/ folder.")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sources:
        nb = student_notebook(nbformat.read(path, as_version=4), path.stem)
        nbformat.write(nb, out / path.name)
        written.append(out / path.name)
    return written


def main(args: list[str]) -> int:
    written = make_student(*args[:2])
    print(f"{len(written)} student notebooks in {written[0].parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
