"""Goal 3: wall time of running every notebook as the test command does (pytest --nbval).

One pytest run over all notebooks, like `make test`; its JUnit report gives each
cell's time, summed per notebook; what remains of the wall time is starting pytest
and one kernel per notebook. Then the same notebooks once more as a learner online
runs them: load_mnist() finding full-size MNIST (60,000 digits) in its cache.
Run: python -m benchmarks --only notebooks
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat

from benchmarks.common import FULL, REPO, Budget, Goal, write_full_size_cache

GOAL_S = 90.0
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with",
         str(REPO / "tests" / "nbval_sanitize.cfg")]


def run_notebooks(paths: list[Path]) -> tuple[float, dict[str, tuple[float, int]]]:
    """Wall seconds of one pytest --nbval run, and per notebook (seconds in cells, failed cells)."""
    env = {**os.environ, "COURSE_OFFLINE": "1", "COURSE_PROGRESS": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        f"--junitxml={report}", *map(str, paths), *NBVAL],
                       cwd=REPO, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        cases = list(ET.parse(report).getroot().iter("testcase"))
    # nbval makes one test per code cell, in order: the first n cases are the first notebook's
    per_notebook = {}
    for path in paths:
        n = sum(cell.cell_type == "code" for cell in nbformat.read(path, as_version=4).cells)
        mine, cases = cases[:n], cases[n:]
        per_notebook[path.name] = (sum(float(case.get("time", 0)) for case in mine),
                                   sum(case.find("failure") is not None or
                                       case.find("error") is not None for case in mine))
    return wall, per_notebook


def run_on_full_mnist(paths: list[Path], sizes: tuple[int, int] = (60_000, 10_000)
                      ) -> dict[str, tuple[float, int]]:
    """Per notebook executed with full-size MNIST cached (sizes: training and test digits):
    (wall seconds with its kernel's start, cells that raised)."""
    from tools.execute import execute_notebook, errors

    seconds = {}
    with tempfile.TemporaryDirectory() as cache:
        write_full_size_cache(Path(cache), *sizes)
        before = dict(os.environ)
        os.environ.update(COURSE_OFFLINE="0", COURSE_DATA=cache)  # the kernels inherit these
        try:
            for path in paths:
                nb = nbformat.read(path, as_version=4)
                start = time.perf_counter()
                execute_notebook(nb, path.parent)
                raised = sum(output.output_type == "error" for _, output in errors(nb))
                seconds[path.name] = (time.perf_counter() - start, raised)
        finally:
            os.environ.clear()
            os.environ.update(before)
    return seconds


def main(budget: Budget = FULL, paths: list[Path] | None = None) -> list[Goal]:
    paths = paths if paths is not None else sorted((REPO / "notebooks").glob("*.ipynb"))
    print(f"3. Whole course: one pytest --nbval run over {len(paths)} notebooks, as make test")
    wall, per_notebook = run_notebooks(paths)
    for name, (seconds, failed) in per_notebook.items():
        outcome = f"FAILED ({failed} cells)" if failed else "passed"
        print(f"    {name:<36} {seconds:6.1f} s in cells   {outcome}")
    starting = wall - sum(seconds for seconds, _ in per_notebook.values())
    print(f"    {'pytest + kernel starts':<36} {starting:6.1f} s\n    {'total wall time':<36} "
          f"{wall:6.1f} s\n")
    print("   the same notebooks with full-size MNIST in the cache (a learner online), "
          "kernel starts included")
    full = run_on_full_mnist(paths)
    for name, (seconds, errors) in full.items():
        print(f"    {name:<36} {seconds:6.1f} s   "
              f"{f'FAILED ({errors} cells)' if errors else 'ran'}")
    total = sum(seconds for seconds, _ in full.values())
    failed = sum(errors for _, errors in full.values())
    print(f"    {'total':<36} {total:6.1f} s\n")
    return [Goal("3. all notebooks, total wall time", f"{wall:.1f} s", f"<= {GOAL_S:g} s",
                 wall <= GOAL_S),
            Goal("3. all notebooks on full-size MNIST", f"{total:.1f} s"
                 + (f", {failed} cells failed" if failed else ""),
                 f"<= {GOAL_S:g} s, no error", total <= GOAL_S and not failed)]

