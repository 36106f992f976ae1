"""nbgrader for this course: every setting, in this one file.

`make assignments` writes the course folder (build/course, or COURSE_DIR) with an
nbgrader_config.py that loads this file; run nbgrader's own commands from that folder.
docs/classroom.md explains the grading workflow; settings (environment variables):
  COURSE_EXCHANGE [/srv/nbgrader/exchange]  nbgrader's exchange: release, fetch, submit, collect
  COURSE_GRADE_CELL_TIMEOUT [120]   seconds one cell may run before it is interrupted (it fails)
  COURSE_GRADE_TIMEOUT [900]        seconds for a whole submission before its kernel is killed
  COURSE_GRADE_MEMORY [3G]          memory for a submission (a memory cgroup, where available)
  COURSE_ENV [/opt/course-env]      the Python submissions run with (classroom/setup.sh)
"""
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO)]  # nbgrader loads this file by path, not as a module

from nbgrader.converters import Autograde  # noqa: E402
from nbgrader.preprocessors import Execute  # noqa: E402

from sandbox import SandboxedExecute  # noqa: E402  each submission in its own sandbox
from tools.make_student import SOLUTIONS  # noqa: E402  the course's markers and one-line stub

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)


def setting(name: str, default: str) -> str:
    return os.environ.get(name) or default


def default(converter, trait: str) -> list:
    return list(converter.class_traits()[trait].default())


c.CourseDirectory.course_id = "pytorch-nn"
c.Exchange.root = setting("COURSE_EXCHANGE", "/srv/nbgrader/exchange")

# Release: nbgrader's ClearSolutions, set as for the learner edition, `make student` and the site.
for trait, value in SOLUTIONS.items():
    setattr(c.ClearSolutions, trait, value)

# Autograde: each submission's kernel in a sandbox (classroom/sandbox.py), with limits.
c.Autograde.autograde_preprocessors = [SandboxedExecute if p is Execute else p
                                       for p in default(Autograde, "autograde_preprocessors")]
c.Execute.timeout = int(setting("COURSE_GRADE_CELL_TIMEOUT", "120"))
c.Execute.error_on_timeout = {  # what the student reads in the feedback
    "ename": "CellTimeoutError", "evalue": f"this cell ran for more than {c.Execute.timeout} s "
    "and was stopped", "traceback": [f"CellTimeoutError: this cell ran for more than "
                                     f"{c.Execute.timeout} s and was stopped"]}
c.SandboxKernelManager.total_timeout = int(setting("COURSE_GRADE_TIMEOUT", "900"))
c.SandboxKernelManager.memory_limit = setting("COURSE_GRADE_MEMORY", "3G")
c.SandboxKernelManager.python = str(Path(setting("COURSE_ENV", "/opt/course-env")) / "bin" / "python")
# Folders a submission must not see (the course folder's own config adds the course folder).
c.SandboxKernelManager.hidden = ["/root", "/home", "/srv", str(REPO), c.Exchange.root]
