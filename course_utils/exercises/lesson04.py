"""Checks for the exercises of notebooks/04_optimizers.ipynb.

Each check runs the learner's function and torch.optim on two identical small models
(built from a private seed, so the notebook's random stream is left untouched) and
compares the weights or losses that come out.
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from . import Verdict, checks_function, checks_value, say

__all__ = ["check_sgd_prediction", "check_momentum_update", "check_train", "check_optimizer_choice"]


def _twins(seed: int = 0):
    """Two identical small models (one with a frozen, gradient-less bias) and a batch."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    model[2].bias.requires_grad_(False)  # its .grad stays None, as for a frozen layer
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(8, 5, generator=g), torch.arange(8) % 3
    return model, copy.deepcopy(model), x, y


def _backward(model, x, y) -> None:
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()


def _max_gap(a: nn.Module, b: nn.Module) -> float:
    return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters()))


def _apply_update(update, model, *args) -> str | None:
    """Run the learner's update on model's parameters; what went wrong, or None."""
    try:
        update(list(model.parameters()), *args)
    except RuntimeError as err:
        if "leaf Variable" in str(err) or "requires grad" in str(err):
            return ("an in-place change of a weight that requires grad was refused: autograd "
                    "was recording the update.", "the lesson's update runs in a block where "
                    "autograd records nothing.")
        raise
    except TypeError as err:
        if "NoneType" in str(err):
            return ("a parameter without gradient (p.grad is None) made it fail.",
                    "torch.optim skips such a parameter; so can you.")
        raise
    if any(p.grad_fn is not None for p in model.parameters()):
        return ("a weight now has a grad_fn: autograd recorded the update as part of the model.",
                "the lesson's update runs in a block where autograd records nothing.")
    return None


def _compare_weights(mine, reference, before, what: str) -> bool:
    gap = _max_gap(mine, reference)
    if gap <= 1e-6:
        return say(True, f"your update gives the same weights as {what} (max difference "
                         f"{gap:.1e}).")
    if _max_gap(mine, before) == 0:
        return say(False, "the weights did not change: `p = p - ...` makes a new tensor and "
                          "only renames p.", more="change the tensor itself, in place (an "
                          "operator such as -= or a method whose name ends in _).")
    uphill = all(torch.allclose(m - b, b - r, atol=1e-6) for m, r, b in zip(
        mine.parameters(), reference.parameters(), before.parameters()))
    if uphill:
        return say(False, "the weights moved uphill: the loss grows.",
                   more="a step goes against the gradient.")
    return say(False, f"your weights differ from {what}'s by up to {gap:.3g}.",
               more="compare your formula, term by term, with the update rule above the "
                    "exercise.")


