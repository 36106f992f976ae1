"""The checks of notebook 02: right answers pass; each typical wrong answer first hears what
is off, then (hint=2) a hint, in one line that never gives the solution away."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from conftest import assert_tiers, feedback, leaves_random_stream_alone
from course_utils.exercises import (check_count_nodes, check_fit_line_fixed,
                                    check_hesitant_loss, check_soft_cross_entropy)


def count_nodes(tensor):
    seen, todo = set(), [tensor.grad_fn]
    while todo:
        node = todo.pop()
        if node is not None and node not in seen:
            seen.add(node)
            todo.extend(n for n, _ in node.next_functions)
    return len(seen)


def count_without_set(tensor):
    count, todo = 0, [tensor.grad_fn]
    while todo:
        node = todo.pop()
        if node is not None:
            count += 1
            todo.extend(n for n, _ in node.next_functions)
    return count


def count_first_branch(tensor):
    count, node = 0, tensor.grad_fn
    while node is not None:
        count += 1
        node = node.next_functions[0][0] if node.next_functions else None
    return count


def count_without_skipping_none(tensor):
    seen, todo = set(), [tensor.grad_fn]
    while todo:
        node = todo.pop()
        seen.add(node)
        todo.extend(n for n, _ in node.next_functions)
    return len(seen)


def fit_line(x, y, steps=200, fix=lambda y: y.view(-1, 1), lr=0.1):
    """The notebook's fit_line; fix=lambda y: y keeps its bug (y of shape (N,))."""
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = ((model(x) - fix(y)) ** 2).mean()
        loss.backward()
        optimizer.step()
    return model.weight.item(), model.bias.item()


def fit_line_squeezed(x, y, steps=200):
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        optimizer.zero_grad()
        F.mse_loss(model(x).squeeze(1), y).backward()
        optimizer.step()
    return model.weight, model.bias  # tensors of one number: accepted too


def soft(scores, probs, dim=1):
    return -(probs * F.log_softmax(scores, dim=dim)).sum(dim=1)


def naive_soft(scores, probs):
    return -(probs * torch.log(F.softmax(scores, dim=1))).sum(1).mean()


CORRECT = [
    (check_hesitant_loss, (math.log(2),)),
    (check_hesitant_loss, (0.69,)),
    (check_hesitant_loss, (torch.tensor(0.6933),)),
    (check_fit_line_fixed, (fit_line,)),
    (check_fit_line_fixed, (lambda x, y, steps=200: fit_line(x, y, steps, fix=lambda y: y.unsqueeze(1)),)),
    (check_fit_line_fixed, (fit_line_squeezed,)),
    (check_soft_cross_entropy, (lambda scores, probs: soft(scores, probs).mean(),)),
    (check_soft_cross_entropy, (lambda scores, probs: torch.sum(
        -probs * torch.log_softmax(scores, -1)) / len(scores),)),
    (check_count_nodes, (count_nodes,)),
]


@pytest.mark.parametrize("check, args", CORRECT, ids=lambda x: getattr(x, "__name__", ""))
def test_correct_answer_passes(check, args):
    verdict, out = feedback(check, *args)
    assert verdict.correct is True and out.startswith("Correct!"), out


