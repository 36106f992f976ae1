"""nbval compares the numbers that training noise moves within a stated tolerance.

PyTorch picks its CPU kernels by the CPU it finds (AVX2 or AVX-512, oneDNN's and MKL's code
paths), each pick changes the last bits of a sum, and training amplifies them: after 9 epochs
another machine prints another accuracy. A code cell whose printed numbers come from such a run
states how far they may move, in its metadata (measured with `make claims`, which runs the
notebooks over seeds and simulated machines):

    "tolerance": {"rel": 0.5, "abs": 0.01, "pct": 3, "int": 2}

Its outputs are then compared as text with every number taken out, so the words, the shapes
and the count of numbers stay strictly compared, and number by number: a number followed by
``%`` may differ by ``pct`` percentage points, a whole number (a count, an epoch) by ``int``,
any other by ``abs`` or by ``rel`` times the stored number, whichever is larger (a key left
out allows nothing). Every other cell is compared exactly, as nbval does.
"""
from __future__ import annotations

import re

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?(%?)", re.IGNORECASE)


def close(stored: str, fresh: str, tolerance: dict) -> bool:
    """Whether fresh says what stored says, up to the numbers, each within tolerance."""
    if NUMBER.sub("#", stored) != NUMBER.sub("#", fresh):
        return False
    for old, new in zip(NUMBER.finditer(stored), NUMBER.finditer(fresh)):
        a, b = float(old.group().rstrip("%")), float(new.group().rstrip("%"))
        if old.group(1) and "pct" in tolerance:
            allowed = tolerance["pct"]
        elif "int" in tolerance and re.fullmatch(r"[-+]?\d+", old.group()):
            allowed = tolerance["int"]
        else:
            allowed = max(tolerance.get("abs", 0.0), tolerance.get("rel", 0.0) * abs(a))
        if abs(a - b) > allowed:
            return False
    return True


def _within(stored, fresh, tolerance):
    """fresh, with each text that is close to its stored counterpart replaced by it."""
    if isinstance(stored, str) and isinstance(fresh, str):
        return stored if close(stored, fresh, tolerance) else fresh
    if isinstance(stored, list) and isinstance(fresh, list) and len(stored) == len(fresh):
        if all(isinstance(s, str) for s in stored + fresh):  # a text stored as lines
            return stored if close("".join(stored), "".join(fresh), tolerance) else fresh
        return [_within(s, f, tolerance) for s, f in zip(stored, fresh)]
    if isinstance(stored, dict) and isinstance(fresh, dict):
        return {key: _within(stored[key], value, tolerance) if key in stored else value
                for key, value in fresh.items()}
    return fresh


def install():
    """Make nbval's comparison honour each cell's "tolerance" metadata."""
    from nbformat import NotebookNode
    from nbval.plugin import IPyNbCell

    if getattr(IPyNbCell.compare_outputs, "tolerant", False):
        return
    strict = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        tolerance = self.cell.metadata.get("tolerance") if self.cell is not None else None
        if tolerance and len(test) == len(ref):  # the same outputs, each compared up to its numbers
            test = [NotebookNode(_within(s, f, tolerance))
                    if s.get("output_type") == f.get("output_type") else f
                    for s, f in zip(ref, test)]
        return strict(self, test, ref, skip_compare)

    compare_outputs.tolerant = True
    IPyNbCell.compare_outputs = compare_outputs
