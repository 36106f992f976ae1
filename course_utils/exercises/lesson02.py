"""Checks for the exercises of notebooks/02_loss_functions.ipynb.

Each check compares the learner's answer with PyTorch's own (F.cross_entropy, the line
that the points lie on, a walk of the autograd graph) on inputs drawn from a private
generator; a model the learner's code builds draws its weights inside torch.random.fork_rng.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import (Verdict, checks_function, checks_value, random_tensor, say, spying,
               tensor_problem)
from .lesson01 import _as_int

__all__ = ["check_uniform_loss", "check_fit_line_fixed", "check_soft_cross_entropy",
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
    if math.isclose(predicted_loss, math.log10(CLASSES), abs_tol=0.005):
        return say(False, f"that is log10({CLASSES}); PyTorch's log is the natural one (base e).",
                   more="math.log, not math.log10.")
    if predicted_loss < 0:
        return say(False, "cross-entropy is never negative.",
                   more="-log p is positive for any probability p below 1.")
    return say(False, f"{predicted_loss:g} is not what F.cross_entropy gives for equal scores.",
               more="equal scores give every class the same probability; the loss is -log of "
                    "the right class's probability.")


LINE = (-2.0, 0.5)  # the find-the-bug exercise: the line the check's points lie on, w and b


def _as_float(value) -> float | None:
    """value as a Python float when it is one number (float, int, 0-d tensor), else None."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


@checks_function
def check_fit_line_fixed(fit_line) -> Verdict:
    """Check a fixed ``fit_line(x, y, steps=200) -> (w, b)`` on 30 points of y = -2x + 0.5.

    The points are new (not the notebook's); x is (30, 1) and y (30,), as in the buggy cell.
    The buggy version learns a flat line (w near 0); the fixed one finds w and b.

    Example (notebook 02, exercise 2), on an answer that returns nothing yet:
        >>> check = check_fit_line_fixed(lambda *args, **kwargs: None)
        Not yet: expected (w, b), two numbers, got NoneType. For a hint, run the check again ...
    """
    true_w, true_b = LINE
    x = torch.linspace(-1, 1, 30).view(-1, 1)
    y = true_w * x.view(-1) + true_b
    with torch.random.fork_rng(devices=[]):  # nn.Linear draws its first weights
        torch.manual_seed(50)
        answer = fit_line(x.clone(), y.clone())
    pair = [_as_float(v) for v in answer] if isinstance(answer, (tuple, list)) \
        and len(answer) == 2 else None
    if pair is None or None in pair:
        return say(False, f"expected (w, b), two numbers, got {type(answer).__name__}"
                          + (f" {answer!r:.40}" if isinstance(answer, (tuple, list)) else "")
                          + ".", more="keep the function's last line as it was: only the bug "
                          "changes.")
    w, b = pair
    shown_w, shown_b = round(w, 2) + 0, round(b, 2) + 0  # + 0: -0.00 shows as 0.00
    learned = f"on points of y = {true_w:g}x + {true_b:g} your function finds w = {shown_w:.2f}, " \
              f"b = {shown_b:.2f}"
    if abs(w - true_w) <= 0.05 and abs(b - true_b) <= 0.05:
        return say(True, f"{learned}. The model's output is (N, 1) and y (N,): their difference "
                         "broadcast to N x N, every output against every target, with no "
                         "warning from a hand-written loss.")
    if abs(w) <= 0.1 and abs(b - true_b) <= 0.05:  # the mean of the targets: one level
        return say(False, f"{learned}: it learns a flat line, still the bug.",
                   more="print the shape of the difference inside the loss.")
    return say(False, f"{learned}, not the line of the points.", more="change only the loss "
               "line: same model, optimizer, learning rate and steps.")


