"""Autograde submissions, write feedback and the gradebook CSV: `make grade`.

Usage: python -m classroom.grade ASSIGNMENT [--submissions FOLDER] [--course build/course]

FOLDER holds one folder per student, nbgrader's layout: FOLDER/<student>/<ASSIGNMENT>/
<notebook>.ipynb (what `nbgrader collect` or `nbgrader zip_collect` produce); it is copied
into the course's submitted/ first. Without --submissions, what is already in submitted/
(after `nbgrader collect`) is graded. For each student:
1. nbgrader autograde, each submission's code run in its own sandbox (classroom/sandbox.py:
   an unprivileged user, a temporary folder, no network, time and memory limits);
2. nbgrader generate_feedback: feedback/<student>/<ASSIGNMENT>/<notebook>.html, with the
   check's line of feedback under every exercise;
then nbgrader's CSV export of the whole gradebook: grades.csv in the course folder. Scores
are computed and stored by nbgrader outside the sandboxes. Needs root on Linux.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def course_config(course: Path):
    """The course's nbgrader configuration, refusing one that would grade outside the sandbox
    (nbgrader itself only logs a broken config file and goes on with its defaults)."""
    from traitlets.config.loader import PyFileConfigLoader

    path = course / "nbgrader_config.py"
    if not path.exists():
        raise FileNotFoundError(f"{course} is not a course folder (no nbgrader_config.py). "
                                "Fix: run `make assignments` first, or pass --course.")
    config = PyFileConfigLoader(path.name, path=str(course)).load_config()
    steps = [getattr(p, "__name__", p) for p in config.Autograde.autograde_preprocessors]
    if "SandboxedExecute" not in steps:
        raise RuntimeError(f"{path} does not run submissions in the sandbox. Fix: let it "
                           "load classroom/nbgrader_config.py (make assignments writes it so).")
    return config


def copy_submissions(folder: Path, course: Path, assignment: str) -> None:
    found = sorted(p.parent for p in folder.glob(f"*/{assignment}") if p.is_dir())
    if not found:
        raise FileNotFoundError(f"no submissions of {assignment} in {folder}: expected "
                                f"{folder}/<student>/{assignment}/<notebook>.ipynb")
    for student in found:
        target = course / "submitted" / student.name / assignment
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(student / assignment, target, symlinks=True)


def grade(assignment: str, course: Path | str = REPO / "build" / "course",
          submissions: Path | str | None = None) -> dict[str, dict]:
    """Autograde, give feedback and export; {student: {"score", "max_score", "exercises":
    {grade_id: score}, "feedback": html path, "log"}}.

    Example (`make grade ASSIGNMENT=03_backpropagation SUBMISSIONS=collected/`):
        >>> grade("03_backpropagation", "build/course", "collected")
    """
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.plugins.export import CsvExportPlugin

    if sys.platform != "linux" or os.geteuid() != 0:
        raise RuntimeError("grading runs each submission in a sandbox, which needs Linux and "
                           "root. Fix: run `sudo make grade ...` on a Linux machine (a VM will do).")
    warnings.filterwarnings("ignore", message=".* not in session")  # nbgrader with SQLAlchemy 2
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    course = Path(course).resolve()
    config = course_config(course)
    if submissions is not None:
        copy_submissions(Path(submissions).resolve(), course, assignment)
    students = sorted(p.parent.name for p in (course / "submitted").glob(f"*/{assignment}"))
    if not students:
        raise FileNotFoundError(f"nothing submitted for {assignment} in {course}/submitted. "
                                "Fix: `nbgrader collect` it, or pass --submissions FOLDER.")
    api, results = NbGraderAPI(config=config), {}
    for student in students:
        links = [str(p) for p in (course / "submitted" / student / assignment).rglob("*")
                 if p.is_symlink()]
        if links:  # root would follow them when copying: a way to read the instructor's files
            results[student] = {"success": False, "graded": False, "log": "not graded: symbolic "
                                f"links in the submission ({', '.join(links)}). Fix: files only."}
            continue
        autograded = api.autograde(assignment, student)
        feedback = api.generate_feedback(assignment, student)
        results[student] = {"log": autograded["log"] + feedback["log"], "graded": True,
                            "success": autograded["success"] and feedback["success"]}
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gradebook:
        CsvExportPlugin(to=str(course / "grades.csv")).export(gradebook)
        for student, result in results.items():
            result.update(score=0, max_score=0, exercises={}, feedback=[])
            if result["graded"]:
                submission = gradebook.find_submission(assignment, student)
                result.update(
                    score=submission.score, max_score=submission.max_score,
                    exercises={g.name: g.score for nb in submission.notebooks for g in nb.grades},
                    feedback=sorted((course / "feedback" / student / assignment).glob("*.html")))
    return results


def main(args: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("assignment", help="e.g. 03_backpropagation")
    parser.add_argument("--submissions", type=Path, help="FOLDER/<student>/<assignment>/")
    parser.add_argument("--course", type=Path, default=REPO / "build" / "course")
    options = parser.parse_args(args)
    results = grade(options.assignment, options.course, options.submissions)
    for student, result in results.items():
        exercises = ", ".join(f"{name.removesuffix('_check')} {score:g}"
                              for name, score in sorted(result["exercises"].items()))
        status = "" if result["success"] else "  (nbgrader reported a problem: see its log)"
        print(f"{student}: {result['score']:g} / {result['max_score']:g} ({exercises}){status}")
        if not result["success"]:
            print(result["log"])
    print(f"Feedback: {options.course}/feedback/<student>/{options.assignment}/; "
          f"grades: {options.course}/grades.csv")
    return 0 if all(r["success"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
