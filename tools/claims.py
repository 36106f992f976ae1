"""The claims sweep: `make claims`. Does every quantitative sentence hold beyond the stored run?

Usage: python -m tools.claims [--seeds 10] [--machines native,old-cpu,two-threads]
                              [--machine-seeds 3] [--notebooks 04 05] [--jobs 2] [--write FILE]

Runs each notebook top to bottom once per (seed, simulated machine), with every seed of the
notebook (``cu.setup(seed=0)``, ``torch.manual_seed(0)``, ``seed=0`` defaults) set to the
run's seed, and records for every claim-check cell whether it passed and the numbers it read
(each quantity its asserts compare: a number, a dict of numbers, a one-element tensor). It prints,
per claim, the range seen over all runs beside the assert that the notebook checks: a claim
whose check fails in any run is marked FAILS, and is to be rewritten or dropped.

The simulated machines choose other CPU code paths on this machine, as another CPU would
(PyTorch picks its kernels by the CPU it finds; each pick changes the last bits of results,
and training amplifies them):

- native: what this CPU picks;
- old-cpu: ATen's non-vectorised kernels, oneDNN limited to SSE4.1, MKL's compatible path;
- two-threads: the course's kernels on two threads instead of one (another summation order);
- mkl-compatible: MKL's compatible path alone (MKL picks its kernels by the CPU's vendor and
  generation), the machine of `make test` (tests/test_machines.py): it costs no time, where
  old-cpu's scalar kernels make the notebooks 45% slower. Not swept by default.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

from tools.execute import use_test_settings

use_test_settings()  # the course as the stored outputs ran it: offline, no progress bars, on the CPU

REPO = Path(__file__).resolve().parent.parent
MACHINES = {
    "native": {},
    "old-cpu": {"ATEN_CPU_CAPABILITY": "default", "DNNL_MAX_CPU_ISA": "SSE41",
                "MKL_CBWR": "COMPATIBLE"},
    "two-threads": {"COURSE_THREADS": "2"},
    "mkl-compatible": {"MKL_CBWR": "COMPATIBLE"},
}
SEEDED = [(re.compile(r"\bseed=0\b"), "seed={seed}"),
          (re.compile(r"\btorch\.manual_seed\(0\)"), "torch.manual_seed({seed})")]
DUMP = """
import json as _json, math as _math
def _plain(value):
    if type(value).__name__ == "Tensor" and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if _math.isfinite(value) else str(value)
_values = {}
for _text in %r:
    try:
        _value = eval(_text)
    except Exception:
        continue
    if isinstance(_value, dict):
        for _key, _item in _value.items():
            if _plain(_item) is not None:
                _values[f"{_text}[{_key}]"] = _plain(_item)
    elif _plain(_value) is not None:
        _values[_text] = _plain(_value)
print(_json.dumps(_values))
"""


def check_cells(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
            and "claim-check" in c.metadata.get("tags", [])]


def compared(source: str) -> list[str]:
    """The expressions a check cell's asserts compare (their operands), and the plain names
    they read, as source text: what the sweep reports the range of."""
    tree = ast.parse(source)
    texts = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        for part in ast.walk(node.test):
            operands = [part.left, *part.comparators] if isinstance(part, ast.Compare) else []
            operands += [part] if isinstance(part, ast.Name) else []
            for operand in operands:
                text = ast.unparse(operand)
                if not isinstance(operand, ast.Constant) and text not in texts:
                    texts.append(text)
    return texts


def seeded(nb, seed: int):
    """nb with every seed of the notebook set to seed (the shuffling generators keep theirs)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            for pattern, replacement in SEEDED:
                cell.source = pattern.sub(replacement.format(seed=seed), cell.source)
    return nb


