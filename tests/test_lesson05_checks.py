"""The checks of notebook 05: right answers pass; each typical wrong answer first hears what
is off, then (hint=2) a hint, in one line that never gives the solution away."""
import pytest
import torch
import torch.nn.functional as F

import course_utils as cu
from conftest import assert_tiers, feedback, leaves_random_stream_alone
from course_utils.exercises import (check_confusion_counts, check_dropout_values,
                                    check_epoch_choice, check_fit_fixed)


def fit(model, loader, val_loader, optimizer, epochs, train_each_epoch=True, eval_mode=True,
        no_grad=True, steps=True, returns="list"):
    """The exercise's loop; the bug is train_each_epoch=False (model.train() once, before)."""
    accuracies = []
    if not train_each_epoch:
        model.train()
    for _ in range(epochs):
        if train_each_epoch:
            model.train()
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            if steps:
                optimizer.step()
        if eval_mode:
            model.eval()
        with torch.set_grad_enabled(not no_grad):
            correct = sum((model(x).argmax(dim=1) == y).sum().item() for x, y in val_loader)
        accuracies.append(correct / len(val_loader.dataset))
    return {"list": accuracies, "tuple": tuple(accuracies), "none": None,
            "last": accuracies[-1]}[returns]


def fancy_index_count(predictions, labels):  # each repeated (label, prediction) counts once
    counts = torch.zeros(10, 10, dtype=torch.int64)
    counts[labels, predictions] += 1
    return counts


def confusion_counts(predictions, labels):
    counts = torch.zeros(10, 10, dtype=torch.int64)
    for label, prediction in zip(labels, predictions):
        counts[label, prediction] += 1
    return counts


def one_count_moved(predictions, labels):
    counts = confusion_counts(predictions, labels)
    counts[0, 0] -= 1
    counts[0, 1] += 1
    return counts


HISTORY = cu.History(val_loss=[0.46, 0.31, 0.20, 0.176, 0.158, 0.1561, 0.1604, 0.1504],
                     val_acc=[0.864, 0.914, 0.942, 0.952, 0.958, 0.962, 0.958, 0.955])

CORRECT = [
    (check_dropout_values, ({0.0, 2.0}, {1.0}), {}),
    (check_dropout_values, ([0, 2, 2, 0], torch.ones(3)), {}),
    (check_fit_fixed, (fit,), {}),
    (check_fit_fixed, (lambda *args: fit(*args, returns="tuple"),), {}),
    (check_epoch_choice, (8, 0.1504), {"history": HISTORY}),
    (check_epoch_choice, (8.0, torch.tensor(0.15042)), {"history": HISTORY}),
    (check_confusion_counts, (confusion_counts,), {}),
]


@pytest.mark.parametrize("check, args, kwargs", CORRECT,
                         ids=lambda x: getattr(x, "__name__", ""))
def test_correct_answer_passes(check, args, kwargs):
    verdict, out = feedback(check, *args, **kwargs)
    assert verdict.correct is True and out.startswith("Correct!"), out


def test_the_buggy_loop_trains_with_dropout_off_after_its_first_epoch():
    """What the exercise's text says of the buggy loop, on the check's own model."""
    from course_utils.exercises.lesson05 import _run_fit
    _, seen = _run_fit(lambda *args: fit(*args, train_each_epoch=False))
    train = [training for batch, training, _ in seen if batch == 50]
    assert train == [True] * 4 + [False] * 8