def _soft_cases():
    """(description, scores, target probabilities) for the soft cross-entropy exercise."""
    scores = random_tensor(4, 10, seed=20) * 3
    teacher = F.softmax(random_tensor(4, 10, seed=21) * 2, dim=1)
    labels = torch.tensor([3, 0, 9, 3])
    one_hot = F.one_hot(labels, 10).float()
    huge = torch.zeros(2, 10)
    huge[0, 3], huge[1, 5] = 1000.0, 200.0
    smoothed = 0.9 * F.one_hot(torch.tensor([1, 5]), 10).float() + 0.01
    return [("a teacher's probabilities", scores, teacher),
            ("one-hot probabilities", scores, one_hot),
            ("label smoothing and scores of 1000", huge, smoothed)]


@checks_function
def check_soft_cross_entropy(soft_cross_entropy) -> Verdict:
    """Check ``soft_cross_entropy(scores, target_probs)`` against F.cross_entropy.

    F.cross_entropy takes target probabilities too (N x C rows that sum to 1); for one-hot
    rows the loss must equal the class-index loss, and scores of 1000 must not overflow.

    Example (notebook 02, exercise 3), on an answer that returns nothing yet:
        >>> check = check_soft_cross_entropy(lambda *args, **kwargs: None)
        Not yet: your loss for a teacher's probabilities is None. Hint: does your ...
    """
    for text, scores, probs in _soft_cases():
        scores = scores.requires_grad_(True)
        with spying(F, "cross_entropy") as used:   # the number to match, not the way
            loss = soft_cross_entropy(scores, probs.clone())
        if used:
            return say(False, "your loss calls F.cross_entropy (or nn.CrossEntropyLoss), the "
                              "function it should match: write the formula above yourself.",
                       more="which function of the lesson gives the log of the softmax?")
        problem = _loss_problem(loss, scores, f"your loss for {text}")
        if problem:
            if "NaN or infinite" in problem:
                return say(False, f"your loss for {text} is NaN or infinite: the softmax of a "
                                  "score of 1000 is 0 elsewhere, and log(0) is -inf.",
                           more="the lesson names a function that computes the log of the "
                                "softmax in one stable step.")
            return say(False, problem, more="one number per row of scores, then one for "
                                            "the batch." if "0-d" in problem else None)
        true = F.cross_entropy(scores, probs)
        mine = loss.item()
        if math.isclose(mine, true.item(), rel_tol=1e-4, abs_tol=1e-5):
            continue
        got = f"for {text} you got {mine:.4f}, F.cross_entropy gives {true.item():.4f}"
        n, classes = scores.shape
        if math.isclose(mine, true.item() * n / classes, rel_tol=1e-4):
            return say(False, f"{got}: you added up over the batch (dim 0) and averaged over the "
                              "classes.", more="which dimension of scores holds the classes?")
        if math.isclose(mine, true.item() / classes, rel_tol=1e-4):
            return say(False, f"{got}: {classes} times too small, an average over the classes.",
                       more="within a row the classes add up, each weighed by its probability; "
                            "only the rows are averaged.")
        if math.isclose(mine, -(probs * F.log_softmax(scores, dim=0)).sum(1).mean().item(),
                        rel_tol=1e-4):
            return say(False, f"{got}: your softmax runs over the batch (dim 0), not over the "
                              "classes.", more="which dimension of scores holds the classes?")
        if math.isclose(mine, F.cross_entropy(scores, probs.argmax(1)).item(), rel_tol=1e-4):
            return say(False, f"{got}: the loss of the most likely class alone.", more="every "
                              "class whose target probability is not 0 counts, each by its "
                              "probability.")
        diagnosis = _ratio_hint(mine, true.item(), n)
        return say(False, f"{got}" + (f": {diagnosis}" if diagnosis else "."),
                   more="one loss for the whole batch, whatever its size." if diagnosis and
                   "times" in diagnosis else "for one-hot rows your loss must be the lesson's: the target "
                   "probabilities weigh the log-probabilities of the classes.")
    return say(True, "your loss equals F.cross_entropy with probability targets: the class-index "
                     "loss for one-hot rows, and no overflow at scores of 1000.")


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
