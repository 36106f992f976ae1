"""Checks for the exercises of notebooks/02_loss_functions.ipynb.

Each check compares the learner's answer with PyTorch's own (F.cross_entropy, a
regression loop with a float target, a walk of the autograd graph) on inputs drawn from
a private generator.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from torch import nn

from . import Verdict, checks_function, checks_value, random_tensor, say, tensor_problem
from .lesson01 import _as_int

__all__ = ["check_uniform_loss", "check_regression_fixed", "check_cross_entropy",
           "check_count_nodes"]


def _ratio_hint(mine: float, true: float, n: int) -> str | None:
    """A hint when mine is a recognisable mistake away from true (sum, sign), else None."""
    if math.isclose(mine, -true, rel_tol=1e-4):
        return "the sign is flipped: a loss is never negative."
    if n > 1 and math.isclose(mine, true * n, rel_tol=1e-4):
        return f"you got {n} times the loss: a sum where the loss is a mean."
    return None


def _loss_problem(loss, scores, name: str) -> str | None:
    """What keeps loss from being a usable loss of scores (None when it is fine)."""
    problem = tensor_problem(loss, shape=(), name=name)
    if problem and "shape" in problem:
        return problem + " A loss is one number: a 0-d tensor."
    if problem:
        return problem
    if scores.requires_grad and not loss.requires_grad:
        return (f"{name} is cut off from autograd, so loss.backward() cannot work: "
                "compute it with torch operations only (no .item(), .detach() or numpy).")
    return None


CLASSES = 5  # the prediction exercise: equal scores for this many classes


@checks_value
def check_uniform_loss(predicted_loss) -> Verdict:
    """Check a prediction: the cross-entropy of equal scores for 5 classes.

    The true value comes from F.cross_entropy itself.

    Example (notebook 02, exercise 1), on a prediction not written down yet:
        >>> check = check_uniform_loss(None)
        Not yet: your answer is still None: replace None by your answer, then run this ...
    """
    true = F.cross_entropy(torch.zeros(1, CLASSES), torch.tensor([2])).item()
    if isinstance(predicted_loss, torch.Tensor) and predicted_loss.numel() == 1:
        predicted_loss = predicted_loss.item()
    if isinstance(predicted_loss, bool) or not isinstance(predicted_loss, (int, float)) \
            or not math.isfinite(predicted_loss):
        return say(False, f"a loss is one number, such as 0.5; got "
                          f"{type(predicted_loss).__name__} {predicted_loss!r:.40}.")
    if abs(predicted_loss - true) <= 0.01:
        return say(True, f"{true:.4f} = log({CLASSES}): a blind guess among {CLASSES} classes. "
                         "The more classes, the higher the loss of a blind guess.")
    if math.isclose(predicted_loss, math.log(10), abs_tol=0.01):
        return say(False, "that is the loss of a blind guess among 10 classes, as above; here "
                          f"there are {CLASSES}.", more="equal scores share the probability "
                          "equally among the classes.")
    if math.isclose(predicted_loss, 1 / CLASSES, abs_tol=0.005):
        return say(False, "that is the probability of the right class, not the loss.",
                   more="cross-entropy turns the right class's probability p into -log p.")
    if predicted_loss < 0:
        return say(False, "cross-entropy is never negative.",
                   more="-log p is positive for any probability p below 1.")
    return say(False, f"{predicted_loss:g} is not what F.cross_entropy gives for equal scores.",
               more="equal scores give every class the same probability; the loss is -log of "
                    "the right class's probability.")


def _regression_case(seed: int = 40):
    """A small linear model that learns 10 numbers from one input, and that input."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Linear(4, 10)
    return model, random_tensor(1, 4, seed=seed + 1)


