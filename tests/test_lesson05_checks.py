"""The checks of notebook 05: right answers pass, each kind of wrong answer is explained."""
import pytest
import torch

import course_utils as cu
from course_utils.exercises import (check_batch_accuracy, check_confusion_counts,
                                    check_save_and_reload, check_train_one_step)


def train_one_step(model, x, y, optimizer, loss_fn):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def train_without_zero_grad(model, x, y, optimizer, loss_fn):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def train_without_step(model, x, y, optimizer, loss_fn):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    return loss.item()


def batch_accuracy(scores, labels):
    return (scores.argmax(dim=1) == labels).float().mean().item()


def confusion_counts(predictions, labels):
    counts = torch.zeros(10, 10, dtype=torch.int64)
    for label, prediction in zip(labels, predictions):
        counts[label, prediction] += 1
    return counts


def save_and_reload(model, path):
    torch.save(model.state_dict(), path)
    new_model = cu.LeNet()
    new_model.load_state_dict(torch.load(path, weights_only=True))
    return new_model


def save_whole_model(model, path):
    torch.save(model, path)
    return torch.load(path, weights_only=False)


def save_nothing(model, path):
    return cu.LeNet()


def unsolved(*args):
    raise NotImplementedError("Exercise 1 (05_training_on_mnist): stub")


CORRECT = [(check_train_one_step, train_one_step), (check_batch_accuracy, batch_accuracy),
           (check_confusion_counts, confusion_counts), (check_save_and_reload, save_and_reload)]

WRONG = {  # (check, wrong answer, words the feedback must contain)
    "no zero_grad": (check_train_one_step, train_without_zero_grad, "zero_grad"),
    "no step": (check_train_one_step, train_without_step, "optimizer.step()"),
    "loss tensor of wrong kind": (check_train_one_step, lambda *a: "0.5", "loss.item()"),
    "accuracy per column": (check_batch_accuracy,
                            lambda s, y: (s.argmax(0)[:1] == y).float().mean(), "argmax(dim=1)"),
    "accuracy in percent": (check_batch_accuracy, lambda s, y: 100 * batch_accuracy(s, y),
                            "percentage"),
    "accuracy per row, not reduced": (check_batch_accuracy,
                                      lambda s, y: (s.argmax(1) == y).float(), "one number"),
    "confusion transposed": (check_confusion_counts, lambda p, y: confusion_counts(y, p),
                             "swapped"),
    "confusion counted twice": (check_confusion_counts, lambda p, y: 2 * confusion_counts(p, y),
                                "add up to 400"),
    "confusion wrong shape": (check_confusion_counts, lambda p, y: torch.zeros(10),
                              "expected (10, 10)"),
    "confusion NaN": (check_confusion_counts, lambda p, y: torch.full((10, 10), float("nan")),
                      "NaN"),
    "whole model pickled": (check_save_and_reload, save_whole_model, "weights_only=True"),
    "no file": (check_save_and_reload, save_nothing, "no file"),
    "same model back": (check_save_and_reload,
                        lambda m, p: (torch.save(m.state_dict(), p), m)[1], "new"),
    "weights not loaded": (check_save_and_reload,
                           lambda m, p: (torch.save(m.state_dict(), p), cu.LeNet())[1],
                           "predicts differently"),
}


@pytest.mark.parametrize("check, answer", CORRECT, ids=lambda v: getattr(v, "__name__", ""))
def test_correct_answer_passes(check, answer, capsys):
    assert check(answer).correct is True
    out = capsys.readouterr().out
    assert out.startswith("Correct!") and out.count("\n") == 1, out


@pytest.mark.parametrize("case", list(WRONG))
def test_wrong_answer_explained(case, capsys):
    check, answer, words = WRONG[case]
    assert check(answer).correct is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet") and out.count("\n") == 1, out
    assert words in out, out


@pytest.mark.parametrize("check", [c for c, _ in CORRECT], ids=lambda c: c.__name__)
@pytest.mark.parametrize("answer", [None, ..., "batch_accuracy(scores, labels)", 3])
def test_not_a_function_is_explained(check, answer, capsys):
    assert check(answer).correct is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet") and "function" in out, out


def test_a_string_answer_is_never_evaluated(capsys, tmp_path):
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').close()"
    for check, _ in CORRECT:
        assert check(code).correct is False
    assert not marker.exists()
