"""The checks of notebook 04's exercises: right answers pass; each typical wrong answer
first hears what is off, then (hint=2) a hint, in one line that never gives the solution
away (the find-the-bug's fix included)."""
import contextlib

import pytest
import torch
import torch.nn.functional as F

import course_utils as cu
from conftest import assert_tiers, feedback
from course_utils.exercises import (check_momentum_update, check_optimizer_choice,
                                    check_sgd_prediction, check_train)
from course_utils.exercises.lesson04 import sgd_on_batch


def verdict(capsys, check, answer):
    return feedback(check, answer)


# --- exercise 1: predict when SGD diverges on a mean and on a sum over 8 targets ------------

def test_the_losses_are_what_the_exercise_says():
    # the mean of (w - t)**2 has curvature 2 (limit 2/2), the sum of 8 of them 16 (limit 2/16)
    for reduction, limit in [("mean", 1.0), ("sum", 0.125)]:
        assert sgd_on_batch(0.95 * limit, reduction) < 1e-3 < 1e3 < sgd_on_batch(1.05 * limit,
                                                                                reduction)


@pytest.mark.parametrize("mean, total", [(1, 0.125), (1.01, 1 / 8), (torch.tensor(1.0), 0.124)])
def test_sgd_prediction_right(mean, total):
    verdict, out = feedback(check_sgd_prediction, mean, total)
    assert verdict.correct is True and out.startswith("Correct! SGD diverges above lr = 1"), out


@pytest.mark.parametrize("mean, total, hint, more", [
    (2, 0.25, "diverges below your rate_for_mean = 2: the curvature", "2 / curvature"),
    (1, 0.25, "diverges below your rate_for_sum = 0.25: the curvature", "2 / curvature"),
    (0.5, 0.125, "the ravine's limit", "second derivative of this loss"),
    (1, 1, ".mean() and .sum() do not allow the same rate", "8 times the mean"),
    (1, 0.1, "still converges above your rate_for_sum = 0.1", "second derivative in w"),
    (1, 0.2, "already diverges below your rate_for_sum = 0.2", "second derivative in w"),
    (-1, 0.125, "must be positive", ""),
    ("1", 0.125, "one number", ""),
])
def test_sgd_prediction_mistakes(mean, total, hint, more):
    assert_tiers(check_sgd_prediction, (mean, total), {}, hint, more)


def test_sgd_prediction_waits_for_both_answers():
    verdict, out = feedback(check_sgd_prediction, 1.0, None)
    assert verdict.correct is False and "still None" in out


# --- exercise 2: momentum -------------------------------------------------------------------

def sgd(params, lr):
    """Plain SGD: a momentum answer that forgets the velocity."""
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad


def momentum(params, velocities, lr, beta, decay):  # the notebook's code, one line changed
    with torch.no_grad():
        for i, p in enumerate(params):
            if p.grad is None:
                continue
            velocities[i] = beta * velocities[i] + p.grad + decay * p
            p -= lr * velocities[i]


def momentum_in_place(params, velocities, lr, beta, decay):  # written otherwise
    with torch.no_grad():
        for p, v in zip(params, velocities):
            if p.grad is not None:
                v.mul_(beta).add_(p.grad).add_(p, alpha=decay)
                p.sub_(v, alpha=lr)


@pytest.mark.parametrize("answer", [momentum, momentum_in_place])
def test_momentum_update_right(capsys, answer):
    ok, out = verdict(capsys, check_momentum_update, answer)
    assert ok.correct is True and out.startswith("Correct")


def variant(pull=1.0, decoupled=False, rebind=False, late=False, skip=True, record=False):
    """A momentum_decay_update with one mistake: the pull's size, where it goes, ..."""
    def update(params, velocities, lr, beta, decay):
        for i, p in enumerate(params):
            if p.grad is None and skip:
                continue
            with torch.no_grad() if not record else contextlib.nullcontext():
                g = p.grad + (not decoupled) * pull * decay * p
                new = beta * velocities[i] + g
                if late:
                    p -= lr * velocities[i]               # the old velocity: zero at step 1
                v = new if rebind else velocities.__setitem__(i, new) or new
                if not late:
                    p -= lr * (v + decoupled * decay * p)
    return update


@pytest.mark.parametrize("answer, hint, more", [
    (variant(skip=False), "NoneType", "which one can be None"),
    (variant(record=True), "leaf Variable", "record nothing"),
    (variant(rebind=True), "still zero", "where the next call finds it"),
    (variant(late=True), "did not change at step 1, but your velocities did", "after the new"),
    (variant(pull=0), "without weight decay", "derivative of λ/2·w²"),
    (variant(decoupled=True), "decoupled", "wherever the loss's gradient goes"),
    (variant(pull=0.5), "half as strong", "differentiate"),
    (variant(pull=-1), "pushed away from 0", "downhill"),
    (variant(pull=3), "differ from torch.optim.SGD", "term by term"),
    (lambda params, v, lr, beta, decay: sgd(params, lr), "without weight decay", "derivative"),
    (lambda params, v, lr, beta, decay: None, "did not change", "in place"),
])
def test_momentum_update_mistakes(answer, hint, more):
    assert_tiers(check_momentum_update, (answer,), {}, hint, more)


