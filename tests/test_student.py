"""The student version (tools/make_student.py): solutions stubbed, checks kept, runs as taught.

Up to its first exercise a student notebook is the instructor's code, which nbval runs
and compares in `make test` (and the browser test runs on full MNIST). Here each runs
whole (exercises use what the lesson built before them): every stub fails with its
exercise's NotImplementedError, and nothing else fails.
"""
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import REPO

from tools.execute import execute_notebook
from tools.make_student import (EXERCISE, SolutionMarkerError, make_student,
                          student_notebook, stub_solutions)

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CHECK_CALL = re.compile(r"\b(check_\w+|compare_grads)\(")


def solution_blocks(source: str) -> list[list[str]]:
    return re.findall(r"# BEGIN SOLUTION\n(.*?)\n\s*# END SOLUTION", source, re.DOTALL)


# --- the transformation, on small synthetic notebooks -------------------------------------

def test_stub_keeps_indentation_and_the_lines_around():
    source = ("def f(x):\n    y = x\n    # BEGIN SOLUTION\n    y = 2 * x\n    return y\n"
              "    # END SOLUTION\n\nprint('after')")
    assert stub_solutions(source, "Exercise 1 (demo): double") == (
        "def f(x):\n    y = x\n    ...\n"
        "    raise NotImplementedError(\"Exercise 1 (demo): double\")\n\nprint('after')")


def test_two_blocks_and_a_quote_in_the_title():
    source = "# BEGIN SOLUTION\na = 1\n# END SOLUTION\nb = 2\n# BEGIN SOLUTION\nc = 3\n# END SOLUTION"
    stub = stub_solutions(source, 'Exercise 2 (demo): the "best" one')
    assert stub.count("raise NotImplementedError") == 2 and "a = 1" not in stub and "b = 2" in stub
    with pytest.raises(NotImplementedError, match='the "best" one'):
        exec(compile(stub, "<stub>", "exec"), {})


@pytest.mark.parametrize("source, words", [
    ("# BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n# END SOLUTION", "without # BEGIN SOLUTION"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "second"),
])
def test_unbalanced_markers_are_explained(source, words):
    with pytest.raises(SolutionMarkerError, match=words):
        stub_solutions(source, "Exercise 1 (demo): x")


def demo_notebook():
    solved = new_code_cell("def double(x):\n    # BEGIN SOLUTION\n    return 2 * x\n"
                           "    # END SOLUTION", execution_count=3,
                           outputs=[new_output("stream", name="stdout", text="done\n")])
    nb = new_notebook(cells=[
        new_markdown_cell("# Demo\n\nThe figure: `cu.course_image(\"net\")`."),
        new_code_cell("x = 1", execution_count=1),
        new_markdown_cell("### Exercise 1: double it"),
        solved,
        new_code_cell("print(double(2) == 4)", execution_count=4),
    ])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def test_student_notebook_stubs_clears_and_leaves_the_original_alone():
    original = demo_notebook()
    student = student_notebook(original, "00_demo")
    assert "return 2 * x" in original.cells[3].source and original.cells[3].outputs
    assert student.cells[3].source == ("def double(x):\n    ...\n    raise NotImplementedError("
                                       "\"Exercise 1 (00_demo): double it\")")
    assert all(c.outputs == [] and c.execution_count is None
               for c in student.cells if c.cell_type == "code")
    assert "widgets" in original.metadata and "widgets" not in student.metadata
    assert student.cells[0].source == original.cells[0].source  # markdown as written


def test_a_solution_outside_an_exercise_is_refused():
    nb = demo_notebook()
    del nb.cells[2]
    with pytest.raises(SolutionMarkerError, match="Exercise N"):
        student_notebook(nb, "00_demo")


def test_make_student_never_writes_into_notebooks(tmp_path):
    (tmp_path / "notebooks").mkdir()
    source = tmp_path / "notebooks" / "00_demo.ipynb"
    nbformat.write(demo_notebook(), source)
    before = source.read_bytes()
    with pytest.raises(ValueError, match="never"):
        make_student(tmp_path / "notebooks", tmp_path / "notebooks" / "student")
    written = make_student(tmp_path / "notebooks", tmp_path / "build" / "student")
    assert [p.name for p in written] == ["00_demo.ipynb"]
    assert source.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "notebooks").iterdir()) == ["00_demo.ipynb"]
    assert sorted(p.name for p in (tmp_path / "build" / "student").iterdir()) == ["00_demo.ipynb"]


# --- the course's own notebooks -----------------------------------------------------------

