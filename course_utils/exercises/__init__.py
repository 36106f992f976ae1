"""Exercise checks: ``check_x(answer)`` prints one line on what is off, ``hint=2`` a hint too,
never the solution. A check judges the value, not its type (``numbers``); it never evaluates a
string, and never raises on a wrong answer but for the student stub's NotImplementedError."""
import contextlib
import contextvars
import dataclasses
import functools
import inspect
import os

import numpy as np
import torch

__all__ = ["checker", "checks_function", "checks_value", "say", "NotYet", "numbers", "number",
           "answer_number", "answer_tensor", "first_mistake", "compare_grads", "Verdict"]

MAX_FEEDBACK = 400  # characters: feedback is one short line, never a tensor dump
_LEVEL = contextvars.ContextVar("course_hint_level", default=1)


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What a check returns: true when the answer is correct; a notebook cell shows nothing."""

    correct: bool

    def __bool__(self) -> bool:
        return self.correct

    def _ipython_display_(self) -> None:
        pass


def say(ok: bool, message: str, more: str | None = None) -> Verdict:
    """Print one line, "Correct! ..." or "Not yet: ..."; ``more`` is the hint shown at hint=2."""
    line = " ".join(str(message).split())
    if not ok and more:
        line += (" Hint: " + " ".join(str(more).split()) if _LEVEL.get() >= 2
                 else " For a hint, run the check again with hint=2.")
    line = line if len(line) <= MAX_FEEDBACK else line[:MAX_FEEDBACK - 3] + "..."
    print(("Correct! " if ok else "Not yet: ") + line)
    return Verdict(bool(ok))


class NotYet(Exception):
    """Raised inside a check when the answer is off: @checker prints say(False, message, more)."""

    def __init__(self, message: str, more: str | None = None) -> None:
        super().__init__(message)
        self.more = more


def checker(check):
    """Decorate a check_*: it takes ``hint=1`` or ``hint=2``, returns a Verdict, and prints NotYet
    or an error the answer raised as one line of feedback."""

    @functools.wraps(check)
    def safe_check(*args, hint=1, **kwargs) -> Verdict:
        if hint not in (1, 2) or not isinstance(hint, int) or isinstance(hint, bool):
            return say(False, f"hint={hint!r}: ask with hint=1 (what is off) or hint=2 "
                              f"(a hint too), e.g. {check.__name__}(..., hint=2).")
        token = _LEVEL.set(hint)
        try:
            return Verdict(bool(check(*args, **kwargs)))
        except NotImplementedError:
            raise  # the student version's stub: fail loudly until the exercise is done
        except NotYet as off:
            return say(False, str(off), more=off.more)
        except Exception as err:  # the learner's code raised
            shapes = [f"{name} {tuple(a.shape)}" for name, a in getattr(err, "inputs", ())
                      if isinstance(a, torch.Tensor)]
            given = f" (given {', '.join(shapes)})" if shapes else ""
            shape = shapes and any(w in str(err) for w in ("shape", "size", "dimension"))
            return say(False, f"your code raised {type(err).__name__}: {err}{given}.", more=(
                "print each tensor's .shape: which dimensions must agree?" if shape else
                "a value was None: which one can be None here, and what then?" if "NoneType"
                in str(err) else "autograd refuses to change in place a weight it follows: where "
                "does it record nothing?" if "leaf Variable" in str(err) else
                "run your code on a small example and look at the result."))
        finally:
            _LEVEL.reset(token)

    signature = inspect.signature(check)  # what Shift-Tab shows: the answers, then hint=1
    safe_check.__signature__ = signature.replace(parameters=[
        *signature.parameters.values(),
        inspect.Parameter("hint", inspect.Parameter.KEYWORD_ONLY, default=1, annotation=int)])
    if os.environ.get("COURSE_PROGRESS_URL"):  # on the class hub: classroom/course_progress.py
        with contextlib.suppress(ImportError):  # (a student's own environment may lack it)
            return __import__("course_progress").shared(safe_check)  # shares each verdict
    return safe_check


def checks_value(check):
    """Decorate a check of a value the learner wrote: one still None or ``...`` is explained."""
    @checker
    @functools.wraps(check)
    def check_if_answered(*answers, **kwargs) -> Verdict:
        if any(answer is None or answer is Ellipsis for answer in answers):
            raise NotYet("your answer is still None: replace None by your answer, then run "
                         "this check again.")
        return check(*answers, **kwargs)

    check_if_answered.checks_value = True
    return check_if_answered


def checks_function(check):
    """Decorate a check of the learner's function: a non-function is explained, not run, and an
    error the function raises keeps the inputs it was given, for @checker's line."""
    @checker
    @functools.wraps(check)
    def check_if_function(fn, *args, **kwargs) -> Verdict:
        if not callable(fn):
            raise NotYet(f"expected your function, got {type(fn).__name__} "
                         f"{' '.join(repr(fn).split())[:40]}. Fix: pass the function itself, "
                         f"without calling it: {check.__name__}(my_function).")

        def answer(*inputs, **options):
            try:
                return fn(*inputs, **options)
            except Exception as err:  # checker names the tensors given and their shapes
                err.inputs = list(zip(inspect.signature(fn).parameters, inputs))
                raise

        return check(answer, *args, **kwargs)

    return check_if_function


