"""The checks of notebook 05: right answers pass; each typical wrong answer first hears what
is off, then (hint=2) a hint, in one line that never gives the solution away."""
import pytest
import torch

import course_utils as cu
from conftest import assert_tiers, feedback, leaves_random_stream_alone
from course_utils.exercises import check_accuracy_fixed, check_confusion_counts, check_epoch_choice


def accuracy(model, loader, eval_mode=True, no_grad=True, per_batch=False):
    """The notebook's evaluation; the bug is eval_mode=False, no_grad=False."""
    if eval_mode:
        model.eval()
    correct = total = 0
    shares = []
    with torch.set_grad_enabled(not no_grad):
        for x, y in loader:
            right = (model(x).argmax(dim=1) == y).sum().item()
            correct, total = correct + right, total + len(y)
            shares.append(right / len(y))
    return sum(shares) if per_batch else correct / total


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
    (check_accuracy_fixed, (accuracy,), {}),
    (check_accuracy_fixed, (lambda m, loader: torch.tensor(accuracy(m, loader)),), {}),
    (check_epoch_choice, (8, 0.1504), {"history": HISTORY}),
    (check_epoch_choice, (8.0, torch.tensor(0.15042)), {"history": HISTORY}),
    (check_confusion_counts, (confusion_counts,), {}),
]


@pytest.mark.parametrize("check, args, kwargs", CORRECT,
                         ids=lambda x: getattr(x, "__name__", ""))
def test_correct_answer_passes(check, args, kwargs):
    verdict, out = feedback(check, *args, **kwargs)
    assert verdict.correct is True and out.startswith("Correct!"), out


def test_the_buggy_evaluation_differs_from_call_to_call():
    """The check's model has dropout: in train mode the accuracy is not even stable."""
    from course_utils.exercises.lesson05 import _dropout_case
    model, loader = _dropout_case()
    model.train()
    torch.manual_seed(0)
    results = {accuracy(model, loader, eval_mode=False) for _ in range(5)}
    assert len(results) > 1


WRONG = [  # (check, answers, evidence, what hint=1 says, what hint=2 adds)
    (check_accuracy_fixed, (lambda m, l: accuracy(m, l, eval_mode=False, no_grad=False),), {},
     "training mode", "evaluation behaviour"),
    (check_accuracy_fixed, (lambda m, l: accuracy(m, l, eval_mode=False),), {}, "training mode",
     "evaluation behaviour"),
    (check_accuracy_fixed, (lambda m, l: accuracy(m, l, no_grad=False),), {}, "recorded a graph",
     "switches autograd off"),
    (check_accuracy_fixed, (lambda m, l: 100 * accuracy(m, l),), {}, "share of right answers",
     "divide once"),
    (check_accuracy_fixed, (lambda m, l: accuracy(m, l, per_batch=True),), {},
     "share of right answers", "divide once"),
    (check_accuracy_fixed, (lambda m, l: None,), {}, "returned NoneType", "only the bugs"),
    (check_accuracy_fixed, (lambda m, l: 0.5,), {}, "never called the model", "loop over"),
    (check_epoch_choice, (6, 0.1561), {"history": HISTORY}, "best validation accuracy",
     "loss column"),
    (check_epoch_choice, (7, 0.1604), {"history": HISTORY}, "one before", "from 1"),
    (check_epoch_choice, (3, 0.20), {"history": HISTORY}, "another epoch", "take the lowest"),
    (check_epoch_choice, (8, 0.955), {"history": HISTORY}, "is not epoch 8's validation loss",
     "copy the number"),
    (check_epoch_choice, (9, 0.15), {"history": HISTORY}, "from 1 to 8", ""),
    (check_epoch_choice, ("8", 0.15), {"history": HISTORY}, "from 1 to 8", ""),
    (check_epoch_choice, (8, "0.15"), {"history": HISTORY}, "should be a number", ""),
    (check_epoch_choice, (None, None), {"history": HISTORY}, "still None", ""),
    (check_confusion_counts, (lambda p, y: confusion_counts(y, p),), {}, "swapped",
     "the row is the true digit"),
    (check_confusion_counts, (lambda p, y: 2 * confusion_counts(p, y),), {}, "add up to 400",
     "exactly 1"),
    (check_confusion_counts, (one_count_moved,), {}, "some counts are off", "counted by hand"),
    (check_confusion_counts, (lambda p, y: torch.zeros(10),), {}, "expected (10, 10)", "zeros"),
    (check_confusion_counts, (lambda p, y: torch.full((10, 10), float("nan")),), {}, "NaN",
     "zeros"),
]


@pytest.mark.parametrize("check, answers, evidence, first, second", WRONG,
                         ids=[f"{c.__name__}-{i}" for i, (c, *_) in enumerate(WRONG)])
def test_wrong_answer_tiers(check, answers, evidence, first, second):
    assert_tiers(check, answers, evidence, first, second)


def test_the_find_the_bug_feedback_never_names_the_fix():
    for bug in ({"eval_mode": False}, {"no_grad": False}):
        _, out = feedback(check_accuracy_fixed, lambda m, l: accuracy(m, l, **bug), hint=2)
        assert ".eval()" not in out and "no_grad" not in out, out


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
