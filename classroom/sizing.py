"""Memory and CPU one student's kernel needs, measured: the sizing in docs/classroom.md.

Usage: python -m classroom.sizing [--full-size] notebooks/05_training_on_mnist.ipynb ...

Runs each notebook top to bottom in a fresh kernel with the hub's settings (one thread:
COURSE_THREADS=1, OMP_NUM_THREADS=1) and reports for that kernel process:
- peak RSS (getrusage ru_maxrss, what `/usr/bin/time -v` calls maximum resident set size),
  which counts PyTorch's shared libraries in full;
- peak USS, sampled every 0.1 s: the memory only this kernel holds, which is what each
  more student adds once the libraries are in memory (they are shared between kernels);
- VmPeak (peak address space: what a `ulimit -v` / RLIMIT_AS limit must allow), CPU and
  wall seconds.
--full-size reads a 60,000 + 10,000 digit stand-in for full MNIST from a cache (what a
class with `make data` loads) instead of the embedded 5,000-digit sample.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import threading

import nbformat
import psutil
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

REPO = Path(__file__).resolve().parent.parent
PROBE = """\
import resource, torch
usage = resource.getrusage(resource.RUSAGE_SELF)
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(usage.ru_maxrss // 1024, int(status["VmPeak"].split()[0]) // 1024,
      round(usage.ru_utime + usage.ru_stime, 1), torch.get_num_threads())"""


class PeakUSS(threading.Thread):
    """Samples a process's unique memory (USS) until stopped; .peak in bytes."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process, self.peak, self.done = psutil.Process(pid), 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.1):
            try:
                self.peak = max(self.peak, self.process.memory_full_info().uss)
            except psutil.Error:
                return


def measure(path: Path, env: dict[str, str]) -> dict[str, float]:
    """Peak RSS, peak USS and VmPeak (MiB), CPU and wall seconds of one kernel running path."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(new_code_cell(PROBE))
    saved, sampler = dict(os.environ), []

    def on_start(**_):
        sampler.append(PeakUSS(client.km.provisioner.pid))
        sampler[0].start()

    os.environ.update(env)
    try:
        client = NotebookClient(nb, kernel_name="python3", timeout=600,
                                resources={"metadata": {"path": str(path.parent)}},
                                on_notebook_start=on_start)
        start = time.perf_counter()
        client.execute()
        wall = time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if sampler:
            sampler[0].done.set()
    rss, vm_peak, cpu, threads = nb.cells[-1].outputs[0]["text"].split()
    return {"rss_mib": int(rss), "uss_mib": sampler[0].peak // 2**20,
            "vm_peak_mib": int(vm_peak), "cpu_s": float(cpu), "wall_s": round(wall, 1),
            "threads": int(threads)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--full-size", action="store_true",
                        help="a full-size MNIST stand-in in the cache instead of the sample")
    args = parser.parse_args(argv)
    env = {"COURSE_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "COURSE_PROGRESS": "0"}
    with tempfile.TemporaryDirectory() as cache:
        if args.full_size:
            from benchmarks.common import write_full_size_cache

            write_full_size_cache(Path(cache))
            env.update(COURSE_DATA=cache, COURSE_OFFLINE="0")
        else:
            env["COURSE_OFFLINE"] = "1"
        print(f"{'notebook':30} {'peak RSS':>9} {'peak USS':>9} {'VmPeak':>9} {'CPU':>7} "
              f"{'wall':>7} threads")
        for path in args.notebooks:
            m = measure(path.resolve(), env)
            print(f"{path.name:30} {m['rss_mib']:>5} MiB {m['uss_mib']:>5} MiB "
                  f"{m['vm_peak_mib']:>5} MiB "
                  f"{m['cpu_s']:>5.1f} s {m['wall_s']:>5.1f} s {m['threads']:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
