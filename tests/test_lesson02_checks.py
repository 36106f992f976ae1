"""The checks of notebook 02: right answers pass; each typical wrong answer first hears what
is off, then (hint=2) a hint, in one line that never gives the solution away."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from conftest import assert_tiers, feedback, leaves_random_stream_alone
from course_utils.exercises import (check_count_nodes, check_cross_entropy,
                                    check_regression_fixed, check_uniform_loss)


TORCH = tuple(int(part) for part in torch.__version__.split(".")[:2])


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


def naive_cross_entropy(scores, labels):
    probs = torch.exp(scores) / torch.exp(scores).sum(1, keepdim=True)
    return -torch.log(probs)[range(len(labels)), labels].mean()


def log_probs(scores, labels):
    return F.log_softmax(scores, 1)[range(len(labels)), labels]


def regression(model, x, steps=5, dtype=torch.float32, loss=nn.HuberLoss, lr=0.01):
    """The notebook's regression loop; the bug is dtype=torch.int64."""
    target = torch.arange(1, 11, dtype=dtype).view(1, -1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    criterion = loss()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        value = criterion(model(x), target)
        value.backward()
        optimizer.step()
        losses.append(value.item())
    return losses


CORRECT = [
    (check_uniform_loss, (math.log(5),)),
    (check_uniform_loss, (1.61,)),
    (check_uniform_loss, (torch.tensor(1.6094),)),
    (check_regression_fixed, (regression,)),
    (check_regression_fixed, (lambda m, x, steps=5: regression(m, x, steps, torch.float),)),
    (check_cross_entropy, (lambda scores, labels: -log_probs(scores, labels).mean(),)),
    (check_count_nodes, (count_nodes,)),
]


@pytest.mark.parametrize("check, args", CORRECT, ids=lambda x: getattr(x, "__name__", ""))
def test_correct_answer_passes(check, args):
    verdict, out = feedback(check, *args)
    assert verdict.correct is True and out.startswith("Correct!"), out


def test_the_buggy_regression_loop_fails_on_every_release():
    """HuberLoss's backward refuses an integer target (MSELoss's depends on the release)."""
    with pytest.raises(RuntimeError, match="Long|dtype"):
        regression(nn.Linear(4, 10), torch.randn(1, 4), dtype=torch.int64)


WRONG = [  # (check, answer, what hint=1 says, what hint=2 adds)
    (check_uniform_loss, math.log(10), "among 10 classes", "share the probability"),
    (check_uniform_loss, 0.2, "probability of the right class", "-log p"),
    (check_uniform_loss, -1.6094, "never negative", "positive"),
    (check_uniform_loss, 5.0, "not what F.cross_entropy gives", "same probability"),
    (check_uniform_loss, "1.6094", "one number", ""),
    (check_uniform_loss, [1.6], "one number", ""),
    (check_uniform_loss, float("nan"), "one number", ""),
    (check_regression_fixed, lambda m, x, steps=5: regression(m, x, steps, torch.int64),
     "backward() still fails", "what dtype"),
    # MSELoss's backward with an integer target raises before PyTorch 2.12 and runs since
    (check_regression_fixed, lambda m, x, steps=5: regression(m, x, steps, torch.int64,
                                                              nn.MSELoss),
     "differ" if TORCH >= (2, 12) else "backward() still fails",
     "change only" if TORCH >= (2, 12) else "what dtype"),
    (check_regression_fixed, lambda m, x, steps=5: regression(m, x, steps, lr=0.1), "differ",
     "change only"),
    (check_regression_fixed, lambda m, x, steps=5: regression(m, x, 3), "list of 5 losses",
     "only the bug"),
    (check_regression_fixed, lambda m, x, steps=5: None, "got NoneType", "only the bug"),
    (check_regression_fixed, lambda m, x, steps=5: ["a"] * 5, "should be numbers", "Python number"),
    (check_cross_entropy, naive_cross_entropy, "exp(1000) overflows", "stable step"),
    (check_cross_entropy, lambda s, y: log_probs(s, y).mean(), "sign is flipped", "own label"),
    (check_cross_entropy, lambda s, y: -log_probs(s, y).sum(), "a sum", "own label"),
    (check_cross_entropy, lambda s, y: -log_probs(s, y), "0-d tensor", ""),
    (check_cross_entropy, lambda s, y: -F.log_softmax(s, 1)[:, y].mean(), "F.cross_entropy gives",
     "own label"),
    (check_cross_entropy, lambda s, y: F.cross_entropy(F.softmax(s, 1), y),
     "F.cross_entropy gives", "own label"),  # softmax twice
    (check_cross_entropy, lambda s, y: -log_probs(s, y).mean().item(), "expected a torch.Tensor",
     ""),
    (check_cross_entropy, lambda s, y: -log_probs(s, y).mean().detach(), "cut off from autograd",
     ""),
    (check_count_nodes, count_without_set, "counts twice", "remember the nodes"),
    (check_count_nodes, count_first_branch, "but there are", "every entry of next_functions"),
    (check_count_nodes, count_without_skipping_none, "NoneType", "skip None"),
    (check_count_nodes, lambda t: None, "returned None", "`return`"),
    (check_count_nodes, lambda t: "3", "but there are 3 nodes", "AccumulateGrad"),
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
