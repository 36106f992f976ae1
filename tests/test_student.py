"""The student versions (tools/make_student.py): solutions stubbed, checks kept, runs as taught.

build/student/ (`make student`) and the committed learner edition, learner/ (`make learner`):
the learner edition is what the generator writes (--check), reveals no solution, links each
exercise's solution alone, and stores the lesson's outputs and one run's exercise outputs.
nbval runs learner/ whole in `make test` (exercises use what the lesson built before them)
and compares every stored output: every stub fails with its exercise's NotImplementedError
(tagged raises-exception), and nothing else fails.
"""
import json
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import REPO

from tools.execute import execute_notebook
from tools.make_student import (EXERCISE, SolutionMarkerError, learner_notebook, make_student,
                                student_notebook, stub_solutions, write_learner)

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CHECK_CALL = re.compile(r"\b(check_\w+|compare_grads)\(")


def solution_blocks(source: str) -> list[list[str]]:
    return re.findall(r"# BEGIN SOLUTION\n(.*?)\n\s*# END SOLUTION", source, re.DOTALL)


# --- the transformation, on small synthetic notebooks -------------------------------------

def test_stub_keeps_indentation_and_the_lines_around():
    source = ("def f(x):\n    y = x\n    # BEGIN SOLUTION\n    y = 2 * x\n    return y\n"
              "    # END SOLUTION\n\nprint('after')")
    assert stub_solutions(source, "Exercise 1 (demo): double") == (
        "def f(x):\n    y = x\n"
        "    raise NotImplementedError(\"Exercise 1 (demo): double\")  # REPLACE this line with your "
        "answer\n\nprint('after')")


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
    assert student.cells[3].source == ("def double(x):\n    raise NotImplementedError("
                                       "\"Exercise 1 (00_demo): double it\")  # REPLACE this line "
                                       "with your answer")
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


# --- the learner edition, learner/ (committed; nbval runs it whole in make test) ----------

LEARNER = REPO / "learner"


def test_the_learner_edition_is_what_the_generator_writes():
    stale = write_learner(check=True)
    assert not stale, f"learner/ is out of date: {stale}. Fix: make learner"


def test_learner_notebook_keeps_lesson_outputs_and_links_each_solution():
    demo = demo_notebook()
    demo.cells[4].source = "check_double(double)"
    nb, fresh, solutions = learner_notebook(demo, "00_demo", "https://host/x/blob/main")
    assert nb.cells[1].execution_count == 1                       # a lesson cell: as stored
    assert fresh == {3, 4} and all(nb.cells[i].outputs == [] for i in fresh)
    assert "raise NotImplementedError" in nb.cells[3].source
    link = nb.cells[5]
    assert link.cell_type == "markdown" and "solutions/00_demo/exercise_1.py" in link.source
    assert "https://host/x/blob/main/learner/solutions/00_demo/exercise_1.py" in link.source
    assert solutions == {"solutions/00_demo/exercise_1.py": (
        "# Exercise 1 (00_demo): double it. One solution; yours may differ.\n"
        "def double(x):\n    return 2 * x\n")}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_learner_edition_folds_the_claim_checks_and_nothing_else(path):
    """A learner reads the lesson; the cells that test its sentences are folded (JupyterLab's
    source_hidden), still run, and are never an exercise's check."""
    nb = nbformat.read(LEARNER / path.name, as_version=4)
    folded = [c for c in nb.cells if c.metadata.get("jupyter", {}).get("source_hidden")]
    claims = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("# Check: the ")]
    assert claims and folded == claims
    assert not any(re.search(r"\bcheck_\w+\(", c.source) for c in claims)


def learner_text(nb) -> tuple[str, str]:
    """(every cell's source, every output and all metadata) of a notebook, as text."""
    sources = "\n".join(c.source for c in nb.cells)
    rest = json.dumps([nb.metadata] + [[c.metadata, c.get("outputs", [])] for c in nb.cells])
    return sources, rest


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_learner_edition_reveals_no_solution(path):
    """Not in a cell's source, not in a stored output ("Correct!"), not in metadata; each
    solution file holds its own exercise's solution and no other's."""
    original = nbformat.read(path, as_version=4)
    learner = nbformat.read(LEARNER / path.name, as_version=4)
    code = [c.source for c in original.cells if c.cell_type == "code"]
    outside = {line.strip() for source in code
               for line in re.sub(r"# BEGIN SOLUTION.*?# END SOLUTION", "", source,
                                  flags=re.DOTALL).splitlines()}
    per_exercise = [{line.strip() for block in solution_blocks(source)
                     for line in block.splitlines() if line.strip()} - outside
                    for source in code if "# BEGIN SOLUTION" in source]
    sources, rest = learner_text(learner)
    lines = {line.strip() for line in sources.splitlines()}
    for secret in per_exercise:
        assert not secret & lines, f"{path.name}: solution lines in the learner edition: {secret & lines}"
        assert not [line for line in secret if json.dumps(line)[1:-1] in rest], path.name
    assert "# BEGIN SOLUTION" not in sources + rest and "Correct!" not in rest
    links = re.findall(r"\]\((solutions/[\w/]+\.py)\)", sources)
    assert len(links) == len(per_exercise) >= 3, path.name
    for k, (link, secret) in enumerate(zip(links, per_exercise)):
        text = (LEARNER / link).read_text()
        assert secret <= {line.strip() for line in text.splitlines()}, link
        others = set().union(*(s for j, s in enumerate(per_exercise) if j != k))
        assert not others & {line.strip() for line in text.splitlines()}, link


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_learner_edition_reads_as_the_lesson_and_fails_only_at_its_stubs(path):
    """Up to the first exercise: the instructor's cells with their stored outputs. After it,
    the stored run (which nbval repeats): one NotImplementedError per exercise, naming it,
    in a cell tagged raises-exception; no other error, no stderr."""
    original = nbformat.read(path, as_version=4)
    learner = nbformat.read(LEARNER / path.name, as_version=4)
    lesson = lambda cells: [(c.source, c.get("outputs")) for c in cells]  # noqa: E731
    assert lesson(learner.cells[:first_exercise(learner.cells)]) == lesson(
        original.cells[:first_exercise(original.cells)])
    raised = []
    for i, cell in enumerate(learner.cells):
        for output in cell.get("outputs", []):
            assert output.get("name") != "stderr", f"{path.name} cell {i}: {output.text}"
            if output.output_type == "error":
                assert output.ename == "NotImplementedError", f"{path.name} cell {i}"
                assert "raises-exception" in cell.metadata.get("tags", [])
                raised.append(output.evalue)
        if "raises-exception" in cell.metadata.get("tags", []):
            assert any(o.output_type == "error" for o in cell.outputs), f"{path.name} cell {i}"
    expected = re.findall(r'raise NotImplementedError\("(Exercise \d+ \([^)]*\): [^"]*)"\)',
                          "\n".join(c.source for c in learner.cells))
    assert expected and sorted(raised) == sorted(expected), path.name