def test_the_buggy_fit_line_learns_a_flat_line_without_a_warning():
    """The bug the notebook shows: y of shape (N,) broadcasts against (N, 1), silently."""
    import warnings

    x = torch.linspace(-1, 1, 20).view(-1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w, b = fit_line(x, 3 * x.view(-1) + 1, fix=lambda y: y)
    assert abs(w) < 0.01 and abs(b - 1) < 0.01


WRONG = [  # (check, answer, what hint=1 says, what hint=2 adds)
    (check_hesitant_loss, math.log(10), "blind guess among 10 digits", "share the probability"),
    (check_hesitant_loss, 0.0004, "confident right answer", "what probability"),
    (check_hesitant_loss, 10.0, "confident wrong answer", "what probability"),
    (check_hesitant_loss, 0.5, "probability of the right digit", "and the loss?"),
    (check_hesitant_loss, math.log(5), "not what F.cross_entropy gives", "e**10 next to e**0"),
    (check_hesitant_loss, -0.6931, "not what F.cross_entropy gives", "e**10 next to e**0"),
    (check_hesitant_loss, "0.6931", "one number", ""),
    (check_hesitant_loss, [0.69, 0.69], "one number", ""),
    (check_hesitant_loss, float("nan"), "one number", ""),
    (check_fit_line_fixed, lambda x, y, steps=200: fit_line(x, y, steps, fix=lambda y: y),
     "a flat line, still the bug", "the difference's shape"),
    (check_fit_line_fixed, lambda x, y, steps=200: fit_line(x, y, steps, fix=lambda y: y.view(1, -1)),
     "a flat line, still the bug", "the difference's shape"),
    (check_fit_line_fixed, lambda x, y, steps=200: fit_line(x, y, 5), "not the line of the points",
     "change only the loss"),
    (check_fit_line_fixed, lambda x, y, steps=200: fit_line(x, y, lr=0.001),
     "not the line of the points", "change only the loss"),
    (check_fit_line_fixed, lambda x, y, steps=200: None, "got None", "last line"),
    (check_fit_line_fixed, lambda x, y, steps=200: fit_line(x, y)[0], "two numbers, got -1.99", "last line"),
    (check_fit_line_fixed, lambda x, y, steps=200: ("w", "b"), "got ('w', 'b')", "last line"),
    (check_fit_line_fixed, lambda x, y, steps=200: fit_line(x, y, fix=lambda y: y.view(20, 1)),
     "RuntimeError", ".shape"),  # the notebook's 20 points hard-coded
    (check_soft_cross_entropy, naive_soft, "log(0) is -inf", "stable step"),
    (check_soft_cross_entropy, lambda s, p: -(p * torch.log(torch.exp(s) / torch.exp(s).sum(1,
     keepdim=True))).sum(1).mean(), "NaN or infinite", "stable step"),
    (check_soft_cross_entropy, lambda s, p: soft(s, p).sum(), "4 times the loss", "whole batch"),
    (check_soft_cross_entropy, lambda s, p: -soft(s, p).mean(), "sign is flipped", "never negative"),
    (check_soft_cross_entropy, lambda s, p: -(p * F.log_softmax(s, 1)).sum(0).mean(),
     "F.cross_entropy gives", "weigh the log-probabilities"),
    (check_soft_cross_entropy, lambda s, p: soft(s, p, dim=0).mean(), "over the batch (dim 0), not",
     "holds the classes"),
    (check_soft_cross_entropy, lambda s, p: -(p * F.log_softmax(s, 1)).mean(),
     "an average over the classes", "only the rows"),
    (check_soft_cross_entropy, lambda s, p: F.nll_loss(F.log_softmax(s, 1), p.argmax(1)),
     "F.cross_entropy gives", "weigh the log-probabilities"),
    (check_soft_cross_entropy, lambda s, p: F.cross_entropy(s, p),
     "calls F.cross_entropy", "log of the softmax"),   # the function to match, not the way
    (check_soft_cross_entropy, lambda s, p: torch.nn.CrossEntropyLoss()(s, p),
     "calls F.cross_entropy", "log of the softmax"),
    (check_soft_cross_entropy, lambda s, p: soft(s, p), "0-d tensor", "one number per row"),
    (check_soft_cross_entropy, lambda s, p: soft(F.softmax(s, 1), p).mean(),
     "F.cross_entropy gives", "weigh"),  # softmax twice
    (check_soft_cross_entropy, lambda s, p: soft(s, p).mean().item(), "cut off from autograd",
     ""),
    (check_soft_cross_entropy, lambda s, p: soft(s, p).mean().detach(), "cut off from autograd",
     ""),
    (check_soft_cross_entropy, lambda s, p: soft(s, p.T).mean(), "RuntimeError", ".shape"),
    (check_count_nodes, count_without_set, "counts twice", "remember the nodes"),
    (check_count_nodes, count_first_branch, "but there are", "every entry of next_functions"),
    (check_count_nodes, count_without_skipping_none, "NoneType", "which one can be None"),
    (check_count_nodes, lambda t: None, "you counted None", "every entry of next_functions"),
    (check_count_nodes, lambda t: "3", "but there are 3 nodes", "down to the leaves"),
]


@pytest.mark.parametrize("check, answer, first, second", WRONG,
                         ids=[f"{c.__name__}-{i}" for i, (c, *_) in enumerate(WRONG)])
def test_wrong_answer_tiers(check, answer, first, second):
    assert_tiers(check, (answer,), {}, first, second)


def test_count_nodes_reports_lenet_count():
    _, out = feedback(check_count_nodes, count_nodes)
    assert "3 behind (x * x).sum()" in out and "5 behind (w * 2 + b).sum()" in out


def test_checks_leave_the_global_random_stream_alone():
    assert leaves_random_stream_alone(lambda: [feedback(check, *args) for check, args in CORRECT])


def test_soft_targets_generalise_the_class_index_loss():
    """What the exercise rests on: F.cross_entropy takes probabilities, one-hot rows give the
    class-index loss, and label smoothing is a probability target."""
    scores, labels = torch.randn(5, 10), torch.tensor([0, 3, 3, 9, 1])
    one_hot = F.one_hot(labels, 10).float()
    assert torch.allclose(F.cross_entropy(scores, one_hot), F.cross_entropy(scores, labels))
    smoothed = 0.9 * one_hot + 0.01
    assert torch.allclose(F.cross_entropy(scores, smoothed),
                          F.cross_entropy(scores, labels, label_smoothing=0.1))
