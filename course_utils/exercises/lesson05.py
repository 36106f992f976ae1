"""Checks for the exercises of notebooks/05_training_on_mnist.ipynb.

Each check calls the learner's function on small inputs made here (or reads the
notebook's training history) and compares the result with a reference computed here;
it prints one line and returns a Verdict.
"""
from __future__ import annotations

import torch
from torch import nn

from . import Verdict, checks_function, checks_value, say, tensor_problem
from .lesson01 import _as_int

__all__ = ["check_accuracy_fixed", "check_epoch_choice", "check_confusion_counts"]


def _dropout_case(seed: int = 50):
    """A small classifier with dropout (so train mode shows) and a loader of 200 inputs."""
    from torch.utils.data import DataLoader, TensorDataset

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Flatten(), nn.Linear(16, 64), nn.ReLU(), nn.Dropout(0.5),
                              nn.Linear(64, 10))
    generator = torch.Generator().manual_seed(seed)
    x, y = torch.randn(200, 1, 4, 4, generator=generator), torch.randint(0, 10, (200,),
                                                                           generator=generator)
    return model, DataLoader(TensorDataset(x, y), batch_size=50)


@checks_function
def check_accuracy_fixed(accuracy) -> Verdict:
    """Check a fixed ``accuracy(model, loader) -> float``: evaluation in eval mode, no graph.

    The exercise gives an evaluation loop with a bug (train mode, autograd on); the
    check runs the learner's fix on a model with dropout, left in training mode as after
    a training epoch, and watches every forward pass.

    Example (notebook 05, exercise 1), on an answer that returns nothing yet:
        >>> check = check_accuracy_fixed(lambda *args, **kwargs: None)
        Not yet: accuracy returned NoneType, expected the share of right answers ...
    """
    model, loader = _dropout_case()
    model.train()
    seen = []
    hook = model.register_forward_hook(
        lambda module, args, out: seen.append((module.training, torch.is_grad_enabled())))
    try:
        with torch.random.fork_rng(devices=[]):  # dropout draws random numbers
            value = accuracy(model, loader)
    finally:
        hook.remove()
    model.eval()
    with torch.random.fork_rng(devices=[]), torch.no_grad():  # iterating a loader draws a seed
        correct = sum((model(x).argmax(1) == y).sum().item() for x, y in loader)
    expected = correct / len(loader.dataset)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return say(False, f"accuracy returned {type(value).__name__}, expected the share of "
                          "right answers as a number.", more="keep the buggy version's "
                          "counting and its return: only the bugs change.")
    if not seen:
        return say(False, "your function never called the model.",
                   more="keep the buggy version's loop over the loader.")
    if any(training for training, _ in seen):
        return say(False, "dropout was still on while you evaluated: the model was in training "
                          "mode, so the accuracy changes from one call to the next.",
                   more="one call switches every layer of a model to its evaluation "
                        "behaviour; the lesson's evaluation loop makes it first.")
    if any(grad for _, grad in seen):
        return say(False, "eval mode is right now, but autograd still recorded a graph for "
                          "every batch: memory and time spent on gradients nobody uses.",
                   more="run the forward passes inside the block that switches autograd off.")
    if abs(value - expected) > 1e-6:
        return say(False, f"{value:.4g} is not the share of right answers (between 0 and 1).",
                   more="count the right answers over all batches, then divide once by the "
                        "number of digits.")
    return say(True, "eval mode (dropout off) and no graph: the accuracy is the same on "
                     "every call, and cheap.")


@checks_value
def check_epoch_choice(best_epoch, its_val_loss, *, history) -> Verdict:
    """Check a choice made from evidence: the epoch with the lowest validation loss.

    history: the notebook's History (from fit); epochs are counted from 1, as printed.

    Example (notebook 05, exercise 2), on a choice not written down yet:
        >>> check = check_epoch_choice(None, None, history=History())
        Not yet: your answer is still None: replace None by your answer, then run this ...
    """
    losses = list(getattr(history, "val_loss", []) or [])
    if not losses:
        return say(False, "pass the history of the training run: history=history.")
    epoch = _as_int(best_epoch)
    if epoch is None or not 1 <= epoch <= len(losses):
        return say(False, f"best_epoch should be an epoch number from 1 to {len(losses)}, "
                          f"got {best_epoch!r:.30}.")
    if isinstance(its_val_loss, torch.Tensor) and its_val_loss.numel() == 1:
        its_val_loss = its_val_loss.item()
    if isinstance(its_val_loss, bool) or not isinstance(its_val_loss, (int, float)):
        return say(False, f"its_val_loss should be a number, got {type(its_val_loss).__name__}.")
    best = min(range(len(losses)), key=losses.__getitem__) + 1
    if losses[epoch - 1] > losses[best - 1]:
        accurate = max(range(len(losses)), key=history.val_acc.__getitem__) + 1
        if epoch == accurate:
            return say(False, f"epoch {epoch} has the best validation accuracy, but another "
                              "epoch has a lower validation loss, which is what the exercise "
                              "asks for.", more="read the loss column, not the accuracy.")
        if epoch + 1 == best:
            return say(False, f"epoch {epoch} is one before the lowest validation loss.",
                       more="the table counts epochs from 1, not from 0.")
        return say(False, f"another epoch has a lower validation loss than epoch {epoch}.",
                   more="read the validation loss of every epoch in the table and take the "
                        "lowest.")
    if abs(its_val_loss - losses[epoch - 1]) > 6e-5:
        return say(False, f"{its_val_loss:g} is not epoch {epoch}'s validation loss.",
                   more="copy the number printed for that epoch.")
    return say(True, f"epoch {epoch}, validation loss {losses[epoch - 1]:.4f}: the model to "
                     "keep (early stopping). The test digits played no part in the choice.")


def _reference_confusion(predictions: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    counts = torch.zeros(10, 10, dtype=torch.int64)
    counts.index_put_((labels, predictions), torch.ones_like(labels), accumulate=True)
    return counts


@checks_function
def check_confusion_counts(confusion_counts) -> Verdict:
    """Exercise 3 (notebook 05): counts[true, predicted], a 10 x 10 tensor of how often.

    Example (notebook 05, exercise 3), on an answer that returns nothing yet:
        >>> check = check_confusion_counts(lambda *args, **kwargs: None)
        Not yet: confusion_counts(...) is None. Hint: does your function ...
    """
    generator = torch.Generator().manual_seed(2)
    labels = torch.randint(0, 10, (200,), generator=generator)
    predictions = torch.where(torch.rand(200, generator=generator) < 0.7, labels,
                              torch.randint(0, 10, (200,), generator=generator))
    expected = _reference_confusion(predictions, labels)
    counts = confusion_counts(predictions, labels)
    problem = tensor_problem(counts, shape=(10, 10), name="confusion_counts(...)")
    if problem:
        return say(False, problem, more="start from a 10 x 10 tensor of zeros.")
    counts, expected = counts.detach().cpu().double(), expected.double()
    if torch.equal(counts, expected):
        return say(True, "row = true digit, column = prediction; the diagonal holds the hits.")
    if torch.equal(counts, expected.T):
        return say(False, "rows and columns are swapped.",
                   more="the row is the true digit, the column the prediction.")
    if counts.sum().item() != len(labels):
        return say(False, f"the counts add up to {counts.sum().item():g}, expected one per digit "
                          f"({len(labels)}).", more="add exactly 1 for every (label, "
                          "prediction) pair.")
    return say(False, "some counts are off.", more="add 1 at [label, prediction] for each pair; "
                      "compare with a few pairs counted by hand.")