WRONG = [  # (check, answers, evidence, what hint=1 says, what hint=2 adds)
    (check_dropout_values, ({0, 1}, {1}), {}, "do not stay 1", "average"),
    (check_dropout_values, ({0, 2}, {0, 2}), {}, "evaluation mode", "measured and used"),
    (check_dropout_values, ({0, 0.5}, {1}), {}, "training mode", "chance that a value is zeroed"),
    (check_dropout_values, ({0.5}, {1}), {}, "training mode", "average"),
    (check_dropout_values, ("0, 2", {1}), {}, "set of numbers", ""),
    (check_dropout_values, (None, {1}), {}, "still None", ""),
    (check_fit_fixed, (lambda *a: fit(*a, train_each_epoch=False),), {}, "8 of 12 training batches",
     "last put in"),
    (check_fit_fixed, (lambda *a: fit(*a, eval_mode=False),), {}, "dropout was on while measuring",
     "accuracy part was right"),
    (check_fit_fixed, (lambda *a: fit(*a, no_grad=False),), {}, "recorded a graph",
     "accuracy part was right"),
    (check_fit_fixed, (lambda *a: fit(*a, steps=False),), {}, "not what this training gives",
     "training steps"),
    (check_fit_fixed, (lambda *a: fit(*a, returns="none"),), {}, "is None: does your function `return`",
     "only the bug"),
    (check_fit_fixed, (lambda *a: fit(*a, returns="last"),), {}, "has shape (), expected (3,)", "only the bug"),
    (check_fit_fixed, (lambda m, loader, val_loader, opt, epochs: [0.1] * epochs,), {},
     "0 training and 0 validation batches", "two loops"),
    (check_epoch_choice, (6, 0.1561), {"history": HISTORY}, "best validation accuracy",
     "which number did this notebook compare"),
    (check_epoch_choice, (7, 0.1604), {"history": HISTORY}, "one epoch too early", "count from 1"),
    (check_epoch_choice, (3, 0.20), {"history": HISTORY}, "another epoch", "lower or higher"),
    (check_epoch_choice, (8, 0.955), {"history": HISTORY}, "is not epoch 8's validation loss",
     "copy the number"),
    (check_epoch_choice, (9, 0.15), {"history": HISTORY}, "from 1 to 8", ""),
    (check_epoch_choice, ("8", 0.15), {"history": HISTORY}, "from 1 to 8", ""),
    (check_epoch_choice, (8, "0.15"), {"history": HISTORY}, "its_val_loss should be one number",
     ""),
    (check_epoch_choice, (None, None), {"history": HISTORY}, "still None", ""),
    (check_confusion_counts, (lambda p, y: confusion_counts(y, p),), {}, "swapped",
     "the row is the true digit"),
    (check_confusion_counts, (lambda p, y: 2 * confusion_counts(p, y),), {}, "add up to 400",
     "exactly 1"),
    (check_confusion_counts, (one_count_moved,), {}, "some counts are off", "by hand"),
    (check_confusion_counts, (fancy_index_count,), {}, "writes a repeated index pair only once",
     "must add 5"),
    (check_confusion_counts, (lambda p, y: torch.zeros(10),), {}, "expected (10, 10)", "one row per true digit"),
    (check_confusion_counts, (lambda p, y: torch.full((10, 10), float("nan")),), {}, "NaN",
     "add ones"),
]


@pytest.mark.parametrize("check, answers, evidence, first, second", WRONG,
                         ids=[f"{c.__name__}-{i}" for i, (c, *_) in enumerate(WRONG)])
def test_wrong_answer_tiers(check, answers, evidence, first, second):
    assert_tiers(check, answers, evidence, first, second)


def test_the_find_the_bug_feedback_never_names_the_fix():
    _, out = feedback(check_fit_fixed, lambda *a: fit(*a, train_each_epoch=False), hint=2)
    assert ".train()" not in out and "inside" not in out and "each epoch" not in out, out


def test_the_dropout_feedback_never_names_the_values():
    for answer in (({0, 1}, {1}), ({0, 0.5}, {1}), ({0, 2}, {0, 2})):
        _, out = feedback(check_dropout_values, *answer, hint=2)
        assert "2" not in out and "doubl" not in out and "1.0" not in out, out


def test_the_epoch_choice_never_names_the_best_epoch():
    _, out = feedback(check_epoch_choice, 3, 0.20, history=HISTORY, hint=2)
    assert "8" not in out and "0.15" not in out, out


def test_a_string_answer_is_never_evaluated(tmp_path):
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').close()"
    for check, args, kwargs in CORRECT:
        assert feedback(check, *([code] * len(args)), **kwargs)[0].correct is False
    assert not marker.exists()


def test_checks_leave_the_global_random_stream_alone():
    assert leaves_random_stream_alone(
        lambda: [feedback(check, *args, **kwargs) for check, args, kwargs in CORRECT])
