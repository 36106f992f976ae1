"""The one rule for output that training moves: nbval compares it with the numbers taken out.

PyTorch picks its CPU kernels by the CPU it finds, each pick changes the last bits of a sum,
and training amplifies them: after 9 epochs another machine prints another loss. A code cell
whose output comes out of such a run carries the cell tag ``training-output``. nbval then
compares every output of that cell (printed text, figure descriptions, reprs) as text with each
number replaced by ``#``: the words, the shapes of the lines and the count of numbers stay
strictly compared; what the numbers must say is the claim checks' job (the ``# Check:`` cells,
swept over seeds and simulated machines by ``python -m tools.claims``). Every other cell is
compared exactly, as nbval does.

nbval has no public hook for this, so ``install`` wraps ``IPyNbCell.compare_outputs``.
pyproject.toml pins nbval to the releases this was tested with, and
tests/test_verification.py runs nbval on a small notebook and fails if the rule is not active
(a training cell with other numbers must pass, an untagged one must fail).
"""
from __future__ import annotations

import re

TAG = "training-output"
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?", re.IGNORECASE)


def same_but_numbers(stored: str, fresh: str) -> bool:
    """Whether fresh says what stored says, the numbers aside.

    Example:
        >>> same_but_numbers("val loss 0.1346, acc 97.0%", "val loss 0.1511, acc 96.2%")
        True
        >>> same_but_numbers("val loss 0.1346", "train loss 0.1346")
        False
    """
    return NUMBER.sub("#", stored) == NUMBER.sub("#", fresh)


def _masked(stored, fresh):
    """fresh, with each text that matches its stored counterpart up to the numbers replaced by it."""
    if isinstance(stored, str) and isinstance(fresh, str):
        return stored if same_but_numbers(stored, fresh) else fresh
    if isinstance(stored, list) and isinstance(fresh, list):
        if all(isinstance(s, str) for s in stored + fresh):  # a text stored as lines
            return stored if same_but_numbers("".join(stored), "".join(fresh)) else fresh
        if len(stored) == len(fresh):
            return [_masked(s, f) for s, f in zip(stored, fresh)]
    if isinstance(stored, dict) and isinstance(fresh, dict):
        return {key: _masked(stored[key], value) if key in stored else value
                for key, value in fresh.items()}
    return fresh


def install():
    """Make nbval compare the cells tagged ``training-output`` with their numbers taken out."""
    from nbformat import NotebookNode
    from nbval.plugin import IPyNbCell

    if getattr(IPyNbCell.compare_outputs, "training_rule", False):
        return
    strict = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        cell = getattr(self, "cell", None)
        if cell is not None and TAG in cell.metadata.get("tags", []) and len(test) == len(ref):
            test = [NotebookNode(_masked(r, t)) if r.get("output_type") == t.get("output_type") else t
                    for r, t in zip(ref, test)]
        return strict(self, test, ref, skip_compare)

    compare_outputs.training_rule = True
    IPyNbCell.compare_outputs = compare_outputs
