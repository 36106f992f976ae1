"""The learner and student editions, from the instructor's notebooks in notebooks/.

Usage:
    python -m tools.make_student --learner [--check]      (`make learner`: learner/, committed)
    python -m tools.make_student [notebooks_dir] [out_dir] (`make student`: build/student/)

Solutions are cleared by nbgrader's own ClearSolutions with the settings in SOLUTIONS, the
ones classroom/nbgrader_config.py gives nbgrader for the assignments and tools/make_site.py
uses through learner_notebook: the lines from `# BEGIN SOLUTION` to `# END SOLUTION` become,
at the marker's indentation, the one line STUB.

The learner edition (learner/) holds the lesson and its exercises, nothing about how the
course is built: every lesson cell with the instructor's stored outputs; no claim check;
each exercise cell stubbed and, like its check cell (the code cell right after it), with no
stored output, so nothing fails before the learner runs a cell. The cell whose run meets the
stub (the exercise cell, or its check when the stub sits in a function) carries nbval's tag
`raises-exception`. After each check a markdown cell links that exercise's solution, alone in
learner/solutions/NOTEBOOK/exercise_N.py. No kernel runs: `--check` writes nothing and exits 1
when learner/ differs from what this would write; nbval runs learner/ in the tests.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearSolutions

REPO = Path(__file__).resolve().parent.parent
LEARNER = REPO / "learner"
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
STUB = 'raise NotImplementedError("replace this line with your answer")'
SOLUTIONS = {"begin_solution_delimeter": BEGIN, "end_solution_delimeter": END,
             "code_stub": {"python": STUB}}  # nbgrader's ClearSolutions settings
CLAIM_CHECK = "claim-check"        # a cell that tests the prose ("# Check: the text above ...")
RAISES = "raises-exception"        # nbval's tag: the cell is expected to raise
SOLUTION_LINK = """**Stuck after `hint=2`?** Exercise {number}'s solution:
[{path}]({path}){online}. Try first; to run it, put `%load {path}` in the exercise cell."""


def clear_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of nb with every solution replaced by STUB, by nbgrader's ClearSolutions."""
    nb = nbformat.from_dict(nb)  # a deep copy: never touch the instructor's notebook
    ClearSolutions(**SOLUTIONS, enforce_metadata=False).preprocess(nb, {})
    return nb


def exercises(nb: nbformat.NotebookNode) -> list[int]:
    """The indices of nb's exercise cells (code holding a solution), exercise 1 first."""
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and BEGIN in c.source]


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of nb with solutions stubbed, outputs, execution counts and widget state cleared."""
    nb = clear_solutions(nb)
    nb.metadata.pop("widgets", None)  # stored widget state belongs to the cleared outputs
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def stub_runs_with_cell(source: str) -> bool:
    """Whether running the stubbed cell meets the stub (not only a call of a function it defines)."""
    tree = ast.parse(source)
    deferred = {id(n) for d in ast.walk(tree) if isinstance(d, (ast.FunctionDef, ast.Lambda))
                for n in ast.walk(d)}
    return any(isinstance(n, ast.Raise) and id(n) not in deferred for n in ast.walk(tree))


def heading(nb: nbformat.NotebookNode, index: int) -> str:
    """The title above cell index: its `### Exercise N: title` line, without the hashes."""
    return next(line[4:].strip() for cell in reversed(nb.cells[:index])
                if cell.cell_type == "markdown" for line in cell.source.splitlines()
                if line.startswith("### "))


def learner_notebook(nb: nbformat.NotebookNode, name: str, solutions_url: str = ""):
    """(the learner edition of nb, {its solution files, relative to learner/: text}).

    Example (write_learner below; tools/make_site.py):
        >>> learner, solutions = learner_notebook(nbformat.read(path, 4), "03_backpropagation")
    """
    indices = exercises(nb)
    if any(i + 1 >= len(nb.cells) or nb.cells[i + 1].cell_type != "code" for i in indices):
        raise ValueError(f"{name}: an exercise cell without its check cell right after it. "
                         "Fix: put the cell calling its check_* after the exercise cell.")
    solutions = {f"solutions/{name}/exercise_{n}.py": "\n".join(
        [f"# {heading(nb, i).replace(':', f' ({name}):', 1)}. One solution; yours may differ.",
         *(line for line in nb.cells[i].source.split("\n") if line.strip() not in (BEGIN, END))]
    ).rstrip("\n") + "\n" for n, i in enumerate(indices, 1)}
    nb, cells = clear_solutions(nb), []
    for index, cell in enumerate(nb.cells):
        if CLAIM_CHECK in cell.metadata.get("tags", []) or cell.source.startswith("# Check: "):
            continue
        cells.append(cell)
        if index not in indices and index - 1 not in indices:
            continue
        cell.outputs, cell.execution_count = [], None  # what it prints is the learner's
        exercise = index if index in indices else index - 1
        if stub_runs_with_cell(nb.cells[exercise].source) == (index == exercise):
            cell.metadata["tags"] = [*cell.metadata.get("tags", []), RAISES]
        if index - 1 in indices:
            number = indices.index(index - 1) + 1
            path = f"solutions/{name}/exercise_{number}.py"
            online = f" (on Colab or Kaggle: [on GitHub]({solutions_url}/learner/{path}))"
            link = nbformat.v4.new_markdown_cell(SOLUTION_LINK.format(
                number=number, path=path, online=online if solutions_url else ""),
                id=f"solution-{number}")
            link.metadata["slideshow"] = {"slide_type": "-"}
            cells.append(link)
    count = 0  # the claim checks are gone: the lesson cells count 1, 2, 3 ... with no gaps
    for cell in cells:
        if cell.cell_type == "code" and cell.execution_count is not None:
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if "execution_count" in output:
                    output["execution_count"] = count
    nb.cells = cells
    return nb, solutions


def write_learner(notebooks: Path | str = REPO / "notebooks", out: Path | str = LEARNER, *,
                  check: bool = False, solutions_url: str | None = None) -> list[str]:
    """Write the learner edition of notebooks/ to out/ (or, with check, write nothing);
    return what was out of date, relative to out/.

    Example (`make learner`; tests/test_student.py runs the check):
        >>> write_learner(check=True)
        []
    """
    from tools.first_cell import BRANCH, published, repository

    notebooks, out = Path(notebooks).resolve(), Path(out).resolve()
    if out == notebooks or notebooks in out.parents:
        raise ValueError(f"out={out} lies inside {notebooks}: the learner edition must never "
                         "overwrite the instructor's notebooks. Fix: use learner/.")
    if solutions_url is None:  # no link to an address that is not the course's yet
        solutions_url = f"{repository()}/blob/{BRANCH}" if published(repository()) else ""
    files = {}
    for path in sorted(notebooks.glob("*.ipynb")):
        nb, solutions = learner_notebook(nbformat.read(path, as_version=4), path.stem,
                                         solutions_url)
        files |= {path.name: nbformat.writes(nb) + "\n", **solutions}
    stale = [name for name, text in files.items()
             if not (out / name).is_file() or (out / name).read_text() != text]
    present = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()
               and (p.suffix == ".ipynb" or "solutions" in p.parts)
               and ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts}
    stale += sorted(present - set(files))
    for name in stale if not check else []:
        if name in files:
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_text(files[name])
        else:
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
    for path in sources:
        nbformat.write(student_notebook(nbformat.read(path, as_version=4)), out / path.name)
    return [out / path.name for path in sources]


def main(args: list[str]) -> int:
    if "--learner" in args:
        check = "--check" in args
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
