"""The student versions of the course, from the instructor's notebooks in notebooks/.

Usage:
    python -m tools.make_student --learner [--check]      (`make learner`: learner/, committed)
    python -m tools.make_student [notebooks_dir] [out_dir] (`make student`: build/student/)

In a code cell, the lines from `# BEGIN SOLUTION` to `# END SOLUTION` (markers included)
become, at the BEGIN marker's indentation:

    raise NotImplementedError("Exercise 2 (05_training_on_mnist): count the mistakes")  # REPLACE this line with your answer

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
LEARNER = REPO / "learner"
SOLUTIONS = "solutions"            # learner/solutions/NOTEBOOK/exercise_N.py
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
REPLACE = "# REPLACE this line with your answer"
EXERCISE = re.compile(r"^\s*###\s+Exercise\s+(\d+)\s*:\s*(.+?)\s*$", re.MULTILINE)
CHECK_CALL = re.compile(r"\b(check_\w+|compare_grads)\(")
RAISES = "raises-exception"        # nbval's tag: the cell's stored error is expected
CLAIM_CHECK = "# Check: the "  # a claim check cell ("# Check: the text above ..."): it tests the text
SOLUTION_LINK = """**Stuck after `hint=2`?** Exercise {number}'s solution, on its own (no other exercise's):
[{path}]({path}) (on Colab or Kaggle: [on GitHub]({url})). Try first; to run it, put
`%load {path}` in the exercise cell."""


class SolutionMarkerError(ValueError):
    """The solution markers of a notebook are unbalanced or outside an exercise."""


def stub_solutions(source: str, label: str) -> str:
    """source with each BEGIN/END SOLUTION block replaced by one NotImplementedError line
    that tells the learner to replace it (nothing else to delete: replacing it is the answer).

    Example (tools/make_student.py, for each exercise cell):
        >>> stub_solutions("def f():\\n    # BEGIN SOLUTION\\n    return 1\\n    # END SOLUTION",
        ...                "Exercise 1 (demo): f")
        'def f():\\n    raise NotImplementedError("Exercise 1 (demo): f")  # REPLACE this line with your answer'
    """
    out, indent = [], None
    for number, line in enumerate(source.split("\n"), 1):
        marker = line.strip()
        if marker == BEGIN:
            if indent is not None:
                raise SolutionMarkerError(f"line {number}: a second {BEGIN} before {END}. "
                                          f"Fix: close the first block with {END}.")
            indent = line[:len(line) - len(line.lstrip())]
            out.append(f"{indent}raise NotImplementedError({json.dumps(label, ensure_ascii=False)})"
                       f"  {REPLACE}")
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

    Example (student_notebook below; classroom/make_assignments.py):
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


def solution_text(source: str, label: str) -> str:
    """An exercise cell as the instructor wrote it, solution markers removed, under a header.

    Example (learner/solutions/):
        >>> solution_text("x = None\\n# BEGIN SOLUTION\\nx = 2\\n# END SOLUTION", "Exercise 1 (demo): two")
        '# Exercise 1 (demo): two. One solution; yours may differ.\\nx = None\\nx = 2\\n'
    """
    lines = [line for line in source.split("\n") if line.strip() not in (BEGIN, END)]
    return "\n".join([f"# {label}. One solution; yours may differ.", *lines]).rstrip("\n") + "\n"


def learner_notebook(nb: nbformat.NotebookNode, name: str, solutions_url: str = ""):
    """The learner edition of nb before its run: (notebook, fresh, solutions).

    Lesson cells keep their stored outputs. Each exercise cell gets its stub; it and its
    check cell (the first code cell after it that calls a check) lose their outputs: their
    indices are `fresh`, to be filled by one run (fill_fresh_outputs). After each check, a
    markdown cell links the exercise's solution, which `solutions` maps to its file
    (relative to learner/): exercise_N.py. Stored widget state stays (lesson widgets).

    Example (write_learner below):
        >>> learner, fresh, solutions = learner_notebook(nbformat.read(path, 4), "03_backpropagation")
    """
    nb = nbformat.from_dict(nb)  # a deep copy: never touch the instructor's notebook
    solutions, fresh, links = {}, set(), []
    exercises = list(exercise_cells(nb, name))
    for index, cell, number, title in exercises:
        label = f"Exercise {number} ({name}): {title}"
        path = f"{SOLUTIONS}/{name}/exercise_{number}.py"
        solutions[path] = solution_text(cell.source, label)
        stub_cell(cell, name, index, number, title)
        check = next((i for i in range(index + 1, len(nb.cells))
                      if nb.cells[i].cell_type == "code" and CHECK_CALL.search(nb.cells[i].source)),
                     None)
        if check is None or any(check > later for later, *_ in exercises if later > index):
            raise SolutionMarkerError(f"{name}, cell {index}: {label} has no check cell before "
                                      "the next exercise. Fix: add a cell calling its check_*.")
        fresh |= {index, check}
        link = nbformat.v4.new_markdown_cell(
            SOLUTION_LINK.format(number=number, path=path,
                                 url=f"{solutions_url}/learner/{path}" if solutions_url else path),
            id=f"solution-{number}")
        link.metadata["slideshow"] = {"slide_type": "-"}
        links.append((check, link))
    for index in fresh:
        cell = nb.cells[index]
        cell.outputs, cell.execution_count = [], None
        tags = [t for t in cell.metadata.get("tags", []) if t != RAISES]
        cell.metadata.pop("tags", None)
        if tags:
            cell.metadata["tags"] = tags
    for cell in nb.cells:        # the claim checks: folded, for a learner may skip them
        if cell.cell_type == "code" and cell.source.startswith(CLAIM_CHECK):
            cell.metadata["jupyter"] = {**cell.metadata.get("jupyter", {}), "source_hidden": True}
    for check, link in sorted(links, key=lambda pair: -pair[0]):  # from the end: indices hold
        nb.cells.insert(check + 1, link)
        fresh = {i + 1 if i > check else i for i in fresh}
    return nb, fresh, solutions


def fill_fresh_outputs(nb: nbformat.NotebookNode, fresh: set[int], folder: Path,
                       name: str) -> None:
    """Run a copy of nb once in folder; store the outputs and execution counts of the fresh
    cells (a stub's error tagged raises-exception, its traceback cut to its last line). Refuses any other error,
    or stderr, anywhere: the edition must run as it is handed out."""
    from tools.execute import execute_notebook

    run = execute_notebook(nbformat.from_dict(nb), folder, timeout=600)
    for index, (cell, ran) in enumerate(zip(nb.cells, run.cells)):
        if cell.cell_type != "code":
            continue
        for output in ran.outputs:
            bad = (output.output_type == "error" and (index not in fresh
                                                       or output.ename != "NotImplementedError"))
            if bad or output.get("name") == "stderr":
                raise RuntimeError(f"{name}, cell {index} failed in the learner edition: "
                                   f"{output.get('ename', 'stderr')}: "
                                   f"{output.get('evalue', output.get('text', ''))[:300]}")
        if index not in fresh:
            continue
        # a count, as a run gives it: nbval compares only cells that store one ("run")
        cell.outputs, cell.execution_count = ran.outputs, ran.execution_count
        for output in cell.outputs:
            if output.output_type == "error":
                output.traceback = [f"{output.ename}: {output.evalue}"]
                cell.metadata["tags"] = [*cell.metadata.get("tags", []), RAISES]


def _with_fresh_from(nb, fresh: set[int], committed) -> None:
    """nb's fresh cells given committed's outputs and tags (what --check cannot rerun)."""
    for index in fresh:
        if index < len(committed.cells) and committed.cells[index].cell_type == "code":
            nb.cells[index].outputs = committed.cells[index].outputs
            nb.cells[index].execution_count = committed.cells[index].execution_count
            if RAISES in committed.cells[index].metadata.get("tags", []):
                nb.cells[index].metadata["tags"] = [*nb.cells[index].metadata.get("tags", []), RAISES]


def write_learner(notebooks: Path | str = REPO / "notebooks", out: Path | str = LEARNER, *,
                  check: bool = False, solutions_url: str | None = None) -> list[str]:
    """Write the learner edition of notebooks/ to out/ (or, with check, write nothing);
    return what was out of date, relative to out/.

    Example (`make learner`; tests/test_student.py runs the check):
        >>> write_learner(check=True)
        []
    """
    from tools.first_cell import BRANCH, repository

    notebooks, out = Path(notebooks).resolve(), Path(out).resolve()
    if out == notebooks or notebooks in out.parents:
        raise ValueError(f"out={out} lies inside {notebooks}: the learner edition must never "
                         "overwrite the instructor's notebooks. Fix: use learner/.")
    if solutions_url is None:
        solutions_url = f"{repository()}/blob/{BRANCH}"
    stale, expected = [], set()
    for path in sorted(notebooks.glob("*.ipynb")):
        nb, fresh, solutions = learner_notebook(nbformat.read(path, as_version=4), path.stem,
                                                solutions_url)
        target = out / path.name
        expected |= {path.name, *solutions}
        if check:
            if target.is_file():
                _with_fresh_from(nb, fresh, nbformat.read(target, as_version=4))
        else:
            out.mkdir(parents=True, exist_ok=True)
            fill_fresh_outputs(nb, fresh, out, path.stem)
        text = nbformat.writes(nb) + "\n"
        files = {path.name: text, **solutions}
        for name, content in files.items():
            file = out / name
            if not file.is_file() or file.read_text() != content:
                stale.append(name)
                if not check:
                    file.parent.mkdir(parents=True, exist_ok=True)
                    file.write_text(content)
    present = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()
               and (p.suffix == ".ipynb" or SOLUTIONS in p.parts)
               and ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts}
    for name in sorted(present - expected):
        stale.append(name)
        if not check:
            (out / name).unlink()
    return stale


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
    if "--learner" in args:
        check = "--check" in args
        import conftest  # noqa: F401  the run's settings are nbval's: offline, CPU, no progress bars
        stale = write_learner(check=check)
        for name in stale:
            print(f"{'out of date' if check else 'written'}: learner/{name}")
        if check and stale:
            print("The learner edition differs from the instructor notebooks. Fix: make learner")
        return 1 if check and stale else 0
    written = make_student(*args[:2])
    print(f"{len(written)} student notebooks in {written[0].parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
