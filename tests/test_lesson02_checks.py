"""The checks of notebook 02: right answers pass, each kind of wrong answer explains itself."""
import pytest
import torch
import torch.nn.functional as F

from conftest import leaves_random_stream_alone
from course_utils.exercises import check_count_nodes, check_cross_entropy, check_mse


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


CORRECT = [
    (check_mse, lambda output, target: ((output - target) ** 2).mean()),
    (check_cross_entropy, lambda scores, labels: -log_probs(scores, labels).mean()),
    (check_count_nodes, count_nodes),
]


@pytest.mark.parametrize("check, answer", CORRECT, ids=lambda x: getattr(x, "__name__", ""))
def test_correct_answer_passes(check, answer, capsys):
    assert check(answer).correct is True
    assert capsys.readouterr().out.startswith("Correct")


def check_says(check, answer, hint, capsys):
    assert check(answer).correct is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet") and hint in out, out


@pytest.mark.parametrize("answer, hint", [
    (lambda o, t: ((o - t) ** 2).sum(), "a sum"),
    (lambda o, t: ((o - t) ** 2).mean().sqrt(), "no square root"),
    (lambda o, t: (o - t).abs().mean(), "square them"),
    (lambda o, t: -((o - t) ** 2).mean(), "sign is flipped"),
    (lambda o, t: (o - t) ** 2, "0-d tensor"),
    (lambda o, t: ((o - t) ** 2).mean().item(), "expected a torch.Tensor"),
    (lambda o, t: ((o - t) ** 2).mean().detach(), "cut off from autograd"),
    (lambda o, t: None, "None"),
    (lambda o, t: ((o - t) ** 2).mean() / 0, "NaN"),
    (lambda o, t: ((o - t) ** 2).mean() + 1, "((output - target) ** 2).mean()"),
])
def test_mse_wrong_answers(answer, hint, capsys):
    check_says(check_mse, answer, hint, capsys)


@pytest.mark.parametrize("answer, hint", [
    (naive_cross_entropy, "exp(1000) overflows"),
    (lambda s, y: log_probs(s, y).mean(), "sign is flipped"),
    (lambda s, y: -log_probs(s, y).sum(), "a sum"),
    (lambda s, y: -log_probs(s, y), "0-d tensor"),
    (lambda s, y: -F.log_softmax(s, 1)[:, y].mean(), "log_probs[range(N), labels]"),
    (lambda s, y: F.cross_entropy(F.softmax(s, 1), y), "F.cross_entropy gives"),  # double softmax
    (lambda s, y: -log_probs(s, y).mean().item(), "expected a torch.Tensor"),
])
def test_cross_entropy_wrong_answers(answer, hint, capsys):
    check_says(check_cross_entropy, answer, hint, capsys)


@pytest.mark.parametrize("answer, hint", [
    (count_without_set, "counts once"),
    (count_first_branch, "every entry of next_functions"),
    (count_without_skipping_none, "skip None"),
    (lambda t: None, "return"),
    (lambda t: "3", "but there are 3 nodes"),
])
def test_count_nodes_wrong_answers(answer, hint, capsys):
    check_says(check_count_nodes, answer, hint, capsys)


def test_count_nodes_reports_lenet_count(capsys):
    check_count_nodes(count_nodes)
    out = capsys.readouterr().out
    assert "3 behind (x * x).sum()" in out and "5 behind (w * 2 + b).sum()" in out


def test_checks_leave_the_global_random_stream_alone():
    assert leaves_random_stream_alone(lambda: [check(answer) for check, answer in CORRECT])
