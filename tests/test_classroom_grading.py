"""A term with nbgrader: `make assignments`, release, fetch, submit, collect, `make grade`.

Lesson 01 (five exercises, the quickest notebook to grade) is released to three students
through nbgrader's exchange. They fetch it and submit it as themselves: one fully right; one
with two exercises wrong (and a test cell rewritten to pass); one whose exercise 2 loops
forever (asleep: it waits for the cell time limit without burning a core), exercise 3
(right) first tries to read another student's submission, the gradebook and the solutions,
to write outside its folder and to leave a process behind, and exercise 4 raises (exercise
1, a value rather than a function, is left as handed out).
Autograde, feedback and export give exactly the expected scores, the feedback shows the
checks' lines, and the hostile submission changed nothing outside its sandbox. Needs root
(CI is root).
"""
from __future__ import annotations

import ast
import csv
import hashlib
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import psutil
import pytest

from class_helpers import COURSE_ENV, STUDENTS, run_as, set_up_the_class
from conftest import REPO

from classroom.make_assignments import TEST_CELL, make_assignments
from tools.make_student import STUB, student_notebook

pytestmark = [pytest.mark.kernel,  # a hub, kernels or nbgrader: make test runs these, test-fast not
              pytest.mark.usefixtures("grader_alone")]  # one at a time, under pytest-xdist too

LESSON = "01_define_the_network"
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
EXERCISES = 5  # in notebook 01, one point each
CELL_TIMEOUT = 10  # seconds; notebook 01's slowest cell, its imports, takes about 3.5 s


def solution(nb, number: int) -> str:
    """The instructor's solution of exercise `number`, markers removed."""
    cells = [c.source for c in nb.cells if c.cell_type == "code" and "# BEGIN SOLUTION" in c.source]
    return re.sub(r"\n\s*# (BEGIN|END) SOLUTION", "", cells[number - 1])


def exercise_index(nb, number: int) -> int:
    return next(i for i, c in enumerate(nb.cells)
                if c.metadata.get("nbgrader", {}).get("grade_id") == f"exercise_{number}")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hostile_attempts(paths: dict[str, str]) -> str:
    """Code a hostile student puts before a right answer: every attempt is recorded."""
    return (
        "import os, socket, subprocess\n"
        "tried = {}\n"
        f"for name, path in {paths!r}.items():\n"
        "    try:\n"
        "        tried['read ' + name] = open(path, 'rb').read(64)\n"
        "    except OSError as err:\n"
        "        tried['read ' + name] = type(err).__name__\n"
        "    try:\n"
        "        open(path, 'ab').write(b'hacked')\n"
        "        tried['write ' + name] = 'wrote'\n"
        "    except OSError as err:\n"
        "        tried['write ' + name] = type(err).__name__\n"
        "try:\n"
        "    socket.create_connection(('pypi.org', 443), timeout=3)\n"
        "    tried['network'] = 'connected'\n"
        "except OSError as err:\n"
        "    tried['network'] = type(err).__name__\n"
        "subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
        "print(tried)\n")


