"""Checks of notebook 04's exercises: the learner's code and torch.optim on twin small models."""
import copy

import torch
import torch.nn.functional as F
from torch import nn

from . import (NotYet, Verdict, answer_number, answer_tensor, checks_function, checks_value,
               first_mistake, say)

def sgd_on_batch(lr: float, reduction: str, steps: int = 300) -> float:
    """|w - 3.5| after torch.optim.SGD on ((w - t) ** 2).mean() or .sum(), t = 0..7, from w = 0."""
    w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        getattr((w - torch.arange(8.0)) ** 2, reduction)().backward()
        optimizer.step()
    return abs(w.item() - 3.5)


@checks_value
def check_sgd_prediction(rate_for_mean, rate_for_sum) -> Verdict:
    """Check two predictions: the rate above which torch.optim.SGD diverges on the loss of one
    weight w over 8 targets, ((w - t) ** 2).mean(), and on the same with .sum().
    Example (notebook 04, exercise 1): check_sgd_prediction(rate_for_mean, rate_for_sum)"""
    rates = {"mean": answer_number(rate_for_mean, "rate_for_mean"),
             "sum": answer_number(rate_for_sum, "rate_for_sum")}
    for (reduction, rate), curvature, other in zip(rates.items(), (2, 16), [*rates.values()][::-1]):
        name = f"rate_for_{reduction} = {rate:g}"
        if not rate > 0:
            raise NotYet(f"{name} is not a learning rate: it must be positive.")
        shrinks, grows = (sgd_on_batch(rate * factor, reduction) for factor in (0.98, 1.02))
        if shrinks < 3.5 < grows:
            continue
        first_mistake(rate, [
            (4 / curvature, f"SGD diverges below your {name}: the curvature (second derivative) "
             "of c·w² is 2c, twice its coefficient.", "then 2 / curvature."),
            (0.5, f"{name} is the ravine's limit (curvature 4), not this loss's.",
             "the second derivative of this loss?"),
            (other, f"{name}: .mean() and .sum() do not allow the same rate.",
             "the sum is 8 times the mean: and its curvature?")],
            same=lambda rate, wrong: abs(rate - wrong) <= 0.02 * wrong)
        raise NotYet(f"SGD {'already diverges' if grows > 3.5 else 'still converges'} "
                     f"{'below' if grows > 3.5 else 'above'} your {name}.",
                     "the curvature is the loss's second derivative in w: for the mean, the sum?")
    return say(True, f"SGD diverges above lr = {rates['mean']:g} on the mean and above "
                     f"{rates['sum']:g} on the sum: a sum over 8 targets is 8 times as curved, so "
                     "it needs a rate 8 times smaller: the larger the batch, the smaller.")


