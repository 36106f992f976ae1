"""The student versions (tools/make_student.py): solutions stubbed by nbgrader's ClearSolutions,
checks kept, the lesson and nothing about how the course is built.

build/student/ (`make student`) and the committed learner edition, learner/ (`make learner`):
the learner edition is what the generator writes (--check), reveals no solution, links each
exercise's solution alone, keeps every lesson cell with its stored outputs, and holds no claim
check, no nbval marker, no stored output in an exercise or check cell and no word about the
course's tooling. nbval runs learner/ whole in `make test`: every lesson cell compared, each
stub's cell expected to raise (tagged raises-exception), nothing else failing.
"""
import json
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import REPO

from tools.execute import execute_notebook
from tools.make_student import (STUB, clear_solutions, exercises, learner_notebook, make_student,
                                student_notebook, write_learner)

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CHECK_CALL = re.compile(r"^check_\w+\(")


def solution_blocks(source: str) -> list[list[str]]:
    return re.findall(r"# BEGIN SOLUTION\n(.*?)\n\s*# END SOLUTION", source, re.DOTALL)


def stubbed(source: str) -> str:
    nb = new_notebook(cells=[new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    return clear_solutions(nb).cells[0].source


# --- the transformation, on small synthetic notebooks -------------------------------------

def test_the_stub_is_one_line_at_the_markers_indentation():
    source = ("def f(x):\n    y = x\n    # BEGIN SOLUTION\n    y = 2 * x\n    return y\n"
              "    # END SOLUTION\n\nprint('after')")
    assert stubbed(source) == f"def f(x):\n    y = x\n    {STUB}\n\nprint('after')"
    with pytest.raises(NotImplementedError, match="replace this line with your answer"):
        exec(compile(STUB, "<stub>", "exec"), {})


def test_two_blocks():
    stub = stubbed("# BEGIN SOLUTION\na = 1\n# END SOLUTION\nb = 2\n# BEGIN SOLUTION\nc = 3\n"
                   "# END SOLUTION")
    assert stub == f"{STUB}\nb = 2\n{STUB}"


@pytest.mark.parametrize("source", ["# BEGIN SOLUTION\nx = 1",
                                    "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION"])
def test_unbalanced_markers_are_refused(source):
    with pytest.raises(RuntimeError, match="solution"):
        stubbed(source)


def demo_notebook():
    solved = new_code_cell("def double(x):\n    # BEGIN SOLUTION\n    return 2 * x\n"
                           "    # END SOLUTION", execution_count=3,
                           outputs=[new_output("stream", name="stdout", text="done\n")])
    nb = new_notebook(cells=[
        new_markdown_cell("# Demo\n\nThe figure: `cu.course_image(\"net\")`."),
        new_code_cell("x = 1", execution_count=1),
        new_code_cell("# Check: the text above (x is one)\nassert x == 1, 'x is one'",
                      execution_count=2, metadata={"tags": ["claim-check"]}),
        new_markdown_cell("### Exercise 1: double it"),
        solved,
        new_code_cell("check_double(double)", execution_count=4,
                      outputs=[new_output("stream", name="stdout", text="Correct!\n")]),
        new_markdown_cell("### Exercise 2: predict"),
        new_code_cell("guess = None\n# BEGIN SOLUTION\nguess = 2\n# END SOLUTION", execution_count=5),
        new_code_cell("check_guess(guess)", execution_count=6),
    ])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def test_student_notebook_stubs_clears_and_leaves_the_original_alone():
    original = demo_notebook()
    student = student_notebook(original)
    assert "return 2 * x" in original.cells[4].source and original.cells[4].outputs
    assert student.cells[4].source == f"def double(x):\n    {STUB}"
    assert all(c.outputs == [] and c.execution_count is None
               for c in student.cells if c.cell_type == "code")
    assert "widgets" in original.metadata and "widgets" not in student.metadata
    assert student.cells[0].source == original.cells[0].source  # markdown as written


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


def test_learner_notebook_keeps_the_lesson_drops_claim_checks_and_links_each_solution():
    nb, solutions = learner_notebook(demo_notebook(), "00_demo", "https://host/x/blob/main")
    assert [c.source[:12] for c in nb.cells] == [
        "# Demo\n\nThe ", "x = 1", "### Exercise", "def double(x", "check_double",
        "**Stuck afte", "### Exercise", "guess = None", "check_guess(", "**Stuck afte"]
    assert nb.cells[1].execution_count == 1                       # a lesson cell: as stored
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells[3:] if c.cell_type == "code")
    # nbval expects an error where the stub is met: the check of a function, the predict cell
    assert [c.metadata.get("tags") for c in nb.cells if c.cell_type == "code"] == [
        None, None, ["raises-exception"], ["raises-exception"], None]
    assert "https://host/x/blob/main/learner/solutions/00_demo/exercise_1.py" in nb.cells[5].source
    assert solutions == {
        "solutions/00_demo/exercise_1.py": "# Exercise 1 (00_demo): double it. One solution; yours "
                                           "may differ.\ndef double(x):\n    return 2 * x\n",
        "solutions/00_demo/exercise_2.py": "# Exercise 2 (00_demo): predict. One solution; yours "
                                           "may differ.\nguess = None\nguess = 2\n"}


def test_an_exercise_without_its_check_right_after_is_refused():
    nb = demo_notebook()
    del nb.cells[5]
    with pytest.raises(ValueError, match="check cell"):
        learner_notebook(nb, "00_demo")


# --- the course's own notebooks -----------------------------------------------------------

@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    make_student(REPO / "notebooks", out)
    return out


def test_the_course_has_notebooks_to_convert():
    assert NOTEBOOKS, "notebooks/ is empty"


def outside_solutions(code: list[str]) -> set[str]:
    return {line.strip() for source in code
            for line in re.sub(r"# BEGIN SOLUTION.*?# END SOLUTION", "", source,
                               flags=re.DOTALL).splitlines()}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_solution_leaks_and_every_exercise_keeps_its_check(path, student_dir):
    original = nbformat.read(path, as_version=4)
    student = nbformat.read(student_dir / path.name, as_version=4)
    code = [c.source for c in original.cells if c.cell_type == "code"]
    solution_lines = {line.strip() for source in code for block in solution_blocks(source)
                      for line in block.splitlines() if line.strip()}
    student_text = "\n".join(c.source for c in student.cells)
    leaked = sorted((solution_lines - outside_solutions(code))
                    & {line.strip() for line in student_text.splitlines()})
    assert not leaked, f"{path.name}: solution lines in the student version: {leaked}"
    assert "# BEGIN SOLUTION" not in student_text
    indices = exercises(original)
    assert len(indices) >= 3, path.name
    for index in indices:
        assert STUB in student.cells[index].source, f"{path.name} cell {index}: no stub"
        check = student.cells[index + 1]
        assert check.cell_type == "code" and CHECK_CALL.match(check.source), \
            f"{path.name} cell {index + 1}: an exercise's check comes right after it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercise_headings_number_the_exercises_in_order(path):
    """Exercise N is the Nth exercise cell (its solution file, its grade id): one
    `### Exercise N: title` heading before each, numbered from 1."""
    nb = nbformat.read(path, as_version=4)
    headings = [(i, int(m.group(1))) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
                for m in [re.search(r"^### Exercise (\d+): \S", c.source, re.M)] if m]
    indices = exercises(nb)
    assert [n for _, n in headings] == list(range(1, len(indices) + 1)), path.name
    assert all(h < i for (h, _), i in zip(headings, indices)), path.name
    assert all(i < h for i, (h, _) in zip(indices, headings[1:])), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_check_called_exists(path):
    from course_utils import exercises as checks

    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    called = set(re.findall(r"\b(check_\w+)\(", source))
    assert called <= set(checks.__all__), f"{path.name}: {called - set(checks.__all__)}"


def test_an_unmarked_test_cannot_start_a_kernel():
    """tests/conftest.py keeps `make test-fast` free of kernels: unmarked, a run fails."""
    with pytest.raises(RuntimeError, match="mark it @pytest.mark.kernel"):
        execute_notebook(new_notebook(cells=[new_code_cell("1 + 1")]), REPO)


# --- the learner edition, learner/ (committed; nbval runs it whole in make test) ----------

LEARNER = REPO / "learner"


def test_the_learner_edition_is_what_the_generator_writes():
    stale = write_learner(check=True)
    assert not stale, f"learner/ is out of date: {stale}. Fix: make learner"


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
    outside = outside_solutions(code)
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
def test_the_learner_edition_is_the_lesson_with_its_stored_outputs(path):
    """Every instructor cell but the claim checks, in order; the lesson cells with their
    stored outputs, which nbval compares strictly (no cell ignored that the instructor's
    edition compares)."""
    def lesson(cell):  # what the learner reads; the execution counts are renumbered below
        outputs = [{k: v for k, v in o.items() if k != "execution_count"} for o in cell.get("outputs", [])]
        return cell.cell_type, cell.source, outputs, cell.metadata.get("tags")

    original = nbformat.read(path, as_version=4)
    learner = nbformat.read(LEARNER / path.name, as_version=4)
    work = {i for e in exercises(original) for i in (e, e + 1)}
    kept = [c for i, c in enumerate(original.cells)
            if i not in work and "claim-check" not in c.metadata.get("tags", [])]
    shown = [c for c in learner.cells if c.get("id", "").split("-")[0] != "solution"
             and c.get("execution_count", 0) is not None]
    assert [lesson(c) for c in shown] == [lesson(c) for c in kept], path.name
    counts = [c.execution_count for c in shown if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: the learner sees gaps {counts}"


# Words about how the course is built, in the lesson's markdown. "sweep" alone is the
# lesson's learning-rate sweep; "test" alone its test digits: the phrases below are tooling.
TOOLING = re.compile(r"`make |\bmake (?:notebooks|test|lab|learner|claims|data|figures)\b|tools/|"
                     r"\bclaims\b|nbval|NBVAL|claims sweep|pytest|# Check|stored output|"
                     r"conftest|make_student|the tests\b|\bour tests\b|docs/claims", re.I)


def tooling(nb) -> list[str]:
    """Every trace of the course's machinery in a learner notebook, one line each."""
    found = []
    for i, cell in enumerate(nb.cells):
        tags = cell.metadata.get("tags", [])
        if "claim-check" in tags or cell.source.startswith("# Check: "):
            found.append(f"cell {i}: a claim check")
        if "NBVAL" in cell.source:
            found.append(f"cell {i}: an nbval marker in its source")
        if cell.cell_type == "code" and cell.outputs and (
                STUB in cell.source or i > 0 and nb.cells[i - 1].cell_type == "code"
                and STUB in nb.cells[i - 1].source
                or "raises-exception" in tags):
            found.append(f"cell {i}: stored output in an exercise or check cell")
        if cell.cell_type == "markdown":
            found += [f"cell {i}: {m.group(0)!r} in the prose" for m in TOOLING.finditer(cell.source)]
    return found


def test_the_tooling_count_sees_each_kind():
    nb = new_notebook(cells=[
        new_markdown_cell("Run `make notebooks`; nbval compares the stored output (tools/)."),
        new_code_cell("# NBVAL_IGNORE_OUTPUT\nprint(1)"),
        new_code_cell("# Check: the text above\nassert True, 'x'", metadata={"tags": ["claim-check"]}),
        new_code_cell(f"guess = None\n{STUB}", outputs=[new_output(
            "error", ename="NotImplementedError", evalue="x", traceback=[])]),
        new_code_cell("check_guess(guess)", outputs=[new_output("stream", text="Not yet\n")]),
    ])
    found = tooling(nb)
    assert len(found) == 8, found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_learner_edition_holds_no_tooling(path):
    """Learners meet the lesson, not the machinery: no claim check, no nbval marker, no
    stored output in an exercise or check cell, no word about make, tools, tests or claims."""
    found = tooling(nbformat.read(LEARNER / path.name, as_version=4))
    assert not found, f"{path.name}: {len(found)} traces of the tooling:\n" + "\n".join(found)


def test_no_learner_path_leads_to_the_placeholder_address(monkeypatch):
    """Until the course's address is set, no install from it and no link to it (README, learner)."""
    import importlib.util

    from IPython.core.inputtransformer2 import TransformerManager

    from tools import first_cell

    placeholder = "https://github.com/OWNER/a-course"
    assert not first_cell.published(placeholder)
    assert "](" not in first_cell.launch_links(placeholder, [REPO / "notebooks" / "x.ipynb"])
    if not first_cell.published(first_cell.repository()):   # as committed today
        for path in [REPO / "README.md", *(p for p in LEARNER.rglob("*") if p.is_file())]:
            assert first_cell.PLACEHOLDER not in path.read_text(), path
    # a platform without course_utils, and no COURSE_REPO: one line saying what to set
    code = TransformerManager().transform_cell(first_cell.install_block(placeholder))
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "course_utils" else real(name, *a))
    monkeypatch.delenv("COURSE_REPO", raising=False)
    with pytest.raises(ModuleNotFoundError, match="set COURSE_REPO"):
        exec(code, {"get_ipython": lambda: None})