def test_momentum_feedback_never_writes_the_update():
    for answer in (variant(pull=0), variant(decoupled=True), variant(pull=0.5)):
        _, out = feedback(check_momentum_update, answer, hint=2)
        assert "decay * p" not in out and "+ weight_decay" not in out, out


# --- exercise 3: the training loop ----------------------------------------------------------

def train(model, x, y, lr, steps, once=True, zero=True, step=True, item=True):
    losses, optimizer = [], torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        if not once:
            optimizer = torch.optim.Adam(model.parameters(), lr=lr)   # the exercise's bug
        if zero:
            optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        if step:
            optimizer.step()
        losses.append(loss.item() if item else loss)
    return losses


def test_train_right(capsys):
    ok, out = verdict(capsys, check_train, train)
    assert ok.correct is True and out.startswith("Correct")


@pytest.mark.parametrize("answer, hint, more", [
    (lambda *a: train(*a, once=False), "bug is still there", "where is it kept"),
    (lambda *a: train(*a, zero=False), "add up from step to step", "adds to .grad"),
    (lambda *a: train(*a, once=False, zero=False), "two bugs", "keep what the buggy loop did right"),
    (lambda *a: train(*a, step=False), "never changed", "after backward()"),
    (lambda *a: train(*a)[:3], "has shape (3,), expected (5,)", "every step"),
    (lambda *a: None, "is None: does your function `return` it", "every step"),
    (lambda m, x, y, lr, s: train(m, x, y, lr, s - 1) + [0.0], "differ from", "only the bug"),
    (lambda m, x, y, lr, s: train(m, x, y, lr / 10, s), "differ from", "only the bug"),
])
def test_train_mistakes(answer, hint, more):
    assert_tiers(check_train, (answer,), {}, hint, more)


def test_the_find_the_bug_feedback_never_names_the_fix():
    _, out = feedback(check_train, lambda *a: train(*a, once=False), hint=2)
    assert "outside" not in out and "before the loop" not in out, out


# --- exercise 4: an optimizer chosen from evidence -------------------------------------------

def sweep(accuracies: dict) -> dict:
    """{name: {lr: accuracy}} as the notebook's runs: {name: {lr: History}}."""
    return {name: {lr: cu.History(val_loss=[1.0], val_acc=[acc]) for lr, acc in row.items()}
            for name, row in accuracies.items()}


# adam has the best single run (0.93), rmsprop the best average (0.725 against 0.68)
RUNS = sweep({"sgd": {0.1: 0.44, 0.3: 0.39}, "rmsprop": {1e-3: 0.88, 3e-3: 0.80, 1e-2: 0.495},
              "adam": {3e-3: 0.89, 1e-2: 0.93, 3e-2: 0.22}})


@pytest.mark.parametrize("answers", [("rmsprop", 0.725), ("rmsprop", 72.5),
                                     ("rmsprop", torch.tensor(0.7249))])
def test_optimizer_choice_right(answers):
    verdict, out = feedback(check_optimizer_choice, *answers, runs=RUNS)
    assert verdict.correct is True and "72.5%" in out and "test digits" in out, out


@pytest.mark.parametrize("answers, hint, more", [
    (("adam", 0.93), "adam has the best single run, but not the best average", "at random"),
    (("sgd", 0.415), "another optimizer does better on average than sgd", "at random"),
    (("rmsprop", 0.001), "0.001 is one of rmsprop's learning rates, not an accuracy",
     "share of the validation digits"),
    (("rmsprop", 0.88), "88.0% is rmsprop's best run, not its average", "each once"),
    (("rmsprop", 0.70), "70.0% is not rmsprop's average", "each once"),
    (("RMSProp", 0.725), "not one of the runs", ""),
    ((3, 0.725), "not one of the runs", ""),
    (("rmsprop", "72.5%"), "its_mean_acc should be one number", ""),
    (("rmsprop", None), "still None", ""),
])
def test_optimizer_choice_mistakes(answers, hint, more):
    assert_tiers(check_optimizer_choice, answers, {"runs": RUNS}, hint, more)


def test_optimizer_choice_never_names_the_best_average():
    _, out = feedback(check_optimizer_choice, "adam", 0.93, runs=RUNS, hint=2)
    assert "rmsprop" not in out.lower() and "72" not in out, out

# The stub, not-a-function and random-stream tests of these checks are in
# tests/test_lesson03_checks.py, run over the checks of both notebooks.


def test_the_reference_steps_are_torch_optim_sgds():
    from course_utils.exercises.lesson04 import _momentum, _twins

    model, reference, x, y = _twins(seed=1)
    optimizer = torch.optim.SGD([p for p in reference.parameters() if p.requires_grad], lr=0.1,
                                momentum=0.9, weight_decay=0.05)
    for _ in range(3):
        reference.zero_grad()
        F.cross_entropy(reference(x), y).backward()
        optimizer.step()
    mine = _momentum(model, x, y, 3, 0.05)
    assert all(torch.allclose(p, q, atol=1e-7) for p, q in zip(mine.parameters(), reference.parameters()))
