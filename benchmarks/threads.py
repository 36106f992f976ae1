"""Goal 5: LeNet training speed with 1 thread and with all cores, alone and beside a busy process.

The evidence behind course_utils.DEFAULT_THREADS (see benchmarks/README.md).
Run: python -m benchmarks --only threads
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import replace

import course_utils as cu
from benchmarks.common import (BATCH, FULL, Budget, Goal, course_data, interleave, median,
                               pinned_threads, show_runs, timed_fit)


@contextlib.contextmanager
def busy_process():
    """A competing CPU-bound process (a Python busy loop) for the duration of the block."""
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield burner
    finally:
        burner.kill()
        burner.wait()


def main(budget: Budget = FULL) -> list[Goal]:
    # a short run: with more threads than free cores a run can be 10x slower
    budget = replace(budget, epochs=1, repeats=min(3, budget.repeats),
                     n_train=min(1000, budget.n_train))
    data, cores = course_data(budget), os.cpu_count() or 1
    counts = sorted({1, cores})
    candidates = {f"{n} thread{'s' * (n > 1)}": pinned_threads(n, timed_fit(data, budget))
                  for n in counts}
    print(f"5. Threads: LeNet + fit, batch {BATCH}, {budget.epochs} epochs x {len(data.train)} "
          f"digits, {cores} cores, load average {os.getloadavg()[0]:.1f} at start")
    alone = interleave(candidates, budget.repeats)
    show_runs("    alone", alone)
    with busy_process():
        contended = interleave(candidates, budget.repeats)
    show_runs("    beside one busy process", contended)
    one, many = (f"{n} thread{'s' * (n > 1)}" for n in (1, cores))
    ratios = {label: median(r[many], "samples_per_s") / median(r[one], "samples_per_s")
              for label, r in (("alone", alone), ("busy", contended))}
    best = max(counts, key=lambda n: min(
        median(r[f"{n} thread{'s' * (n > 1)}"], "samples_per_s") for r in (alone, contended)))
    print(f"    ratio {cores} threads / 1 thread: alone {ratios['alone']:.2f}x, "
          f"beside a busy process {ratios['busy']:.2f}x")
    print(f"    best worst case: {best} thread(s); course_utils.DEFAULT_THREADS = "
          f"{cu.DEFAULT_THREADS}\n")
    return [Goal("5. DEFAULT_THREADS has the best worst-case speed", f"best {best}, default "
                 f"{cu.DEFAULT_THREADS}", "default = best", best == cu.DEFAULT_THREADS)]