@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    make_student(REPO / "notebooks", out)
    return out


def test_the_course_has_notebooks_to_convert():
    assert NOTEBOOKS, "notebooks/ is empty"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_solution_leaks_and_every_exercise_keeps_its_check(path, student_dir):
    original = nbformat.read(path, as_version=4)
    student = nbformat.read(student_dir / path.name, as_version=4)
    code = [c.source for c in original.cells if c.cell_type == "code"]
    solution_lines = {line.strip() for source in code for block in solution_blocks(source)
                      for line in block.splitlines() if line.strip()}
    outside = {line.strip() for source in code
               for line in re.sub(r"# BEGIN SOLUTION.*?# END SOLUTION", "", source,
                                  flags=re.DOTALL).splitlines()}
    student_text = "\n".join(c.source for c in student.cells)
    student_lines = {line.strip() for line in student_text.splitlines()}
    leaked = sorted((solution_lines - outside) & student_lines)
    assert not leaked, f"{path.name}: solution lines in the student version: {leaked}"
    assert "# BEGIN SOLUTION" not in student_text

    exercises = [i for i, c in enumerate(student.cells)
                 if c.cell_type == "markdown" and EXERCISE.search(c.source)]
    n_solutions = sum(len(solution_blocks(s)) for s in code)
    assert len(exercises) >= 3 and n_solutions >= len(exercises), path.name
    for start, end in zip(exercises, exercises[1:] + [len(student.cells)]):
        cells = student.cells[start + 1:end]
        body = "\n".join(c.source for c in cells if c.cell_type == "code")
        title = EXERCISE.search(student.cells[start].source).group(0).strip()
        assert "raise NotImplementedError(\"Exercise" in body, f"{path.name} {title}: no stub"
        assert CHECK_CALL.search(body), f"{path.name} {title}: no check cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_check_called_exists(path):
    from course_utils import exercises

    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    called = set(re.findall(r"\b(check_\w+)\(", source))
    assert called <= set(exercises.__all__), f"{path.name}: {called - set(exercises.__all__)}"


def test_an_unmarked_test_cannot_start_a_kernel():
    """tests/conftest.py keeps `make test-fast` free of kernels: unmarked, a run fails."""
    with pytest.raises(RuntimeError, match="mark it @pytest.mark.kernel"):
        execute_notebook(new_notebook(cells=[new_code_cell("1 + 1")]), REPO)


def first_exercise(cells) -> int:
    return next(i for i, c in enumerate(cells)
                if c.cell_type == "markdown" and EXERCISE.search(c.source))


@pytest.fixture(scope="module")
def exercise_runs(student_dir) -> dict[str, list]:
    """Each student notebook, run whole, one after the other in one kernel (a `%reset -f`
    between notebooks: none sees another's names; exercises may use what the lesson built
    before them); the code cells each notebook ran, by notebook name."""
    parts, cells = {}, []
    for path in NOTEBOOKS:
        student = nbformat.read(student_dir / path.name, as_version=4)
        mine = [new_code_cell(c.source) for c in student.cells if c.cell_type == "code"]
        cells += [new_code_cell("%reset -f"), *mine]
        parts[path.name] = mine
    execute_notebook(new_notebook(cells=cells),
                     REPO / "notebooks", timeout=600)
    return parts


@pytest.mark.kernel
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_exercises_fail_loudly_until_solved(path, student_dir, exercise_runs):
    """Before the first exercise: the instructor's code. Run whole: only the exercises'
    NotImplementedError, one per exercise, and nothing before the first exercise fails."""
    original = nbformat.read(path, as_version=4)
    student = nbformat.read(student_dir / path.name, as_version=4)
    code = lambda cells: [c.source for c in cells if c.cell_type == "code"]  # noqa: E731
    assert code(student.cells[:first_exercise(student.cells)]) == code(
        original.cells[:first_exercise(original.cells)])
    code_cells = exercise_runs[path.name]
    raised = set()
    for i, cell in enumerate(code_cells):
        for output in cell.outputs:
            if output.output_type == "error":
                assert i > 0 and output.ename == "NotImplementedError", (
                    f"{path.name} code cell {i}: {output.ename}: {output.evalue}")
                raised.add(output.evalue)
            assert output.get("name") != "stderr", f"{path.name} code cell {i}: {output.text}"
    expected = set(re.findall(r'raise NotImplementedError\("(Exercise \d+ \([^)]*\): [^"]*)"\)',
                              "\n".join(c.source for c in code_cells)))
    assert expected and raised == expected, (
        f"{path.name}: exercises that never failed: {expected - raised}")
