"""Checks for the exercises of notebooks/03_backpropagation.ipynb.

Each check calls the learner's function on small inputs made from a private random
generator (the notebook's random stream is left untouched) and compares the result
with autograd.
"""
from __future__ import annotations


import torch
import torch.nn.functional as F
from torch import nn

from . import (Verdict, checks_function, checks_value, compare_grads, random_tensor, say,
               tensor_problem)

__all__ = ["check_finite_difference", "check_neuron_grads", "check_accumulate_gradients",
           "check_grad_after_three_backward"]


def _autograd(f, x: torch.Tensor) -> torch.Tensor:
    x = x.detach().clone().requires_grad_(True)
    f(x).backward()
    return x.grad


@checks_function
def check_finite_difference(finite_difference) -> Verdict:
    """Check ``finite_difference(f, x, h)``: central differences of a scalar f at x.

    Example (notebook 03, exercise 1), on an answer that returns nothing yet:
        >>> check = check_finite_difference(lambda *args, **kwargs: None)
        Not yet: your gradient of (x ** 2).sum() is None. Hint: does your ...
    """
    cases = [(lambda x: (x ** 2).sum(), "(x ** 2).sum()"),
             (lambda x: torch.sin(x).prod() + x[0] * x[-1], "sin(x).prod() + x[0] * x[-1]")]
    for seed, (f, text) in enumerate(cases):
        x = random_tensor(4, seed=seed, dtype=torch.float64)
        before = x.clone()
        mine = finite_difference(f, x, 1e-6)
        if not torch.equal(x, before):
            gap = float((x - before).abs().max())
            rounding = (f" by {gap:.1e}: adding h and taking it away again does not give back "
                        "every number exactly (rounding)" if gap < 1e-9 else "")
            return say(False, f"your function changed x and left it changed{rounding}.",
                       more="nudge a copy of x (x.clone()), never x itself.")
        problem = tensor_problem(mine, shape=x.shape, name=f"your gradient of {text}")
        if problem:
            return say(False, problem, more="one central difference per entry of x, in a "
                                            "tensor shaped like x.")
        true = _autograd(f, x)
        if torch.allclose(mine.double(), true, atol=1e-5):
            continue
        ratio = (mine.double() / true).median().item()
        if abs(ratio - 2) < 0.01:
            return say(False, f"for {text} you got twice autograd's gradient.",
                       more="the two nudged points are 2 * h apart.")
        if abs(ratio + 1) < 0.01:
            return say(False, f"for {text} the sign is flipped.",
                       more="subtract the value at x - h from the value at x + h.")
        shown = ", ".join(f"{v:.4g}" for v in mine.tolist())
        return say(False, f"for {text} you got [{shown}], which is not autograd's gradient.",
                   more="nudge one entry at a time, both ways, and leave the others alone.")
    return say(True, "your finite differences match autograd on two functions.")


def _neuron_loss(x, w, b, t):
    return (torch.sigmoid(w @ x + b) - t) ** 2


@checks_function
def check_neuron_grads(neuron_grads) -> Verdict:
    """Check ``neuron_grads(x, w, b, t) -> (dL_dw, dL_db)`` against autograd.

    The loss is ``L = (sigmoid(w @ x + b) - t) ** 2``; the gradients are compared with
    compare_grads, one line each.

    Example (notebook 03, exercise 2), on an answer that returns nothing yet:
        >>> check = check_neuron_grads(lambda *args, **kwargs: None)
        Not yet: expected a pair (dL_dw, dL_db), got NoneType. For a hint, ...
    """
    x, w = random_tensor(3, seed=10, dtype=torch.float64), random_tensor(3, seed=11, dtype=torch.float64)
    b, t = torch.tensor(0.3, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)
    answer = neuron_grads(x.clone(), w.clone(), b.clone(), t.clone())
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return say(False, f"expected a pair (dL_dw, dL_db), got {type(answer).__name__}.",
                   more="return both gradients, separated by a comma.")
    dw, db = answer
    w_ref, b_ref = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    _neuron_loss(x, w_ref, b_ref, t).backward()
    for name, mine, ref, shape in (("dL/dw", dw, w_ref.grad, (3,)), ("dL/db", db, b_ref.grad, ())):
        problem = tensor_problem(mine, shape=shape, name=name)
        if problem:
            return say(False, problem)
    comparisons = [compare_grads("dL/dw", dw.double(), w_ref.grad, atol=1e-6),
                   compare_grads("dL/db", db.double(), b_ref.grad, atol=1e-6)]
    verdicts = ", ".join(str(c) for c in comparisons)
    if all(c.verdict != "wrong" for c in comparisons):
        return say(True, f"{verdicts}: your chain rule gives autograd's gradients.")
    ratio = (db.double() / b_ref.grad).item()
    if abs(ratio - 0.5) < 0.01:
        return say(False, f"{verdicts}: half the right gradient.",
                   more="differentiate the square: d/da (a - t)**2 has a factor 2.")
    if abs(ratio + 1) < 0.01:
        return say(False, f"{verdicts}: the sign is flipped.", more="d/da (a - t)**2 is "
                          "positive when a is above the target t.")
    return say(False, f"{verdicts}.", more="multiply the local derivatives along the path: "
                                           "dL/da, then da/dz (the sigmoid's derivative, written "
                                           "with a), then dz/dw or dz/db.")


