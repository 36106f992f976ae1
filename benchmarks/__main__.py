"""Run every benchmark and print each comparison and a PASS/MISS summary: make bench.

Usage: python -m benchmarks [--quick] [--only pipeline overhead ...] [--notebooks a.ipynb ...]
--quick is a smoke test (tiny budget, numbers meaningless); the default takes a few minutes.
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import torch

os.environ.setdefault("COURSE_OFFLINE", "1")   # the embedded 5,000 digits: same data everywhere
os.environ.setdefault("COURSE_PROGRESS", "0")

import course_utils as cu  # noqa: E402
from benchmarks import (batch_size, explorers, import_time, notebooks, overhead,  # noqa: E402
                        pipeline, progress, threads)
from benchmarks.common import FULL, QUICK  # noqa: E402

BENCHMARKS = {"pipeline": pipeline, "overhead": overhead, "notebooks": notebooks,
              "import": import_time, "threads": threads, "batch": batch_size,
              "explorers": explorers, "progress": progress}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny budget: checks the code runs")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), default=list(BENCHMARKS))
    parser.add_argument("--notebooks", nargs="+", type=Path, help="notebooks to time "
                        "(default: notebooks/*.ipynb)")
    args = parser.parse_args(argv)
    budget = QUICK if args.quick else FULL
    cu.setup(seed=0)  # the course's defaults (threads included) unless a benchmark pins others
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}; torch {torch.__version__}, "
          f"python {platform.python_version()}; budget {budget}\n")
    start, goals = time.perf_counter(), []
    for name in args.only:
        extra = {"paths": args.notebooks} if name == "notebooks" else {}
        goals += BENCHMARKS[name].main(budget, **extra)
    print(f"Summary ({time.perf_counter() - start:.0f} s; a shared or busy machine lowers "
          "absolute numbers, the ratios are what count):")
    print("\n".join(goal.line() for goal in goals))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
