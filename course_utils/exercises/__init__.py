"""Exercise checks: one short line of feedback on a learner's answer.

Each notebook's exercises are checked by the ``check_*`` functions of one module
(``lesson01`` ... ``lesson05``), all re-exported here::

    from course_utils.exercises import check_count_parameters
    check_count_parameters(count_parameters)

A check never raises on a wrong answer, type, shape, NaN or None: it prints what is
off and a hint, and returns False (True when correct). The one exception it lets
through is NotImplementedError, so an unsolved exercise in the student version
fails loudly until it is done. No check evaluates a string a learner typed.
"""
from __future__ import annotations

import functools
import math

import torch

__all__ = ["checker", "say", "tensor_problem", "compare_grads"]


def say(ok: bool, message: str) -> bool:
    """Print one line of feedback and return ok."""
    print(("Correct! " if ok else "Not yet: ") + message)
    return ok


def checker(check):
    """Decorate a check_* function so that no mistake of the learner can crash it."""

    @functools.wraps(check)
    def safe_check(*args, **kwargs):
        try:
            return bool(check(*args, **kwargs))
        except NotImplementedError:
            raise  # the student version's stub: fail loudly until the exercise is done
        except Exception as err:  # the learner's code raised, or the answer is malformed
            return say(False, f"checking your answer raised {type(err).__name__}: {err}. "
                              "Hint: run your code on a small example and look at the result.")

    return safe_check


def tensor_problem(value, shape=None, name: str = "your answer") -> str | None:
    """What keeps value from being a usable tensor of this shape (None when it is fine)."""
    if value is None:
        return f"{name} is None. Hint: does your function `return` its result?"
    if value is Ellipsis:
        return f"{name} is still `...`. Replace it with your code."
    if not isinstance(value, torch.Tensor):
        return (f"{name} is a {type(value).__name__}, expected a torch.Tensor. "
                "Hint: torch.tensor(...) or keep the computation in torch.")
    if shape is not None and tuple(value.shape) != tuple(shape):
        return f"{name} has shape {tuple(value.shape)}, expected {tuple(shape)}."
    if value.is_floating_point() and not torch.isfinite(value).all():
        return f"{name} contains NaN or infinite values. Hint: check for a division by zero."
    return None


def compare_grads(name: str, mine, reference, atol: float = 1e-6) -> str:
    """Compare a hand-computed gradient with autograd's, karpathy-style.

    Prints ``name: exact``, ``name: close (max difference 3.1e-08)`` or
    ``name: wrong (max difference 0.52)`` and returns "exact", "close" or "wrong".

    Example (notebook 03):
        >>> compare_grads("dL/dw", my_grad, w.grad)
        dL/dw: exact
    """
    problem = tensor_problem(mine, name=f"{name} (yours)")
    if problem is None and not isinstance(reference, torch.Tensor):
        problem = f"the reference for {name} is a {type(reference).__name__}, not a tensor"
    if problem is None and tuple(mine.shape) != tuple(reference.shape):
        problem = (f"{name} has shape {tuple(mine.shape)} but the reference has "
                   f"{tuple(reference.shape)}")
    if problem is not None:
        print(f"{name}: wrong ({problem})")
        return "wrong"
    mine, reference = mine.detach().double(), reference.detach().double()
    if torch.equal(mine, reference):
        print(f"{name}: exact")
        return "exact"
    diff = (mine - reference).abs().max().item()
    verdict = "close" if math.isfinite(diff) and diff <= atol else "wrong"
    print(f"{name}: {verdict} (max difference {diff:.2g})")
    return verdict


from . import lesson01, lesson02, lesson03, lesson04, lesson05  # noqa: E402
from .lesson01 import *  # noqa: E402,F401,F403
from .lesson02 import *  # noqa: E402,F401,F403
from .lesson03 import *  # noqa: E402,F401,F403
from .lesson04 import *  # noqa: E402,F401,F403
from .lesson05 import *  # noqa: E402,F401,F403

for _lesson in (lesson01, lesson02, lesson03, lesson04, lesson05):
    __all__ += _lesson.__all__
