"""The checks of notebook 04's exercises: right answers pass, each kind of mistake is
explained in one line without raising, and an unsolved stub fails loudly."""
import pytest
import torch
import torch.nn.functional as F

from course_utils.exercises import check_momentum_update, check_sgd_update, check_train


def verdict(capsys, check, answer):
    result = check(answer)
    return result, capsys.readouterr().out


# --- exercise 1: the update rule by hand --------------------------------------------------

def sgd(params, lr, sign=1.0):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= sign * lr * p.grad


def test_sgd_update_right(capsys):
    ok, out = verdict(capsys, check_sgd_update, sgd)
    assert ok.correct is True and out.startswith("Correct") and "max difference 0.0e+00" in out


def rebinds(params, lr):
    for p in params:
        if p.grad is not None:
            p = p - lr * p.grad  # noqa: F841


def without_no_grad(params, lr):
    for p in params:
        if p.grad is not None:
            p -= lr * p.grad


def no_none_guard(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad


@pytest.mark.parametrize("answer, hint", [
    (rebinds, "in place"),
    (without_no_grad, "torch.no_grad()"),
    (no_none_guard, "p.grad is None"),
    (lambda params, lr: sgd(params, lr, sign=-1.0), "uphill"),
    (lambda params, lr: sgd(params, lr * 2), "differ from"),
])
def test_sgd_update_mistakes(capsys, answer, hint):
    ok, out = verdict(capsys, check_sgd_update, answer)
    assert ok.correct is False and out.startswith("Not yet") and hint in out, out


# --- exercise 2: momentum -------------------------------------------------------------------

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


@pytest.mark.parametrize("answer, hint", [
    (velocity_rebound, "in place"),
    (damped, "at step 1"),
    (lambda params, v, lr, beta: sgd(params, lr), "still zero"),
    (lambda params, v, lr, beta: None, "did not change"),
])
def test_momentum_update_mistakes(capsys, answer, hint):
    ok, out = verdict(capsys, check_momentum_update, answer)
    assert ok.correct is False and out.startswith("Not yet") and hint in out, out


# --- exercise 3: the training loop ----------------------------------------------------------

def train(model, x, y, optimizer, steps, zero=True, step=True, item=True):
    losses = []
    for _ in range(steps):
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


@pytest.mark.parametrize("answer, hint", [
    (lambda *a: train(*a, zero=False), "add up"),
    (lambda *a: train(*a, step=False), "optimizer.step()"),
    (lambda *a: train(*a, item=False), "Tensor"),
    (lambda *a: train(*a)[:3], "3 losses"),
    (lambda *a: None, "NoneType"),
    (lambda m, x, y, o, s: [F.mse_loss(m(x), F.one_hot(y, 3).float()).item()] * 0
     + train(m, x, y, o, s - 1) + [0.0], "differ from"),
])
def test_train_mistakes(capsys, answer, hint):
    ok, out = verdict(capsys, check_train, answer)
    assert ok.correct is False and out.startswith("Not yet") and hint in out, out

# The stub, not-a-function and random-stream tests of these checks are in
# tests/test_lesson03_checks.py, run over the checks of both notebooks.