def _twins(seed: int = 0):
    """Two identical small models (one with a frozen, gradient-less bias) and a batch."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    model[2].bias.requires_grad_(False)  # its .grad stays None, as for a frozen layer
    g = torch.Generator().manual_seed(seed)
    return model, copy.deepcopy(model), torch.randn(8, 5, generator=g), torch.arange(8) % 3


def _momentum(model, x, y, steps: int, decay: float, decoupled: bool = False):
    """model after `steps` momentum steps (lr 0.1, momentum 0.9), decay * p in the gradient (SGD's
    weight decay) or, decoupled, in the step only (AdamW's); torch.optim.SGD's for decay=0.05."""
    model, velocities = copy.deepcopy(model), {}
    for _ in range(steps):
        model.zero_grad()
        F.cross_entropy(model(x), y).backward()
        with torch.no_grad():
            for p in (p for p in model.parameters() if p.grad is not None):
                v = velocities[p] = 0.9 * velocities.get(p, 0) + p.grad + (not decoupled) * decay * p
                p -= 0.1 * (v + decoupled * decay * p)
    return model


DECAY_MISTAKES = [  # ((pull, decoupled), what is off, hint): a learner's usual decay mistakes
    ((0, 0), "these are momentum's steps without weight decay: the extra term is missing.",
     "the extra term has a gradient too: the derivative of λ/2·w² in w?"),
    ((0.05, 1), "the pull towards 0 goes straight into the step, not through the velocity "
     "(AdamW's 'decoupled' decay, not SGD's).", "the extra term is part of the loss: its "
     "gradient goes wherever the loss's gradient goes."),
    ((0.025, 0), "your pull towards 0 is half as strong as SGD's.", "differentiate λ/2·w² in w."),
    ((-0.05, 0), "your weights are pushed away from 0: decay pulls them towards it.",
     "the extra term grows with w²: downhill, |w| shrinks.")]


@checks_function
def check_momentum_update(momentum_decay_update) -> Verdict:
    """Check three steps of ``momentum_decay_update(params, velocities, lr, momentum,
    weight_decay)`` against torch.optim.SGD(momentum=0.9, weight_decay=0.05)'s.
    Example (notebook 04, exercise 2): check_momentum_update(momentum_decay_update)"""
    mine, _, x, y = _twins(seed=1)
    start, velocities = copy.deepcopy(mine), [torch.zeros_like(p) for p in mine.parameters()]
    for step in (1, 2, 3):
        before = copy.deepcopy(mine)
        mine.zero_grad()
        F.cross_entropy(mine(x), y).backward()
        momentum_decay_update(list(mine.parameters()), velocities, 0.1, 0.9, 0.05)
        gap = max((p - q).abs().max().item() for p, q in zip(
            mine.parameters(), _momentum(start, x, y, step, 0.05).parameters()))
        still = all(v.abs().max() == 0 for v in velocities)
        if gap <= 1e-6:
            continue
        if all(torch.equal(p, q) for p, q in zip(mine.parameters(), before.parameters())):
            raise NotYet("the weights did not change" + (": `p = p - ...` makes a new tensor."
                         if still else f" at step {step}, but your velocities did."), "change "
                         "each weight itself, in place, with -=, after the new velocity.")
        if step > 1 and still:
            raise NotYet("step 1 was right, but the velocities are still zero.", "store each new "
                         "velocity where the next call finds it, as the momentum code does.")
        first_mistake(mine, DECAY_MISTAKES, same=lambda mine, decay: all(
            torch.allclose(p, q, atol=1e-6)
            for p, q in zip(mine.parameters(), _momentum(start, x, y, step, *decay).parameters())))
        raise NotYet(f"at step {step} your weights differ from torch.optim.SGD(momentum=0.9, "
                     f"weight_decay=0.05)'s by up to {gap:.3g}.", "compare your step, term by "
                     "term, with the momentum code and the extra term's gradient.")
    return say(True, "three steps of your momentum with weight decay match torch.optim.SGD("
                     "momentum=0.9, weight_decay=0.05): the decay's gradient rides in the velocity.")


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
    losses = answer_tensor(answer, (5,), "the losses of 5 steps", "one loss for every step.")

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
def check_optimizer_choice(chosen_optimizer, its_mean_acc, *, runs) -> Verdict:
    """Check a choice from ``runs`` ({optimizer name: {lr: History}}): the optimizer with the best
    validation accuracy on average over the rates tried, and that average (0.7 or 70).
    Example (notebook 04, exercise 4): check_optimizer_choice(chosen, its_mean_acc, runs=runs)"""
    if not isinstance(runs, dict) or not runs:
        raise NotYet("pass the runs of the sweep: runs=runs.")
    accs = {name: [h.val_acc[-1] for h in by_rate.values()] for name, by_rate in runs.items()}
    mean = {name: sum(acc) / len(acc) for name, acc in accs.items()}
    if not isinstance(chosen_optimizer, str) or chosen_optimizer not in mean:
        raise NotYet(f"{chosen_optimizer!r:.30} is not one of the runs {', '.join(mean)}.")
    quoted, name = answer_number(its_mean_acc, "its_mean_acc"), chosen_optimizer
    if mean[name] < max(mean.values()) - 0.0006:
        best = max(accs, key=lambda other: max(accs[other])) == name
        raise NotYet(f"{name} has the best single run, but not the best average over its rates."
                     if best else f"another optimizer does better on average than {name}.",
                     "a rate taken at random from a row: what accuracy to expect from it?")
    if any(abs(quoted - lr) <= 1e-6 * lr for lr in runs[name]):
        raise NotYet(f"{quoted:g} is one of {name}'s learning rates, not an accuracy.",
                     "its_mean_acc is a share of the validation digits.")
    quoted = quoted / 100 if quoted > 1 else quoted  # 72 (percent) or 0.72
    if abs(quoted - mean[name]) > 0.0006:
        raise NotYet(f"{quoted:.1%} is {name}'s best run, not its average." if abs(
            quoted - max(accs[name])) <= 0.0006 else f"{quoted:.1%} is not {name}'s average.",
            "every rate counts, each once.")
    return say(True, f"{mean[name]:.1%} on average over its {len(accs[name])} rates, the best row. "
                     "The best single run and the safest bet without tuning need not be the same "
                     "optimizer. The test digits played no part in this choice.")
