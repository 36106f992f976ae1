"""The nbgrader course: `make assignments` -> build/course/ (COURSE_DIR=... elsewhere).

Usage: python -m classroom.make_assignments [notebooks_dir] [course_dir] [NAME ...]

Each notebook NN_name.ipynb becomes the assignment NN_name (source/NN_name/NN_name.ipynb;
its figures come from the installed course_utils), marked up for nbgrader:
- the lesson text (every markdown cell) is read-only, and restored when grading;
- each exercise cell, whose solution lies between `# BEGIN SOLUTION` and `# END SOLUTION`,
  is a solution cell ("autograded answer");
- each exercise's check cell becomes an autograded test cell worth POINTS: it runs the
  check and fails, with the check's one line of feedback, unless the check says "Correct!";
- the other code cells stay editable and ungraded, for the student to experiment in.
Then `nbgrader generate_assignment` writes the students' version to release/, its solutions
cleared by nbgrader's ClearSolutions with tools/make_student.py's settings (SOLUTIONS, given
by classroom/nbgrader_config.py), so release/ and `make student` hand out the same exercises.
The course folder is private (mode 700): it will hold the gradebook and submissions.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat

from tools.make_student import exercises

REPO = Path(__file__).resolve().parent.parent
POINTS = 1
TEST_CELL = '''\
# Autograded ({points} point): a wrong answer fails here with the check's line of feedback.
from IPython.utils.capture import capture_output
with capture_output() as feedback:
    correct = {call}
feedback.show()
assert correct, feedback.stdout.strip().splitlines()[-1]'''
COURSE_CONFIG = '''\
"""nbgrader's configuration for this course folder (written by classroom/make_assignments.py)."""
c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
load_subconfig({shared!r})  # noqa: F821  the course's settings: classroom/nbgrader_config.py
c.SandboxKernelManager.hidden.append(c.CourseDirectory.root)  # submissions never see this folder
'''


def mark(cell, grade_id: str, *, solution=False, grade=False, locked=False) -> None:
    """nbgrader's metadata (schema 3) on one cell."""
    cell.metadata["nbgrader"] = {"grade": grade, "grade_id": grade_id, "locked": locked,
                                 "schema_version": 3, "solution": solution,
                                 **({"points": POINTS} if grade else {})}


def assignment_notebook(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The instructor's notebook, marked up for nbgrader (a copy; outputs cleared).

    Example (classroom/make_assignments.py):
        >>> source = assignment_notebook(nbformat.read(path, 4), "03_backpropagation")
    """
    nb = nbformat.from_dict(nb)
    nb.metadata.pop("widgets", None)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            mark(cell, f"lesson_text_{index}", locked=True)
        elif cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    for number, index in enumerate(exercises(nb), 1):
        mark(nb.cells[index], f"exercise_{number}", solution=True)
        after = nb.cells[index + 1] if index + 1 < len(nb.cells) else None
        if after is None or after.cell_type != "code":
            raise ValueError(f"{name}, exercise {number}: the cell after the exercise cell must "
                             "be its check, one call like check_name(answer). Fix: put the "
                             "check cell right after the exercise cell.")
        after.source = TEST_CELL.format(points=POINTS, call=after.source.strip())
        mark(after, f"exercise_{number}_check", grade=True, locked=True)
    return nb


def nbgrader(course: Path, *args: str) -> str:
    """Run one nbgrader command in the course folder; its log (shown if it fails)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # alembic
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env={**os.environ, "PATH": path})
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{done.stdout}")
    return done.stdout


def make_assignments(notebooks: Path | str = REPO / "notebooks",
                     course: Path | str = REPO / "build" / "course",
                     names: list[str] | None = None) -> list[Path]:
    """Write the nbgrader course for the notebooks (all, or those named) and release them
    with nbgrader generate_assignment; return the released notebooks.

    Example (`make assignments`):
        >>> make_assignments("notebooks", "build/course")
    """
    notebooks, course = Path(notebooks).resolve(), Path(course).resolve()
    sources = [p for p in sorted(notebooks.glob("*.ipynb")) if not names or p.stem in names]
    if not sources:
        raise FileNotFoundError(f"no notebooks {names or '(*.ipynb)'} in {notebooks}. Fix: "
                                "pass the course's notebooks/ folder and existing names.")
    course.mkdir(parents=True, exist_ok=True)
    course.chmod(0o700)  # the gradebook and every submission will be in here
    (course / "nbgrader_config.py").write_text(COURSE_CONFIG.format(
        root=str(course), shared=str(REPO / "classroom" / "nbgrader_config.py")))
    for path in sources:
        folder = course / "source" / path.stem
        folder.mkdir(parents=True, exist_ok=True)
        nb = assignment_notebook(nbformat.read(path, as_version=4), path.stem)
        nbformat.write(nb, folder / path.name)
    for pattern in ([p.stem for p in sources] if names else ["*"]):  # "*": one nbgrader run
        nbgrader(course, "generate_assignment", pattern, "--force")
    return [course / "release" / p.stem / p.name for p in sources]


def main(args: list[str]) -> int:
    released = make_assignments(*args[:2], names=args[2:] or None)
    print(f"{len(released)} assignments released in {released[0].parent.parent} "
          f"(nbgrader course: {released[0].parent.parent.parent})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