@pytest.fixture(scope="module")
def term(grader_alone):
    set_up_the_class()
    root = Path(tempfile.mkdtemp(prefix="course-term-", dir="/var/tmp"))  # not under /tmp,
    # which a sandbox replaces anyway: the course folder itself must be hidden
    root.chmod(0o755)
    course, exchange = root / "course", root / "exchange"
    exchange.mkdir(mode=0o777)
    exchange.chmod(0o777)
    env = {**os.environ, "COURSE_EXCHANGE": str(exchange),
           "COURSE_GRADE_CELL_TIMEOUT": str(CELL_TIMEOUT),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}

    def instructor(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                              text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert done.returncode == 0, done.stdout
        return done.stdout

    def student(name: str, *args: str) -> str:
        home = pwd.getpwnam(name).pw_dir
        done = run_as(name, "env", f"HOME={home}", f"{COURSE_ENV}/bin/python", "-m", "nbgrader",
                      *args, "--course=pytorch-nn", f"--Exchange.root={exchange}", cwd=home)
        assert done.returncode == 0, f"{name}: nbgrader {args}:\n{done.stdout}{done.stderr}"
        return done.stdout + done.stderr

    os.environ["COURSE_EXCHANGE"] = str(exchange)  # make_assignments runs nbgrader with it
    try:
        released = make_assignments(REPO / "notebooks", course)
    finally:
        os.environ.pop("COURSE_EXCHANGE")
    instructor("release_assignment", LESSON)
    for name in STUDENTS:  # a fresh start for each student: no fetch from an earlier run
        shutil.rmtree(Path(pwd.getpwnam(name).pw_dir) / LESSON, ignore_errors=True)
    with ThreadPoolExecutor(len(STUDENTS)) as pool:
        list(pool.map(lambda name: student(name, "fetch_assignment", LESSON), STUDENTS))

    one, two, three = STUDENTS
    source = nbformat.read(REPO / "notebooks" / f"{LESSON}.ipynb", as_version=4)
    fetched = {name: Path(pwd.getpwnam(name).pw_dir) / LESSON / f"{LESSON}.ipynb"
               for name in STUDENTS}
    secrets = {"another submission": str(fetched[one]),
               "the collected submission": str(course / "submitted" / one / LESSON / f"{LESSON}.ipynb"),
               "the gradebook": str(course / "gradebook.db"),
               "the solutions": str(course / "source" / LESSON / f"{LESSON}.ipynb"),
               "the repository's notebook": str(REPO / "notebooks" / f"{LESSON}.ipynb"),
               "a file outside": f"/var/tmp/course-hostile-{os.getpid()}"}
    answers = {
        one: {n: solution(source, n) for n in range(1, EXERCISES + 1)},
        two: {1: solution(source, 1),
              2: "def layer_parameters(layer):\n"  # the weights only, no biases
                 "    if isinstance(layer, nn.Linear):\n"
                 "        return layer.out_features * layer.in_features\n"
                 "    kh, kw = layer.kernel_size\n"
                 "    return layer.out_channels * layer.in_channels * kh * kw",
              3: "def conv_output_size(size, kernel_size, stride=1, padding=0):\n"
                 "    return size + 2 * padding - kernel_size + 1"},  # the stride left out
        three: {2: "import time\n\ndef layer_parameters(layer):\n"  # asleep, not busy: the
                   "    while True:\n        time.sleep(0.1)",  # cell time limit must stop it
                3: hostile_attempts(secrets) + solution(source, 3),
                4: "def digits_to_batch(digits):\n    raise ValueError('my bug')"},
    }
    for name, solutions in answers.items():
        nb = nbformat.read(fetched[name], as_version=4)
        for number, code in solutions.items():
            nb.cells[exercise_index(nb, number)].source = code
        if name == two:  # and rewrites exercise 2's test cell so that it always passes
            nb.cells[exercise_index(nb, 2) + 1].source = "print('Correct!')"
        nbformat.write(nb, fetched[name])
        uid = pwd.getpwnam(name)
        os.chown(fetched[name], uid.pw_uid, uid.pw_gid)
    with ThreadPoolExecutor(len(STUDENTS)) as pool:
        list(pool.map(lambda name: student(name, "submit", LESSON), STUDENTS))
    instructor("collect", LESSON)

    watched = [fetched[one], fetched[two], *(course / "submitted").glob(f"*/{LESSON}/*.ipynb"),
               course / "source" / LESSON / f"{LESSON}.ipynb"]
    before = {path: sha(path) for path in watched}
    grader_before = {p.pid for p in psutil.process_iter(["username"])
                     if p.info["username"] == "course-grader"}
    graded = subprocess.run([sys.executable, "-m", "classroom.grade", LESSON,
                             "--course", str(course)], env=env, text=True, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    yield {"course": course, "released": released, "graded": graded, "before": before,
           "secrets": secrets, "grader_before": grader_before}
    shutil.rmtree(root, ignore_errors=True)


def cell_outputs(course: Path, student: str) -> list:
    nb = nbformat.read(course / "autograded" / student / LESSON / f"{LESSON}.ipynb", as_version=4)
    return nb.cells


def test_release_and_make_student_hand_out_the_same_exercises(term):
    """Every released notebook is make_student's, but for the checks made autograded tests."""
    released = {p.stem: p for p in term["released"]}
    assert sorted(released) == [p.stem for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        student = student_notebook(nbformat.read(path, as_version=4))
        release = nbformat.read(released[path.stem], as_version=4)
        assert len(release.cells) == len(student.cells)
        tests = 0
        for mine, theirs in zip(release.cells, student.cells):
            meta = mine.metadata.get("nbgrader", {})
            if meta.get("grade"):
                assert mine.source == TEST_CELL.format(points=1, call=theirs.source.strip())
                assert meta["points"] == 1 and meta["locked"] and not mine.metadata["editable"]
                tests += 1
            else:
                assert mine.source == theirs.source, f"{path.stem}: {mine.source[:80]!r}"
            if mine.cell_type == "markdown":  # the lesson text is read-only
                assert meta["locked"] and mine.metadata["editable"] is False
            if mine.cell_type == "code" and STUB in mine.source:
                assert meta["solution"] and not meta["locked"]
        assert tests == student_exercises(student) >= 3, path.stem


def student_exercises(nb) -> int:
    return sum(c.cell_type == "code" and STUB in c.source for c in nb.cells)


def test_grading_ran(term):
    assert term["graded"].returncode == 0, term["graded"].stdout


def test_autograde_and_export_give_exactly_the_expected_scores(term):
    one, two, three = STUDENTS
    rows = {row["student_id"]: row for row in csv.DictReader(open(term["course"] / "grades.csv"))
            if row["assignment"] == LESSON}
    assert {name: (float(r["score"]), float(r["max_score"])) for name, r in rows.items()} == {
        one: (5.0, 5.0), two: (1.0, 5.0), three: (1.0, 5.0)}
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{term['course'] / 'gradebook.db'}", "pytorch-nn") as gradebook:
        scores = {name: {g.name: g.score for nb in gradebook.find_submission(LESSON, name).notebooks
                         for g in nb.grades} for name in STUDENTS}
    right = {one: set(range(1, EXERCISES + 1)), two: {1}, three: {3}}
    assert scores == {name: {f"exercise_{n}_check": int(n in right[name])
                             for n in range(1, EXERCISES + 1)} for name in STUDENTS}
    assert f"{two}: 1 / {EXERCISES}" in term["graded"].stdout


def test_the_feedback_shows_the_checks_lines(term):
    feedback = {name: (term["course"] / "feedback" / name / LESSON / f"{LESSON}.html").read_text()
                for name in STUDENTS}
    one, two, three = STUDENTS
    assert feedback[one].count("Correct! ") >= EXERCISES and "Not yet:" not in feedback[one]
    assert ("Not yet: for Linear(in_features=3, out_features=2, bias=True) you left out the "
            "biases.") in feedback[two]
    assert ("Not yet: conv_output_size(28, 2, stride=2, padding=0) gave 27, nn.Conv2d gives 14. "
            "The stride is missing.") in feedback[two]
    assert "Not yet: your code raised ValueError: my bug" in feedback[three]
    assert f"this cell ran for more than {CELL_TIMEOUT} s and was stopped" in feedback[three]


def test_a_rewritten_test_cell_is_restored(term):
    two = STUDENTS[1]
    cells = cell_outputs(term["course"], two)
    test = next(c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id")
                == "exercise_2_check")
    assert "print('Correct!')" not in test.source and "check_layer_parameters" in test.source
    assert any(o.output_type == "error" for o in test.outputs)


def test_the_hostile_submission_changed_nothing_outside_its_sandbox(term):
    cells = cell_outputs(term["course"], STUDENTS[2])
    hostile = next(c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id")
                   == "exercise_3")
    report = "".join(o.get("text", "") for o in hostile.outputs)
    tried = ast.literal_eval(report.strip())  # the dict the submission printed
    assert set(tried) == {f"{verb} {name}" for name in term["secrets"]
                          for verb in ("read", "write")} | {"network"}
    network = tried.pop("network")
    assert network == "gaierror", network  # no network: not even a name lookup
    assert all(result in ("FileNotFoundError", "PermissionError", "OSError")
               for result in tried.values()), tried  # nothing read, nothing written
    for path, digest in term["before"].items():
        assert sha(path) == digest, f"{path} changed"
    assert not Path(term["secrets"]["a file outside"]).exists()
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{term['course'] / 'gradebook.db'}", "pytorch-nn"):
        pass  # the gradebook still opens: nothing was appended to it
    assert b"hacked" not in (term["course"] / "gradebook.db").read_bytes()
    left = [p for p in psutil.process_iter(["username"]) if p.info["username"] == "course-grader"
            and p.pid not in term["grader_before"]]
    assert not psutil.wait_procs(left, timeout=5)[1], "a process outlived its sandbox"
    assert not list(Path("/var/tmp").glob("course-sandbox-*"))


def test_a_submission_with_a_symbolic_link_is_not_graded(term, tmp_path):
    """Root copies submissions: a link to the gradebook would hand it to the sandbox."""
    from classroom.grade import grade

    other = "02_loss_functions"  # released, submitted by no one: grade() grades only "evil"
    # (with LESSON it would grade the three students again)
    folder = tmp_path / "evil" / other
    folder.mkdir(parents=True)
    (folder / f"{other}.ipynb").symlink_to(term["course"] / "gradebook.db")
    results = grade(other, term["course"], tmp_path)
    assert set(results) == {"evil"}
    assert not results["evil"]["graded"] and "symbolic links" in results["evil"]["log"]
    copied = term["course"] / "submitted" / "evil" / other
    assert all(p.is_symlink() for p in copied.iterdir())  # never read through
    assert not (term["course"] / "autograded" / "evil").exists()