def run_one(path: str, seed: int, machine: str, keep: str | None = None) -> dict:
    """Run one notebook at one seed on one simulated machine; return its claims' results."""
    from tools.execute import execute_notebook

    saved = dict(os.environ)
    os.environ.update(MACHINES[machine])  # the kernel started below inherits them
    nb = seeded(nbformat.read(path, as_version=4), seed)
    checks = check_cells(nb)
    for offset, index in enumerate(checks):  # a dump cell after each check cell
        at = index + 1 + offset
        nb.cells.insert(at, nbformat.v4.new_code_cell(DUMP % (compared(nb.cells[at - 1].source),)))
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as folder:
            execute_notebook(nb, Path(folder), allow_errors=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if keep:  # the executed notebook, for comparing outputs across machines
        nbformat.write(nb, Path(keep) / f"{Path(path).stem}-seed{seed}-{machine}.ipynb")
    results = []
    for offset, index in enumerate(checks):
        check, dump = nb.cells[index + offset], nb.cells[index + offset + 1]
        failed = [f"{o.ename}: {o.evalue}" for o in check.outputs if o.output_type == "error"]
        printed = "".join(o.get("text", "") for o in dump.outputs if o.output_type == "stream")
        results.append({"cell": check.source.splitlines()[0], "failed": failed,
                        "values": json.loads(printed) if printed.strip() else {}})
    crashed = [f"cell {i}: {o.ename}: {o.evalue}" for i, c in enumerate(nb.cells)
               if c.cell_type == "code" and "claim-check" not in c.metadata.get("tags", [])
               for o in c.get("outputs", []) if o.output_type == "error"
               and o.ename != "NotImplementedError"]
    return {"notebook": Path(path).stem, "seed": seed, "machine": machine, "claims": results,
            "crashed": crashed, "seconds": time.perf_counter() - start}


def asserts(source: str) -> list[str]:
    """Each assert of a check cell as one line: the band it checks."""
    tree = ast.parse(source)
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            text = ast.unparse(node.test)
            lines.append(text if len(text) < 160 else text[:157] + "...")
    return lines


def report(runs: list[dict], folder: Path = REPO / "notebooks") -> str:
    out = ["| notebook | claim | passed | values seen (min .. max over runs) | checked |",
           "| --- | --- | --- | --- | --- |"]
    failing = 0
    for path in sorted(folder.glob("*.ipynb")):
        mine = [r for r in runs if r["notebook"] == path.stem]
        if not mine:
            continue
        nb = nbformat.read(path, as_version=4)
        for k, index in enumerate(check_cells(nb)):
            results = [r["claims"][k] for r in mine if len(r["claims"]) > k]
            passed = sum(not c["failed"] for c in results)
            seen = {}
            for c in results:
                for name, value in c["values"].items():
                    seen.setdefault(name, []).append(value)
            ranges = "; ".join(
                f"{name} {min(v):.4g} .. {max(v):.4g}" if all(isinstance(x, (int, float)) for x in v)
                else f"{name} {sorted(set(map(str, v)))}" for name, v in seen.items())
            mark = "" if passed == len(results) else " **FAILS**"
            failing += passed != len(results)
            claim = nb.cells[index].source.splitlines()[0].removeprefix("# Check: ").replace("|", "/")
            checked = "<br>".join(f"`{a}`".replace("|", "\\|") for a in asserts(nb.cells[index].source))
            out.append(f"| {path.stem[:2]} | {claim} | {passed}/{len(results)}{mark} | "
                       f"{ranges.replace('|', '/')} | {checked} |")
    seeds = sorted({r["seed"] for r in runs})
    machines = sorted({(r["machine"], r["seed"]) for r in runs if r["machine"] != "native"})
    crashed = [f"{r['notebook']} seed {r['seed']} {r['machine']}: {c}" for r in runs for c in r["crashed"]]
    head = [f"{len(runs)} notebook runs: seeds {seeds[0]}..{seeds[-1]} on this CPU"
            + (f", and {', '.join(sorted({m for m, _ in machines}))} at seeds "
               f"{', '.join(str(s) for s in sorted({s for _, s in machines}))}" if machines else ""),
            f"{failing} claim(s) fail in some run." + (" Cells that crashed: " + "; ".join(crashed)
                                                     if crashed else ""), ""]
    return "\n".join(head + out) + "\n"


PAGE = """# How sure are the numbers? The claims sweep

Each notebook says things such as "about 97%" or "ahead of the whole SGD family", and a check
cell after each such sentence tests it on the run you see. But training amplifies the tiny
rounding differences between CPUs, GPUs and PyTorch releases, and every seed starts from other
weights: your run prints other numbers. This page is the evidence that the sentences hold
anyway. Each row is one check cell: how many runs passed it, and the smallest and largest value
of each number it compares, over every notebook run top to bottom with all of its seeds
changed, on this CPU and on simulated other machines.

Written by `make claims` (`python -m tools.claims`) on {date}, PyTorch {torch}, the embedded
digits. Machines: `native` (this CPU), `old-cpu` (ATen's default kernels, oneDNN at SSE4.1,
MKL's compatible path: what an older CPU computes), `two-threads` (another summation order).
A claim that fails in any run is rewritten or dropped, never kept.

"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 on this CPU")
    parser.add_argument("--machines", default="native,old-cpu,two-threads")
    parser.add_argument("--machine-seeds", type=int, default=3,
                        help="seeds 0..N-1 on each simulated machine")
    parser.add_argument("--notebooks", nargs="*", default=[], help="e.g. 04 05 (default: all)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--folder", type=Path, default=REPO / "notebooks",
                        help="where the notebooks are (default: notebooks/)")
    parser.add_argument("--write", type=Path, help="also write the table to this file")
    parser.add_argument("--json", type=Path, help="also write every run's results as JSON")
    parser.add_argument("--keep", type=Path, help="keep each executed notebook in this folder")
    args = parser.parse_args(argv)
    machines = args.machines.split(",")
    unknown = set(machines) - set(MACHINES)
    if unknown:
        parser.error(f"unknown machine(s) {sorted(unknown)}; known: {sorted(MACHINES)}")
    paths = [str(p) for p in sorted(args.folder.glob("*.ipynb"))
             if not args.notebooks or p.stem[:2] in args.notebooks]
    jobs = [(p, seed, "native") for seed in range(args.seeds) for p in paths if "native" in machines]
    jobs += [(p, seed, m) for m in machines if m != "native"
             for seed in range(args.machine_seeds) for p in paths]
    start = time.perf_counter()
    runs = []
    with ProcessPoolExecutor(args.jobs) as pool:
        keep = [str(args.keep) if args.keep else None] * len(jobs)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
        for result in pool.map(run_one, *zip(*jobs), keep):
            runs.append(result)
            bad = sum(bool(c["failed"]) for c in result["claims"])
            print(f"{result['notebook']} seed {result['seed']} {result['machine']}: "
                  f"{len(result['claims']) - bad}/{len(result['claims'])} claims hold "
                  f"({result['seconds']:.0f} s)", flush=True)
    table = report(runs, args.folder)
    print(f"\n{table}\n({time.perf_counter() - start:.0f} s)")
    if args.write:
        import datetime

        import torch
        args.write.write_text(PAGE.format(date=datetime.date.today().isoformat(),
                                          torch=torch.__version__.split("+")[0]) + table)
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))
    return 1 if "**FAILS**" in table else 0


if __name__ == "__main__":
    sys.exit(main())
