"""Goal 3: wall time of running every notebook as the test command does (pytest --nbval).

Each notebook runs in its own pytest process, so each time includes starting pytest
and a kernel, as a learner's "run all" plus checking does. Run: python -m benchmarks.notebooks
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import FULL, REPO, Budget, Goal

GOAL_S = 90.0
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with",
         str(REPO / "tests" / "nbval_sanitize.cfg")]


def run_notebook(path: Path) -> tuple[float, str]:
    """Seconds to check one notebook with nbval, and its outcome ("passed" or pytest's summary)."""
    env = {**os.environ, "COURSE_OFFLINE": "1", "COURSE_PROGRESS": "0"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(path), *NBVAL], cwd=REPO, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    summary = (done.stdout.strip().splitlines() or ["no output"])[-1]
    return seconds, "passed" if done.returncode == 0 else f"FAILED: {summary}"


def main(budget: Budget = FULL, paths: list[Path] | None = None) -> list[Goal]:
    paths = paths if paths is not None else sorted((REPO / "notebooks").glob("*.ipynb"))
    print(f"3. Whole course: pytest --nbval on each of {len(paths)} notebooks")
    total = 0.0
    for path in paths:
        seconds, outcome = run_notebook(path)
        total += seconds
        print(f"    {path.name:<36} {seconds:6.1f} s   {outcome}")
    print(f"    {'total':<36} {total:6.1f} s\n")
    return [Goal("3. all notebooks, total wall time", f"{total:.1f} s", f"<= {GOAL_S:g} s",
                 total <= GOAL_S)]


if __name__ == "__main__":
    main()
