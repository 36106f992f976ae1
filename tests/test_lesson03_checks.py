"""The checks of notebook 03's exercises: right answers pass; each typical wrong answer
first hears what is off, then (hint=2) a hint, in one line that never gives the solution
away; every check of notebooks 03 and 04 leaves the notebook's random stream alone."""
import pytest
import torch
import torch.nn.functional as F

from conftest import assert_tiers, feedback, leaves_random_stream_alone
from course_utils.exercises import (check_accumulate_gradients, check_finite_difference,
                                    check_grad_after_three_backward, check_momentum_update,
                                    check_neuron_grads, check_train)


def verdict(capsys, check, answer):
    return feedback(check, answer)


# --- exercise 1: finite differences ------------------------------------------------------

def central(f, x, h=1e-6, scale=1.0, sign=1.0):
    grad = torch.zeros_like(x)
    for i in range(len(x)):
        up, down = x.clone(), x.clone()
        up[i] += h
        down[i] -= h
        grad[i] = sign * (f(up) - f(down)) / (scale * h)
    return grad


def test_finite_difference_right(capsys):
    ok, out = verdict(capsys, check_finite_difference, lambda f, x, h=1e-6: central(f, x, h, 2))
    assert ok.correct is True and out.startswith("Correct")


def in_place(f, x, h=1e-6):
    grad = torch.zeros_like(x)
    for i in range(len(x)):
        x[i] += h
        grad[i] = (f(x) - f(x - 0)) / h  # forgets to put x back
    return grad


def nudged_back(f, x, h=1e-6):
    grad = torch.zeros_like(x)
    for i in range(len(x)):
        x[i] += h
        up = f(x)
        x[i] -= 2 * h
        down = f(x)
        x[i] += h                            # back, but not always to the same last bit
        grad[i] = (up - down) / (2 * h)
    return grad


@pytest.mark.parametrize("answer, hint, more", [
    (lambda f, x, h=1e-6: central(f, x, h, 1), "twice autograd's", "2 * h apart"),
    (nudged_back, "by rounding", "copy"),
    (lambda f, x, h=1e-6: central(f, x, h, 2, -1), "sign", "x - h from"),
    (in_place, "changed x", "copy"),
    (lambda f, x, h=1e-6: None, "return", "one central difference"),
    (lambda f, x, h=1e-6: central(f, x, h, 2)[:2], "shape", "shaped like x"),
    (lambda f, x, h=1e-6: torch.ones_like(x), "not autograd's gradient", "one entry at a time"),
    (lambda f, x, h=1e-6: central(f, x, 0.0, 2), "NaN", "shaped like x"),
])
def test_finite_difference_mistakes(answer, hint, more):
    assert_tiers(check_finite_difference, (answer,), {}, hint, more)


# --- exercise 2: the chain rule by hand ---------------------------------------------------

def neuron(x, w, b, t, factor=2.0, sigmoid_slope=True, dz_dx="w"):
    a = torch.sigmoid(w @ x + b)
    dz = factor * (a - t) * (a * (1 - a) if sigmoid_slope else 1)
    return dz * x, dz * {"w": w, "x": x}[dz_dx]


def test_neuron_grads_right(capsys):
    ok, out = verdict(capsys, check_neuron_grads, neuron)
    assert ok.correct is True and out.startswith("Correct! dL/dw: ") and "dL/dx: " in out


@pytest.mark.parametrize("answer, hint, more", [
    (lambda *a: neuron(*a, dz_dx="x"), "your dL/dx is dL/dw", "how does z move with x[0]"),
    (lambda *a: neuron(*a)[::-1], "swapped", "in that order"),
    (lambda *a: neuron(*a, factor=1.0), "half the right gradient", "factor 2"),
    (lambda *a: neuron(*a, factor=-2.0), "sign is flipped", "above the target"),
    (lambda *a: neuron(*a, sigmoid_slope=False), "dL/dw: wrong", "sigmoid's slope"),
    (lambda *a: neuron(*a)[0], "pair", "return both"),
    (lambda *a: (neuron(*a)[0][:1], neuron(*a)[1]), "shape", ""),
    (lambda *a: (neuron(*a)[0], None), "None", ""),
])
def test_neuron_grads_mistakes(answer, hint, more):
    assert_tiers(check_neuron_grads, (answer,), {}, hint, more)


# --- exercise 3: gradient accumulation ----------------------------------------------------

def accumulate(model, x, y, chunks, zero=True, weight="size"):
    if zero:
        model.zero_grad()
    for xc, yc in zip(x.chunk(chunks), y.chunk(chunks)):
        scale = {"size": len(yc) / len(y), "count": 1 / chunks, "none": 1.0}[weight]
        (F.cross_entropy(model(xc), yc) * scale).backward()


def test_accumulate_gradients_right(capsys):
    ok, out = verdict(capsys, check_accumulate_gradients, accumulate)
    assert ok.correct is True and out.startswith("Correct")


def zero_inside(model, x, y, chunks):
    for xc, yc in zip(x.chunk(chunks), y.chunk(chunks)):
        model.zero_grad()
        (F.cross_entropy(model(xc), yc) * len(yc) / len(y)).backward()


@pytest.mark.parametrize("answer, hint, more", [
    (lambda *a: accumulate(*a, zero=False), "still in there", "when may the old gradients go"),
    (lambda *a: accumulate(*a, weight="none"), "times the full-batch", "how many chunks"),
    (lambda *a: accumulate(*a, zero=False, weight="none"), "two things", "one at a time"),
    (lambda *a: accumulate(*a, weight="count"), "unequal size", "a chunk of 2 items"),
    (zero_inside, "differ from one backward", "only the last one's"),
    (lambda model, *a: model.zero_grad(), "no gradients", "what fills .grad"),
])
def test_accumulate_gradients_mistakes(answer, hint, more):
    assert_tiers(check_accumulate_gradients, (answer,), {}, hint, more)


# --- every check of notebooks 03 and 04 -------------------------------------------------

CHECKS = [check_finite_difference, check_neuron_grads, check_accumulate_gradients,
          check_momentum_update, check_train]


@pytest.mark.parametrize("check", CHECKS)
def test_checks_leave_the_notebooks_random_stream_alone(check):
    assert leaves_random_stream_alone(lambda: feedback(check, lambda *a: None))


# --- exercise 4: predict .grad after three backward() calls --------------------------------

@pytest.mark.parametrize("answer", [32, 32.0, torch.tensor(32.0)])
def test_grad_after_three_backward_right(answer):
    verdict, out = feedback(check_grad_after_three_backward, answer)
    assert verdict.correct is True and out.startswith("Correct! 32"), out


@pytest.mark.parametrize("answer, first, second", [
    (44, "still holds loss_a's gradient", "setting .grad to None"),
    (27, "leaves out the last backward()", "replace .grad, or add to it"),
    (5, "last call's gradient alone", "what does loss_b leave"),
    (14, "treats y as a number", "changes with w too"),
    (12, "not what the code leaves", "after each line"),
    ("32", "one number, such as 0.5; got '32'", ""),
])
def test_grad_after_three_backward_tiers(answer, first, second):
    assert_tiers(check_grad_after_three_backward, (answer,), {}, first, second)