def sgd_on_bowl(lr: float, steps: int) -> float:
    """w after `steps` steps of torch.optim.SGD on the loss 5 w**2, from w = 1 (exercise 1)."""
    w = torch.ones(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        (5 * w ** 2).sum().backward()
        optimizer.step()
    return w.item()


def _one_number(value) -> float | None:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return float(value)


@checks_value
def check_sgd_prediction(w_after_step, largest_rate) -> Verdict:
    """Check two predictions for SGD on the loss 5 w**2, from w = 1.

    w_after_step: w after one step at lr=0.3; largest_rate: the rate above which SGD diverges.
    Both are compared with runs of torch.optim.SGD.

    Example (notebook 04, exercise 1), on predictions not written down yet:
        >>> check = check_sgd_prediction(None, None)
        Not yet: your answer is still None: replace None by your answer, then run this ...
    """
    step, rate = _one_number(w_after_step), _one_number(largest_rate)
    if step is None or rate is None:
        return say(False, "write each prediction as one number, such as 0.5.")
    factor = "a step multiplies w by the same number every time: work it out for this loss."
    true_step = sgd_on_bowl(0.3, 1)
    if abs(step - true_step) > 1e-6:
        if abs(step - (1 - 0.3 * 5)) < 1e-6:
            return say(False, f"w after one step is not {step:g}: that step used 5 as the "
                              "gradient at w = 1.", more="the gradient of 5 w² is its derivative.")
        return say(False, f"w after one step at lr=0.3 is not {step:g}.",
                   more="the step is lr times the gradient, taken downhill; the gradient of "
                        "5 w² at w = 1 is its derivative there.")
    if not rate > 0:
        return say(False, f"{rate:g} is not a learning rate: it must be positive.")
    shrinks, grows = abs(sgd_on_bowl(rate * 0.98, 400)), abs(sgd_on_bowl(rate * 1.02, 400))
    if shrinks < 1e-3 and grows > 1:
        return say(True, f"w after one step is {true_step:g}, and above lr = {rate:g} every step "
                         "overshoots the bottom by more than it started from: w grows and SGD "
                         "diverges. The steeper the bowl, the smaller that rate.")
    if grows <= 1:
        return say(False, f"SGD still converges a little above {rate:g}: the largest rate is "
                          "larger.", more=factor + " When does its size pass 1?")
    return say(False, f"SGD already diverges a little below {rate:g}: the largest rate is "
                      "smaller.", more=factor + " When does its size pass 1?")


@checks_function
def check_momentum_update(momentum_update) -> Verdict:
    """Check ``momentum_update(params, velocities, lr, momentum)`` over three steps.

    Compared with torch.optim.SGD(momentum=0.9), whose velocity starts at zero.

    Example (notebook 04, exercise 2), on an answer that returns nothing yet:
        >>> check = check_momentum_update(lambda *args, **kwargs: None)
        Not yet: the weights did not change: `p = p - ...` makes a new tensor ...
    """
    mine, reference, x, y = _twins(seed=1)
    trainable = [p for p in reference.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(trainable, lr=0.1, momentum=0.9)
    velocities = [torch.zeros_like(p) for p in mine.parameters()]
    for step in range(3):
        before = copy.deepcopy(mine)
        for model in (mine, reference):
            _backward(model, x, y)
        optimizer.step()
        problem = _apply_update(momentum_update, mine, velocities, 0.1, 0.9)
        if problem:
            return say(False, problem[0], more=problem[1])
        if _max_gap(mine, before) == 0 and any(v.abs().max() > 0 for v in velocities):
            return say(False, f"at step {step + 1} your velocities changed but the weights did "
                              "not: the step used the velocity from before its update.",
                       more="which comes first, the new velocity or the step that uses it?")
        if _max_gap(mine, reference) > 1e-6 and step > 0 and all(
                v.abs().max() == 0 for v in velocities):
            return say(False, "step 1 was right, but later steps forget the velocity: the "
                              "tensors in `velocities` are still zero.", more="`v = ...` makes "
                              "a new tensor; the list keeps the old one. Change each velocity "
                              "in place, with methods whose names end in _.")
        if _max_gap(mine, reference) > 1e-6:
            return _compare_weights(mine, reference, before,
                                    f"torch.optim.SGD(momentum=0.9) at step {step + 1}")
    return say(True, "three steps of your momentum match torch.optim.SGD(momentum=0.9).")


def _adam_losses(model, x, y, lr: float, steps: int, *, once: bool = True,
                 zero_grad: bool = True) -> list[float]:
    """The losses of `steps` Adam steps on one batch: one optimizer for the whole loop
    (once=True, the lesson's loop), or a new one at every step (the exercise's bug)."""
    losses, optimizer = [], torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        if not once:
            optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        if zero_grad:
            optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _close(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(u - v) <= 1e-5 for u, v in zip(a, b))


@checks_function
def check_train(train) -> Verdict:
    """Check ``train(model, x, y, lr, steps) -> losses`` against Adam in the lesson's loop.

    The exercise gives a loop with a bug (it builds a new Adam at every step, so Adam's
    running averages restart each time); the fixed loop must give the lesson loop's losses.

    Example (notebook 04, exercise 3), on an answer that returns nothing yet:
        >>> check = check_train(lambda *args, **kwargs: None)
        Not yet: expected a list of 5 losses, got NoneType. For a hint, ...
    """
    mine, reference, x, y = _twins(seed=2)
    expected = _adam_losses(reference, x, y, 0.05, 5)
    losses = train(mine, x, y, 0.05, 5)
    if not isinstance(losses, (list, tuple)):
        return say(False, f"expected a list of 5 losses, got {type(losses).__name__}.",
                   more="keep the buggy loop's list of losses and its return: only the bug "
                        "changes.")
    if not all(isinstance(v, float) for v in losses):
        kinds = sorted({type(v).__name__ for v in losses})
        return say(False, f"the losses should be Python floats, got {', '.join(kinds)}.",
                   more="a 0-d tensor gives its Python number with .item().")
    if len(losses) != 5:
        return say(False, f"5 steps asked, {len(losses)} losses returned.",
                   more="one loss per step, for every one of the `steps` steps.")
    if _close(losses, expected):
        return say(True, f"your loop's losses match Adam's in the lesson's loop: "
                         f"{losses[0]:.4f} -> {losses[-1]:.4f}.")
    if len(set(losses)) == 1:
        return say(False, "the loss never changed: the weights were not updated.",
                   more="the optimizer updates them after backward() has filled .grad.")
    for once, zero_grad, what, more in (
            (False, True, "the bug is still there: every step is a first step of a new Adam, "
                          "whose running averages start again from zero.",
             "what does Adam remember from one step to the next, and where is it kept?"),
            (True, False, "Adam now keeps its averages, but the gradients add up from step "
                          "to step.", "backward() adds to .grad (notebook 03)."),
            (False, False, "two bugs: a new Adam at every step, and gradients that add up.",
             "the buggy loop cleared .grad; keep what it did right.")):
        _, again, _, _ = _twins(seed=2)
        if _close(losses, _adam_losses(again, x, y, 0.05, 5, once=once, zero_grad=zero_grad)):
            return say(False, what, more=more)
    return say(False, f"your losses {[round(v, 4) for v in losses]} differ from the lesson "
                      f"loop's {[round(v, 4) for v in expected]}.", more="keep the loss and "
                      "the optimizer the buggy loop uses; only the bug changes.")


def _as_fraction(value) -> float | None:
    """An accuracy as a fraction: 0.91, 91 (percent) or a 0-d tensor; None if not a number."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return value / 100 if 1 < value <= 100 else float(value)


@checks_value
def check_optimizer_choice(chosen_optimizer, its_val_acc, *, histories) -> Verdict:
    """Check a choice made from evidence: the optimizer with the best validation accuracy.

    histories: {optimizer name: History} from the notebook's runs; the learner gives the
    name chosen and the validation accuracy that justifies it (as printed: 0.91 or 91).

    Example (notebook 04, exercise 4), on a choice not written down yet:
        >>> check = check_optimizer_choice(None, None, histories={})
        Not yet: your answer is still None: replace None by your answer, then run this ...
    """
    if not isinstance(histories, dict) or not histories:
        return say(False, "pass the runs to compare: histories=histories.")
    accuracy = {name: h.val_acc[-1] for name, h in histories.items()}
    if not isinstance(chosen_optimizer, str) or chosen_optimizer not in accuracy:
        return say(False, f"{chosen_optimizer!r:.30} is not one of the runs: write one of "
                          f"{', '.join(map(repr, accuracy))}.")
    quoted = _as_fraction(its_val_acc)
    if quoted is None:
        return say(False, f"its_val_acc should be a number, such as 0.5 or 50, got "
                          f"{type(its_val_acc).__name__}.")
    best = max(accuracy.values())
    if accuracy[chosen_optimizer] < best:
        return say(False, f"another run ends with a higher validation accuracy than "
                          f"{chosen_optimizer}.", more="compare the last validation accuracy "
                          "of every run, as printed above, and take the highest.")
    if abs(quoted - accuracy[chosen_optimizer]) > 0.0006:
        return say(False, f"{quoted:.1%} is not {chosen_optimizer}'s validation accuracy.",
                   more="copy the number printed for that run.")
    return say(True, f"{chosen_optimizer}: {accuracy[chosen_optimizer]:.1%} of the validation "
                     f"digits after one epoch, the best of the {len(accuracy)} runs. The test "
                     "digits played no part in this choice.")
