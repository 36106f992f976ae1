"""The checks of notebook 04's exercises: right answers pass; each typical wrong answer
first hears what is off, then (hint=2) a hint, in one line that never gives the solution
away (the find-the-bug's fix included)."""
import pytest
import torch
import torch.nn.functional as F

import course_utils as cu
from conftest import assert_tiers, feedback
from course_utils.exercises import (check_momentum_update, check_optimizer_choice,
                                    check_sgd_prediction, check_train)
from course_utils.exercises.lesson04 import sgd_on_bowl


def verdict(capsys, check, answer):
    return feedback(check, answer)


# --- exercise 1: predict SGD on the bowl 5 w**2 ----------------------------------------------

def test_the_bowl_is_what_the_exercise_says():
    # w' = w - lr * 10 w: one step at lr=0.3 gives -2; 0.2 is where |1 - 10 lr| passes 1
    assert sgd_on_bowl(0.3, 1) == pytest.approx(-2.0)
    assert abs(sgd_on_bowl(0.19, 300)) < 1e-6 < 1e6 < abs(sgd_on_bowl(0.21, 300))


@pytest.mark.parametrize("step, rate", [(-2, 0.2), (-2.0, 0.201), (torch.tensor(-2.0), 0.199)])
def test_sgd_prediction_right(step, rate):
    verdict, out = feedback(check_sgd_prediction, step, rate)
    assert verdict.correct is True and out.startswith("Correct! w after one step is -2"), out


@pytest.mark.parametrize("step, rate, hint, more", [
    (-0.5, 0.2, "used 5 as the gradient", "its derivative"),
    (0.7, 0.2, "is not 0.7", "downhill"),
    (-2, 0.4, "already diverges a little below 0.4", "when does its size pass 1"),
    (-2, 0.1, "still converges a little above 0.1", "the same number every time"),
    (-2, -1, "must be positive", ""),
    ("-2", 0.2, "one number", ""),
])
def test_sgd_prediction_mistakes(step, rate, hint, more):
    assert_tiers(check_sgd_prediction, (step, rate), {}, hint, more)


def test_sgd_prediction_waits_for_both_answers():
    verdict, out = feedback(check_sgd_prediction, -2.0, None)
    assert verdict.correct is False and "still None" in out


# --- exercise 2: momentum -------------------------------------------------------------------

def sgd(params, lr):
    """Plain SGD: a momentum answer that forgets the velocity."""
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad


def momentum(params, velocities, lr, beta):
    with torch.no_grad():
        for p, v in zip(params, velocities):
            if p.grad is not None:
                v.mul_(beta).add_(p.grad)
                p -= lr * v


def sutskever(params, velocities, lr, beta):  # v = beta v + lr g; p -= v: the same for fixed lr
    with torch.no_grad():
        for i, p in enumerate(params):
            if p.grad is not None:
                velocities[i] = beta * velocities[i] + lr * p.grad
                p -= velocities[i]


@pytest.mark.parametrize("answer", [momentum, sutskever])
def test_momentum_update_right(capsys, answer):
    ok, out = verdict(capsys, check_momentum_update, answer)
    assert ok.correct is True and out.startswith("Correct")


def velocity_rebound(params, velocities, lr, beta):
    with torch.no_grad():
        for p, v in zip(params, velocities):
            if p.grad is not None:
                v = beta * v + p.grad
                p -= lr * v


def damped(params, velocities, lr, beta):
    with torch.no_grad():
        for p, v in zip(params, velocities):
            if p.grad is not None:
                v.mul_(beta).add_((1 - beta) * p.grad)
                p -= lr * v


def step_before_velocity(params, velocities, lr, beta):
    with torch.no_grad():
        for p, v in zip(params, velocities):
            if p.grad is not None:
                p -= lr * v                   # the old velocity: zero at step 1
                v.mul_(beta).add_(p.grad)


def no_skip(params, velocities, lr, beta):  # fails on the frozen bias, whose .grad is None
    with torch.no_grad():
        for p, v in zip(params, velocities):
            v.mul_(beta).add_(p.grad)
            p -= lr * v


def recorded(params, velocities, lr, beta):  # autograd records the update: refused in place
    for p, v in zip(params, velocities):
        if p.grad is not None:
            v.mul_(beta).add_(p.grad)
            p -= lr * v


@pytest.mark.parametrize("answer, hint, more", [
    (no_skip, "p.grad is None", "skips such a parameter"),
    (recorded, "autograd recorded the update", "records nothing"),
    (velocity_rebound, "still zero", "in place"),
    (step_before_velocity, "velocities changed but the weights did not", "comes first"),
    (damped, "at step 1", "term by term"),
    (lambda params, v, lr, beta: sgd(params, lr), "still zero", "in place"),
    (lambda params, v, lr, beta: None, "did not change", "in place"),
])
def test_momentum_update_mistakes(answer, hint, more):
    assert_tiers(check_momentum_update, (answer,), {}, hint, more)


def test_momentum_feedback_never_writes_the_update():
    for answer in (velocity_rebound, lambda params, v, lr, beta: sgd(params, lr)):
        _, out = feedback(check_momentum_update, answer, hint=2)
        assert "mul_" not in out and "add_(" not in out, out


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
    (lambda *a: train(*a)[:3], "3 losses", "every one"),
    (lambda *a: None, "got None", "only the bug"),
    (lambda m, x, y, lr, s: train(m, x, y, lr, s - 1) + [0.0], "differ from", "only the bug"),
    (lambda m, x, y, lr, s: train(m, x, y, lr / 10, s), "differ from", "only the bug"),
])
def test_train_mistakes(answer, hint, more):
    assert_tiers(check_train, (answer,), {}, hint, more)


def test_the_find_the_bug_feedback_never_names_the_fix():
    _, out = feedback(check_train, lambda *a: train(*a, once=False), hint=2)
    assert "outside" not in out and "before the loop" not in out, out


# --- exercise 4: an optimizer chosen from evidence -------------------------------------------

HISTORIES = {"sgd": cu.History(val_loss=[2.1], val_acc=[0.337]),
             "rmsprop": cu.History(val_loss=[0.28], val_acc=[0.91]),
             "adam": cu.History(val_loss=[0.47], val_acc=[0.864])}


@pytest.mark.parametrize("answers", [("rmsprop", 0.91), ("rmsprop", 91.0),
                                     ("rmsprop", torch.tensor(0.9104))])
def test_optimizer_choice_right(answers):
    verdict, out = feedback(check_optimizer_choice, *answers, histories=HISTORIES)
    assert verdict.correct is True and "91.0%" in out and "test digits" in out, out


@pytest.mark.parametrize("answers, hint, more", [
    (("adam", 0.864), "another run", "take the highest"),
    (("rmsprop", 0.864), "is not rmsprop's validation accuracy", "copy the number"),
    (("RMSProp", 0.91), "not one of the runs", ""),
    ((3, 0.91), "not one of the runs", ""),
    (("rmsprop", "91%"), "its_val_acc should be one number", ""),
    (("rmsprop", None), "still None", ""),
])
def test_optimizer_choice_mistakes(answers, hint, more):
    assert_tiers(check_optimizer_choice, answers, {"histories": HISTORIES}, hint, more)


def test_optimizer_choice_never_names_the_best_run():
    _, out = feedback(check_optimizer_choice, "adam", 0.864, histories=HISTORIES, hint=2)
    assert "rmsprop" not in out.lower() and "91" not in out, out

# The stub, not-a-function and random-stream tests of these checks are in
# tests/test_lesson03_checks.py, run over the checks of both notebooks.