def _accumulation_case(seed: int, n: int):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    x = torch.randn(n, 4, 4, generator=torch.Generator().manual_seed(seed))
    y = torch.arange(n) % 3
    return model, x, y


def _full_batch_grads(model, x, y) -> list[torch.Tensor]:
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()
    return [p.grad.clone() for p in model.parameters()]


@checks_function
def check_accumulate_gradients(accumulate_gradients) -> Verdict:
    """Check ``accumulate_gradients(model, x, y, chunks)`` against one full-batch backward.

    Stale gradients are left in the model first, so a missing zero_grad shows.

    Example (notebook 03, exercise 3), on an answer that returns nothing yet:
        >>> check = check_accumulate_gradients(lambda *args, **kwargs: None)
        Not yet: your gradients differ from one backward over the whole ...
    """
    for seed, (n, chunks) in enumerate([(12, 3), (10, 3)]):
        model, x, y = _accumulation_case(seed, n)
        full = _full_batch_grads(model, x, y)
        for p in model.parameters():
            p.grad = torch.ones_like(p)  # stale gradients from an earlier step
        accumulate_gradients(model, x, y, chunks)
        grads = [p.grad for p in model.parameters()]
        if any(g is None for g in grads):
            return say(False, "the model has no gradients after your function.",
                       more="which call fills .grad, and what should it be called on?")
        if all(torch.allclose(g, f, atol=1e-6) for g, f in zip(grads, full)):
            continue
        if all(torch.allclose(g - 1, f, atol=1e-6) for g, f in zip(grads, full)):
            return say(False, "the gradients from before your function are still in there.",
                       more="the model arrives with old gradients: when may they go, and "
                            "when must the new ones stay?")
        if all(torch.allclose(g - 1, chunks * f, atol=1e-6) for g, f in zip(grads, full)):
            return say(False, f"two things: the gradients from before your function are still "
                              f"in there, and the rest is {chunks} times the full-batch "
                              "gradient (each chunk's loss is a mean over its chunk).",
                       more="take them one at a time: first the old gradients, then the size "
                            "of each chunk's loss.")
        if all(torch.allclose(g, chunks * f, atol=1e-6) for g, f in zip(grads, full)):
            return say(False, f"{chunks} times the full-batch gradient: each chunk's loss is a "
                              "mean over its chunk.", more="a mean over a chunk and a mean "
                              "over the batch: how many chunks' worth is one batch?")
        if n % chunks == 0:
            return say(False, "your gradients differ from one backward over the whole batch.",
                       more="after your loop, does .grad hold every chunk's contribution, or "
                            "only the last one's?")
        return say(False, f"right for equal chunks, wrong for {n} items in {chunks} chunks of "
                          "unequal size.", more="should a chunk of 2 items count as much "
                          "as a chunk of 4?")
    return say(True, "your accumulated gradients equal the full-batch gradients.")


def grad_after_three_backward() -> float:
    """What notebook 03's exercise 4 code leaves in w.grad, computed by running it."""
    w = torch.tensor(2.0, requires_grad=True)
    (w * w).backward()
    (w * w).backward()
    (3 * w).backward()
    return float(w.grad)


@checks_value
def check_grad_after_three_backward(predicted_grad) -> Verdict:
    """Check a prediction: ``w.grad`` after the three backward() calls of exercise 4.

    The true value comes from running the same code.

    Example (notebook 03, exercise 4), on a prediction not written down yet:
        >>> check = check_grad_after_three_backward(None)
        Not yet: your answer is still None: replace None by your answer, then run this ...
    """
    if isinstance(predicted_grad, torch.Tensor) and predicted_grad.numel() == 1:
        predicted_grad = predicted_grad.item()
    if isinstance(predicted_grad, bool) or not isinstance(predicted_grad, (int, float)):
        return say(False, f"expected one number, got {type(predicted_grad).__name__}.")
    true, nudge = grad_after_three_backward(), "does backward() replace .grad, or add to it?"
    if abs(predicted_grad - true) < 1e-6:
        return say(True, f"{true:g}: each backward() adds its gradient to what .grad holds "
                         "(4, 4, then 3); only zero_grad() or .grad = None starts again.")
    if abs(predicted_grad - 3) < 1e-6:
        return say(False, "3 is the last call's gradient alone.", more=nudge)
    if abs(predicted_grad - 4) < 1e-6:
        return say(False, "4 is what one call of (w * w).backward() gives alone.", more=nudge)
    if abs(predicted_grad - 8) < 1e-6:
        return say(False, "8 counts the first two calls; the third runs too.",
                   more="the third call's gradient lands in the same .grad.")
    return say(False, f"{predicted_grad:g} is not what the three calls leave in w.grad.",
               more="work out each call's gradient on its own at w = 2, then ask what "
                    "backward() does with a .grad that already holds a number.")