def _regression_reference(model, x, steps: int) -> list[float]:
    target = torch.arange(1, 11, dtype=torch.float32).view(1, -1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.HuberLoss()(model(x), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@checks_function
def check_regression_fixed(train_regression) -> Verdict:
    """Check a fixed ``train_regression(model, x, steps)``: the losses of the float-target loop.

    The buggy version's integer target makes HuberLoss's backward fail; the fixed one
    gives the same losses as the reference loop with a float target.

    Example (notebook 02, exercise 2), on an answer that returns nothing yet:
        >>> check = check_regression_fixed(lambda *args, **kwargs: None)
        Not yet: expected a list of 5 losses, got NoneType. ...
    """
    model, x = _regression_case()
    reference, _ = _regression_case()
    expected = _regression_reference(reference, x, 5)
    try:
        losses = train_regression(model, x.clone(), 5)
    except RuntimeError as err:
        if "Long" in str(err) or "dtype" in str(err):
            return say(False, f"backward() still fails ({err}): the target's dtype does not "
                              "match the output's.", more="the output is float32; what dtype "
                              "does torch.arange(1, 11) give, and how do you ask for another?")
        raise
    if not isinstance(losses, (list, tuple)) or len(losses) != 5:
        return say(False, f"expected a list of 5 losses, got {type(losses).__name__}"
                          + (f" of {len(losses)}" if isinstance(losses, (list, tuple)) else "")
                          + ".", more="keep the loop as it was: only the bug changes.")
    values = [v.item() if isinstance(v, torch.Tensor) and v.numel() == 1 else v for v in losses]
    if not all(isinstance(v, float) for v in values):
        return say(False, "the losses should be numbers.",
                   more="record each loss as the buggy loop does: a Python number.")
    if all(abs(a - b) <= 1e-5 for a, b in zip(values, expected)):
        return say(True, "with a float target HuberLoss goes backward too: regression targets "
                         "are float, with the output's shape.")
    return say(False, f"the loop runs, but its losses {[round(v, 4) for v in values]} differ "
                      "from those of the loop with the bug fixed.", more="change only the "
                      "target: same loss (HuberLoss), same values 1 to 10, same optimizer.")


@checks_function
def check_cross_entropy(cross_entropy) -> Verdict:
    """Check ``cross_entropy(scores, labels)`` against F.cross_entropy, huge scores included.

    Example (notebook 02, exercise 3), on an answer that returns nothing yet:
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
                return say(False, f"your loss for {text} is NaN or infinite: exp(1000) "
                                  "overflows float32.", more="the lesson names a function that "
                                  "computes the log of the softmax in one stable step.")
            return say(False, problem)
        true = F.cross_entropy(scores, labels)
        if math.isclose(loss.item(), true.item(), rel_tol=1e-4, abs_tol=1e-5):
            continue
        diagnosis = _ratio_hint(loss.item(), true.item(), len(labels))
        return say(False, f"for {text} you got {loss.item():.4f}, F.cross_entropy gives "
                          f"{true.item():.4f}" + (f": {diagnosis}" if diagnosis else "."),
                   more="take each sample's log-probability at its own label (one number per "
                        "row, picked by fancy indexing), then average them and flip the sign.")
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

    Example (notebook 02, exercise 4), on an answer that returns nothing yet:
        >>> check = check_count_nodes(lambda *args, **kwargs: None)
        Not yet: your function returned None. For a hint, run the check again with hint=2.
    """
    counts = []
    for text, tensor in _graphs():
        try:
            answer = count_nodes(tensor)
        except AttributeError as err:
            if "NoneType" not in str(err):
                raise
            return say(False, f"for {text}: {err}.", more="next_functions holds (None, 0) for "
                              "inputs that need no gradient (like the 2 or the target): skip None.")
        expected = _count_nodes(tensor)
        if _as_int(answer) == expected:
            counts.append(f"{expected} behind {text}")
            continue
        if answer is None:
            return say(False, "your function returned None.",
                       more="does it end with `return` and the count?")
        if isinstance(answer, int) and answer > expected:
            return say(False, f"for {text} you counted {answer}: more than the {expected} "
                              "distinct nodes, so some node counts twice.", more="a node reached "
                              "by two paths counts once: remember the nodes already seen.")
        return say(False, f"for {text} you counted {answer!r:.40}, but there are {expected} nodes.",
                   more="follow every entry of next_functions, not only the first, down to the "
                        "AccumulateGrad leaves (they count).")
    return say(True, "nodes: " + ", ".join(counts) + ".")
