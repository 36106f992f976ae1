"""Checks for the exercises of notebooks/02_loss_functions.ipynb.

Each check compares the learner's function with PyTorch's own (F.mse_loss,
F.cross_entropy, a walk of the autograd graph) on inputs drawn from a private generator.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import Verdict, checks_function, random_tensor, say, tensor_problem
from .lesson01 import _as_int

__all__ = ["check_mse", "check_cross_entropy", "check_count_nodes"]


def _ratio_hint(mine: float, true: float, n: int) -> str | None:
    """A hint when mine is a recognisable mistake away from true (sum, sign), else None."""
    if math.isclose(mine, -true, rel_tol=1e-4):
        return "the sign is flipped. Hint: a loss is never negative."
    if n > 1 and math.isclose(mine, true * n, rel_tol=1e-4):
        return f"you got {n} times the loss: a sum. Hint: average with .mean()."
    return None


def _loss_problem(loss, scores, name: str) -> str | None:
    """What keeps loss from being a usable loss of scores (None when it is fine)."""
    problem = tensor_problem(loss, shape=(), name=name)
    if problem and "shape" in problem:
        return problem + " Hint: a loss is one number, a 0-d tensor such as x.mean()."
    if problem:
        return problem
    if scores.requires_grad and not loss.requires_grad:
        return (f"{name} is cut off from autograd, so loss.backward() cannot work. Hint: "
                "compute it with torch operations only (no .item(), .detach() or numpy).")
    return None


@checks_function
def check_mse(mse) -> Verdict:
    """Check ``mse(output, target)``: the mean of the squared differences, like nn.MSELoss.

    Example (notebook 02, exercise 1), on an answer that returns nothing yet:
        >>> check = check_mse(lambda *args, **kwargs: None)
        Not yet: mse(output of shape (1, 10), target) is None. Hint: does ...
    """
    for seed, shape in enumerate([(1, 10), (4, 3)]):
        output = random_tensor(*shape, seed=seed).requires_grad_(True)
        target = random_tensor(*shape, seed=seed + 10)
        loss = mse(output, target.clone())
        problem = _loss_problem(loss, output, f"mse(output of shape {shape}, target)")
        if problem:
            return say(False, problem)
        true = F.mse_loss(output, target)
        if math.isclose(loss.item(), true.item(), rel_tol=1e-5):
            continue
        hint = _ratio_hint(loss.item(), true.item(), output.numel())
        if math.isclose(loss.item() ** 2, true.item(), rel_tol=1e-4):
            hint = "that is the root of the mean squared error. Hint: no square root."
        l1 = (output - target).abs().mean().item()
        if math.isclose(loss.item(), l1, rel_tol=1e-5):
            hint = "you averaged the absolute differences (L1). Hint: square them: ** 2."
        return say(False, f"for shape {shape} you got {loss.item():.4f}, nn.MSELoss gives "
                          f"{true.item():.4f}: " + (hint or "Hint: ((output - target) ** 2).mean()."))
    return say(True, "your loss equals nn.MSELoss on two shapes, and autograd can go through it.")


@checks_function
def check_cross_entropy(cross_entropy) -> Verdict:
    """Check ``cross_entropy(scores, labels)`` against F.cross_entropy, huge scores included.

    Example (notebook 02, exercise 2), on an answer that returns nothing yet:
        >>> check = check_cross_entropy(lambda *args, **kwargs: None)
        Not yet: your loss for random scores is None. Hint: does your ...
    """
    huge = torch.zeros(2, 10)
    huge[0, 3], huge[1, 5] = 1000.0, 200.0
    cases = [("random scores", random_tensor(4, 10, seed=20) * 3, torch.tensor([3, 0, 9, 3])),
             ("scores of 1000", huge, torch.tensor([1, 5]))]
    for text, scores, labels in cases:
        scores = scores.requires_grad_(True)
        loss = cross_entropy(scores, labels.clone())
        problem = _loss_problem(loss, scores, f"your loss for {text}")
        if problem:
            if "NaN or infinite" in problem:
                problem = (f"your loss for {text} is NaN or infinite: exp(1000) overflows "
                           "float32. Hint: F.log_softmax(scores, dim=1) computes the log of the "
                           "softmax without overflowing.")
            return say(False, problem)
        true = F.cross_entropy(scores, labels)
        if math.isclose(loss.item(), true.item(), rel_tol=1e-4, abs_tol=1e-5):
            continue
        hint = _ratio_hint(loss.item(), true.item(), len(labels))
        return say(False, f"for {text} you got {loss.item():.4f}, F.cross_entropy gives "
                          f"{true.item():.4f}. " + (hint or "Hint: pick the log-probability "
                          "of each sample's label: log_probs[range(N), labels], then -mean."))
    return say(True, "your loss equals F.cross_entropy, even for scores of 1000.")


def _count_nodes(tensor) -> int:
    """The number of distinct nodes of the backward graph behind tensor (the reference)."""
    seen, todo = set(), [tensor.grad_fn]
    while todo:
        node = todo.pop()
        if node is not None and node not in seen:
            seen.add(node)
            todo.extend(next_node for next_node, _ in node.next_functions)
    return len(seen)


def _graphs():
    """(description, tensor) pairs with a shared leaf, two leaves, and LeNet's loss."""
    from ..models import LeNet

    x = random_tensor(3, seed=30).requires_grad_(True)
    w, b = random_tensor(3, seed=31).requires_grad_(True), random_tensor(3, seed=32).requires_grad_(True)
    with torch.random.fork_rng(devices=[]):
        net = LeNet()
    out = net(random_tensor(1, 1, 32, 32, seed=33))
    return [("(x * x).sum()", (x * x).sum()), ("(w * 2 + b).sum()", (w * 2 + b).sum()),
            ("LeNet's MSE loss", F.mse_loss(out, random_tensor(1, 10, seed=34)))]


@checks_function
def check_count_nodes(count_nodes) -> Verdict:
    """Check ``count_nodes(tensor) -> int``: distinct nodes behind tensor.grad_fn, leaves included.

    Example (notebook 02, exercise 3), on an answer that returns nothing yet:
        >>> check = check_count_nodes(lambda *args, **kwargs: None)
        Not yet: your function returned None. Hint: does it `return` the count?
    """
    counts = []
    for text, tensor in _graphs():
        try:
            answer = count_nodes(tensor)
        except AttributeError as err:
            if "NoneType" not in str(err):
                raise
            return say(False, f"for {text}: {err}. Hint: next_functions holds (None, 0) for "
                              "inputs that need no gradient (like the 2 or the target): skip None.")
        expected = _count_nodes(tensor)
        if _as_int(answer) == expected:
            counts.append(f"{expected} behind {text}")
            continue
        if answer is None:
            return say(False, "your function returned None. Hint: does it `return` the count?")
        if isinstance(answer, int) and answer > expected:
            return say(False, f"for {text} you counted {answer}, but there are {expected} "
                              "distinct nodes. Hint: a node reached twice counts once: keep a "
                              "set of the nodes already seen.")
        return say(False, f"for {text} you counted {answer!r:.40}, but there are {expected} nodes. "
                          "Hint: follow every entry of next_functions, not only the first, "
                          "down to the AccumulateGrad leaves (they count).")
    return say(True, "nodes: " + ", ".join(counts) + ".")
