"""Run notebooks again and compare what nbval compares with the stored outputs.

Usage: python -m tools.check_reproducible [--runs N] [notebooks/NN_x.ipynb ...]

Each run executes every notebook afresh (never writing it) and compares, cell by
cell, the outputs nbval compares: stdout, stderr, text/plain and text/html, after
the sanitize rules of tests/nbval_sanitize.cfg; cells marked NBVAL_IGNORE_OUTPUT
are skipped. Exit status 1 and a diff when any run differs from the stored file.
"""
from __future__ import annotations

import argparse
import configparser
import copy
import difflib
import re
import sys
from pathlib import Path

import nbformat

from tools.execute import execute_notebook

REPO = Path(__file__).resolve().parent.parent
SANITIZE = REPO / "tests" / "nbval_sanitize.cfg"
COMPARED_MIME = ("text/plain", "text/html")
IGNORE_MARK = "# NBVAL_IGNORE_OUTPUT"


def sanitize_rules() -> list[tuple[re.Pattern, str]]:
    parser = configparser.ConfigParser()
    parser.read(SANITIZE)
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def compared_outputs(cell, rules) -> list[str]:
    """The outputs of one code cell as nbval compares them, sanitized."""
    found = []
    last_stream = None
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            if output["name"] == last_stream:  # one print may arrive as several messages
                found[-1] += output["text"]
            else:
                found.append(f"{output['name']}: {output['text']}")
            last_stream = output["name"]
            continue
        last_stream = None
        if kind in ("execute_result", "display_data"):
            for mime in COMPARED_MIME:
                if mime in output.get("data", {}):
                    found.append(f"{mime}: {output['data'][mime]}")
        elif kind == "error":
            found.append(f"error: {output['ename']}: {output['evalue']}")
    text = "\n".join(found)
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text.splitlines()


def differences(stored, fresh, rules) -> list[str]:
    report = []
    stored_cells = [c for c in stored.cells if c.cell_type == "code"]
    fresh_cells = [c for c in fresh.cells if c.cell_type == "code"]
    for i, (old, new) in enumerate(zip(stored_cells, fresh_cells)):
        if IGNORE_MARK in old.source.splitlines():
            continue
        a, b = compared_outputs(old, rules), compared_outputs(new, rules)
        if a != b:
            report.append(f"code cell {i}:\n" + "\n".join(
                difflib.unified_diff(a, b, "stored", "fresh", lineterm="", n=1)))
    return report


def execute(path: Path):
    nb = nbformat.read(path, as_version=4)
    return nb, execute_notebook(copy.deepcopy(nb), path.parent)


def check(path: Path) -> list[str]:
    stored, fresh = execute(path)
    return differences(stored, fresh, sanitize_rules())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("notebooks", nargs="*")
    args = parser.parse_args()
    paths = [Path(p) for p in args.notebooks] or sorted((REPO / "notebooks").glob("*.ipynb"))
    failed = False
    for run in range(1, args.runs + 1):
        for path in paths:
            report = check(path)
            print(f"run {run} {path.name}: {'same' if not report else 'DIFFERENT'}")
            for entry in report:
                print(entry)
            failed |= bool(report)
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