@contextlib.contextmanager
def spying(owner, name: str):
    """Inside, owner.name still works and each call is recorded in the list yielded."""
    original, used = getattr(owner, name), []

    @functools.wraps(original)
    def spy(*args, **kwargs):
        used.append(True)
        return original(*args, **kwargs)

    setattr(owner, name, spy)
    try:
        yield used
    finally:
        setattr(owner, name, original)


def first_mistake(got, mistakes, same=lambda got, wrong: got == wrong) -> None:
    """Raise NotYet(what, hint) for the first (wrong, what, hint) of mistakes that got matches."""
    for wrong, what, hint in mistakes:
        if got is not None and same(got, wrong):
            raise NotYet(what, hint)


def random_tensor(*shape: int, seed: int, dtype=torch.float32) -> torch.Tensor:
    """Random normal numbers from a private generator: the notebook's random stream is untouched."""
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def numbers(value) -> torch.Tensor | None:
    """value (a number, NumPy scalar or array, tensor, or list, tuple or set of these) as a
    detached CPU tensor; None if it is not numbers (a string, a bool)."""
    if isinstance(value, (set, frozenset, list, tuple)):
        value = [v.detach().cpu() if isinstance(v, torch.Tensor) else v for v in value]
    elif isinstance(value, torch.Tensor):
        value = value.detach().cpu()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, RuntimeError):
        return None
    return torch.tensor(array) if array.dtype.kind in "iuf" else None


def number(value) -> float | None:
    """value as one finite Python float (from anything numbers takes), else None."""
    value = numbers(value)
    ok = value is not None and value.numel() == 1 and bool(torch.isfinite(value).all())
    return float(value.item()) if ok else None


def answer_number(value, name: str = "your answer") -> float:
    """value as one finite float (through number); else raises NotYet."""
    if number(value) is None:
        raise NotYet(f"{name} should be one number, such as 0.5; got {value!r:.40}.")
    return number(value)


def answer_tensor(value, shape=None, name: str = "your answer", more: str | None = None):
    """value as a finite tensor of this shape (through numbers); else raises NotYet."""
    if value is None:
        raise NotYet(f"{name} is None: does your function `return` it?", more)
    tensor = numbers(value)
    if tensor is None:
        raise NotYet(f"{name} is a {type(value).__name__}, expected numbers (a tensor).", more)
    if shape is not None and tuple(tensor.shape) != tuple(shape):
        raise NotYet(f"{name} has shape {tuple(tensor.shape)}, expected {tuple(shape)}.", more)
    if not torch.isfinite(tensor).all():
        raise NotYet(f"{name} contains NaN or infinite values.", more)
    return tensor


def compare_grads(name: str, mine, reference, atol: float = 1e-6) -> str:
    """A hand-computed gradient against autograd's, karpathy-style, in one line: "dL/dw: exact",
    "close (max difference 3.1e-08)" or "wrong" (and why)."""
    if reference is None:
        return f"{name}: wrong (the reference for {name} is None)"
    try:
        mine = answer_tensor(mine, reference.shape, name=f"{name} (yours)").double()
    except NotYet as off:
        return f"{name}: wrong ({str(off).rstrip('.')})"
    diff = (mine - reference.detach().double()).abs().max().item()
    if diff == 0:
        return f"{name}: exact"
    return f"{name}: {'close' if diff <= atol else 'wrong'} (max difference {diff:.2g})"


from .lesson01 import (check_conv_output_size, check_digits_to_batch,  # noqa: E402
                       check_input_gradient, check_layer_parameters, check_small_kernel_shape)
from .lesson02 import (check_count_nodes, check_fit_line_fixed,  # noqa: E402
                       check_hesitant_loss, check_soft_cross_entropy)
from .lesson03 import (check_accumulate_gradients, check_finite_difference,  # noqa: E402
                       check_grad_after_three_backward, check_neuron_grads)
from .lesson04 import (check_momentum_update, check_optimizer_choice,  # noqa: E402
                       check_sgd_prediction, check_train)
from .lesson05 import (check_confusion_counts, check_dropout_values,  # noqa: E402
                       check_epoch_choice, check_fit_fixed)

__all__ += [name for name in list(globals()) if name.startswith("check_")]
