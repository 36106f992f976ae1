"""Checks of notebook 04's exercises: the learner's code and torch.optim on twin small models."""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from . import (NotYet, Verdict, answer_number, checks_function, checks_value, first_mistake,
               numbers, say)


def sgd_on_bowl(lr: float, steps: int) -> float:
    """w after `steps` steps of torch.optim.SGD on the loss 5 w**2, from w = 1 (exercise 1)."""
    w = torch.ones(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        (5 * w ** 2).sum().backward()
        optimizer.step()
    return w.item()


@checks_value
def check_sgd_prediction(w_after_step, largest_rate) -> Verdict:
    """Check two predictions for torch.optim.SGD on the loss 5 w**2, from w = 1: w after one
    step at lr=0.3, and the rate above which SGD diverges.
    Example (notebook 04, exercise 1): check_sgd_prediction(w_after_step, largest_rate)"""
    step = answer_number(w_after_step, "w_after_step")
    rate = answer_number(largest_rate, "largest_rate")
    if abs(step - sgd_on_bowl(0.3, 1)) > 1e-6:
        if abs(step + 0.5) < 1e-6:  # 1 - 0.3 * 5
            raise NotYet(f"w is not {step:g}: that step used 5 as the gradient.",
                         "5 w²'s gradient is its derivative.")
        raise NotYet(f"w after one step at lr=0.3 is not {step:g}.",
                     "a step goes downhill by lr times the gradient, the derivative of 5 w².")
    if not rate > 0:
        raise NotYet(f"{rate:g} is not a learning rate: it must be positive.")
    shrinks, grows = abs(sgd_on_bowl(rate * 0.98, 400)), abs(sgd_on_bowl(rate * 1.02, 400))
    if shrinks < 1e-3 and grows > 1:
        return say(True, f"w after one step is {step:g}, and above lr = {rate:g} every step "
                         "overshoots the bottom by more than it started from: SGD diverges. "
                         "The steeper the bowl, the smaller that rate.")
    raise NotYet(f"SGD still converges a little above {rate:g}." if grows <= 1 else
                 f"SGD already diverges a little below {rate:g}.", "a step multiplies w by the "
                 "same number every time: when does its size pass 1?")


def _twins(seed: int = 0):
    """Two identical small models (one with a frozen, gradient-less bias) and a batch."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    model[2].bias.requires_grad_(False)  # its .grad stays None, as for a frozen layer
    g = torch.Generator().manual_seed(seed)
    return model, copy.deepcopy(model), torch.randn(8, 5, generator=g), torch.arange(8) % 3


@checks_function
def check_momentum_update(momentum_update) -> Verdict:
    """Check three steps of ``momentum_update(params, velocities, lr, momentum)`` against
    torch.optim.SGD(momentum=0.9), whose velocity starts at zero.
    Example (notebook 04, exercise 2): check_momentum_update(momentum_update)"""
    mine, reference, x, y = _twins(seed=1)
    optimizer = torch.optim.SGD([p for p in reference.parameters() if p.requires_grad],
                                lr=0.1, momentum=0.9)
    velocities = [torch.zeros_like(p) for p in mine.parameters()]
    in_place = "change the tensor itself, in place (-= or a method whose name ends in _)."
    for step in (1, 2, 3):
        before = copy.deepcopy(mine)
        for model in (mine, reference):
            model.zero_grad()
            F.cross_entropy(model(x), y).backward()
        optimizer.step()
        try:
            momentum_update(list(mine.parameters()), velocities, 0.1, 0.9)
        except (RuntimeError, TypeError) as err:
            first_mistake(str(err), [
                ("NoneType", "a parameter without gradient (p.grad is None) made it fail.",
                 "torch.optim skips such a parameter."),
                ("leaf Variable", "autograd recorded the update, so changing a weight in place "
                 "was refused.", "the lesson's update runs where autograd records nothing.")],
                same=str.__contains__)
            raise
        gap = max((p - q).abs().max().item() for p, q in zip(mine.parameters(),
                                                               reference.parameters()))
        moved = any(not torch.equal(p, q) for p, q in zip(mine.parameters(), before.parameters()))
        still = all(v.abs().max() == 0 for v in velocities)
        if gap <= 1e-6:
            continue
        if not moved and still:
            raise NotYet("the weights did not change: `p = p - ...` makes a new tensor.", in_place)
        if not moved:
            raise NotYet(f"at step {step} your velocities changed but the weights did not.",
                         "which comes first, the new velocity or the step that uses it?")
        if step > 1 and still:
            raise NotYet("step 1 was right, but the velocities are still zero.",
                         "`v = ...` makes a new tensor. " + in_place)
        if all(torch.allclose(m - b, b - r, atol=1e-6) for m, r, b in zip(
                mine.parameters(), reference.parameters(), before.parameters())):
            raise NotYet("the weights moved uphill: the loss grows.", "go against the gradient.")
        raise NotYet(f"at step {step} your weights differ from torch.optim.SGD(momentum=0.9)'s "
                     f"by up to {gap:.3g}.", "compare your formula, term by term, with the rule.")
    return say(True, "three steps of your momentum match torch.optim.SGD(momentum=0.9).")


def _adam_losses(model, x, y, *, once: bool = True, zero_grad: bool = True) -> torch.Tensor:
    """The losses of 5 Adam steps at lr=0.05 on one batch: one optimizer for the whole loop
    (once=True, the lesson's loop), or a new one at every step (the exercise's bug)."""
    losses, optimizer = [], torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(5):
        if not once:
            optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        if zero_grad:
            optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return torch.tensor(losses, dtype=torch.float64)


@checks_function
def check_train(train) -> Verdict:
    """Check a fixed ``train(model, x, y, lr, steps) -> losses`` (the bug: a new Adam at every
    step, whose running averages restart) against Adam in the lesson's loop.
    Example (notebook 04, exercise 3): check_train(train)"""
    mine, reference, x, y = _twins(seed=2)
    answer = train(mine, x, y, 0.05, 5)
    losses = numbers(answer)
    if losses is None or losses.dim() != 1:
        raise NotYet(f"expected a list of 5 losses, got {answer!r:.40}.", "only the bug changes.")
    if len(losses) != 5:
        raise NotYet(f"5 steps asked, {len(losses)} losses returned.", "one loss for every one.")

    def same(losses, bug):  # bug: the (once, zero_grad) of a loop
        return torch.allclose(losses.double(), _adam_losses(
            _twins(seed=2)[1], x, y, once=bug[0], zero_grad=bug[1]), rtol=0, atol=1e-5)

    if same(losses, (True, True)):
        return say(True, f"your loop's losses match Adam's in the lesson's loop: "
                         f"{losses[0]:.4f} -> {losses[-1]:.4f}.")
    if len(set(losses.tolist())) == 1:
        raise NotYet("the loss never changed: the weights were not updated.",
                     "the optimizer updates them after backward() has filled .grad.")
    first_mistake(losses, [
        ((False, True), "the bug is still there: every step is a first step of a new Adam.",
         "what does Adam remember, and where is it kept?"),
        ((True, False), "the gradients add up from step to step.", "backward() adds to .grad."),
        ((False, False), "two bugs: a new Adam at every step, and gradients that add up.",
         "keep what the buggy loop did right.")], same=same)
    raise NotYet(f"your losses {[round(v, 4) for v in losses.tolist()]} differ from the lesson "
                 "loop's.", "keep the buggy loop's loss and optimizer; only the bug changes.")


@checks_value
def check_optimizer_choice(chosen_optimizer, its_val_acc, *, histories) -> Verdict:
    """Check a choice from ``histories`` ({optimizer name: History}): the optimizer with the best
    final validation accuracy, and that accuracy (0.91 or 91).
    Example (notebook 04, exercise 4): check_optimizer_choice(chosen, its_val_acc, histories=...)"""
    if not isinstance(histories, dict) or not histories:
        raise NotYet("pass the runs to compare: histories=histories.")
    accuracy = {name: h.val_acc[-1] for name, h in histories.items()}
    if not isinstance(chosen_optimizer, str) or chosen_optimizer not in accuracy:
        raise NotYet(f"{chosen_optimizer!r:.30} is not one of the runs {', '.join(accuracy)}.")
    quoted = answer_number(its_val_acc, "its_val_acc")
    quoted = quoted / 100 if quoted > 1 else quoted  # 91 (percent) or 0.91
    if accuracy[chosen_optimizer] < max(accuracy.values()):
        raise NotYet(f"another run ends with a higher validation accuracy than {chosen_optimizer}.",
                     "compare every run's last validation accuracy and take the highest.")
    if abs(quoted - accuracy[chosen_optimizer]) > 0.0006:
        raise NotYet(f"{quoted:.1%} is not {chosen_optimizer}'s validation accuracy.",
                     "copy the number printed for that run.")
    return say(True, f"{chosen_optimizer}: {accuracy[chosen_optimizer]:.1%} of the validation "
                     f"digits after one epoch, the best of the {len(accuracy)} runs. The test "
                     "digits played no part in this choice.")
