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

__all__ = ["check_dropout_values", "check_fit_fixed", "check_epoch_choice",
           "check_confusion_counts"]


def _number_set(values) -> set[float] | None:
    """The learner's values as a set of floats (from a set, list, tuple or tensor), or None."""
    if isinstance(values, torch.Tensor):
        values = values.flatten().tolist()
    if isinstance(values, (int, float)) and not isinstance(values, bool):
        values = [values]
    if not isinstance(values, (set, frozenset, list, tuple)):
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return None
    return {round(float(v), 6) for v in values}


def _dropout_outputs(p: float = 0.5) -> tuple[set[float], set[float]]:
    """The values nn.Dropout(p) gives a tensor of ones in training and in evaluation mode."""
    drop = nn.Dropout(p)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        train = set(drop.train()(torch.ones(1000)).tolist())
    return {round(v, 6) for v in train}, set(drop.eval()(torch.ones(1000)).tolist())


@checks_value
def check_dropout_values(train_values, eval_values) -> Verdict:
    """Check a prediction: the values nn.Dropout(p=0.5) gives torch.ones(1000), in each mode.

    The true sets come from running nn.Dropout itself, here.

    Example (notebook 05, exercise 1), on a prediction not written down yet:
        >>> check = check_dropout_values(None, None)
        Not yet: your answer is still None: replace None by your answer, then run this ...
    """
    train_true, eval_true = _dropout_outputs()
    train, evaluation = _number_set(train_values), _number_set(eval_values)
    if train is None or evaluation is None:
        return say(False, "write each answer as a set of numbers, such as {3.0, 4.0}; got "
                          f"{type(train_values).__name__} and {type(eval_values).__name__}.")
    if evaluation != eval_true:
        return say(False, "in evaluation mode dropout gives other values than yours.",
                   more="evaluation mode is the mode in which the network is measured and "
                        "used: what would you want dropout to do to it then?")
    if train == {0.0, 1.0}:
        return say(False, "some values are zeroed in training mode, yes, but the others do not "
                          "stay 1.", more="the next layer sees both modes; dropout keeps the "
                          "average of each value the same in both.")
    if train != train_true:
        return say(False, "in training mode dropout gives other values than yours.",
                   more="p=0.5 is the chance that a value is zeroed; and dropout keeps the "
                        "average of each value the same in both modes.")
    return say(True, "in training mode each value is zeroed with probability 0.5 and the "
                     "others are doubled, so the average stays 1; in evaluation mode dropout "
                     "does nothing. That is why evaluation needs model.eval().")


def _dropout_case(seed: int = 50):
    """A small classifier with dropout, 4 training batches of 50 and 2 validation batches of 40."""
    from torch.utils.data import DataLoader, TensorDataset

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Flatten(), nn.Linear(16, 64), nn.ReLU(), nn.Dropout(0.5),
                              nn.Linear(64, 10))
    generator = torch.Generator().manual_seed(seed)
    x, y = torch.randn(280, 1, 4, 4, generator=generator), torch.randint(0, 10, (280,),
                                                                           generator=generator)
    return (model, DataLoader(TensorDataset(x[:200], y[:200]), batch_size=50),
            DataLoader(TensorDataset(x[200:], y[200:]), batch_size=40))


def _reference_fit(model, loader, val_loader, optimizer, epochs):
    import torch.nn.functional as F

    accuracies = []
    for _ in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            correct = sum((model(x).argmax(dim=1) == y).sum().item() for x, y in val_loader)
        accuracies.append(correct / len(val_loader.dataset))
    return accuracies


def _run_fit(fit, epochs: int = 3):
    """Run fit on the dropout case, watching every forward pass: (result, [(batch, training,
    grad enabled)]). The same initial weights and random stream at every call."""
    model, loader, val_loader = _dropout_case()
    seen = []
    hook = model.register_forward_hook(lambda module, args, out: seen.append(
        (len(args[0]), module.training, torch.is_grad_enabled())))
    try:
        with torch.random.fork_rng(devices=[]):  # dropout draws random numbers
            torch.manual_seed(51)
            result = fit(model, loader, val_loader, torch.optim.SGD(model.parameters(), lr=0.1),
                         epochs)
    finally:
        hook.remove()
    return result, seen


@checks_function
def check_fit_fixed(fit) -> Verdict:
    """Check a fixed ``fit(model, loader, val_loader, optimizer, epochs)``: every training
    batch in training mode (dropout on), every validation batch in evaluation mode.

    The exercise gives a loop that calls ``model.train()`` once, before its first epoch, and
    ``model.eval()`` after each: from the second epoch on it trains with dropout off. The
    check runs the learner's fix on a small model with dropout and watches every forward
    pass (training batches of 50, validation batches of 40).

    Example (notebook 05, exercise 2), on an answer that returns nothing yet:
        >>> check = check_fit_fixed(lambda *args, **kwargs: None)
        Not yet: fit returned NoneType, expected the list of validation accuracies, one per ...
    """
    epochs = 3
    result, seen = _run_fit(fit, epochs)
    expected, _ = _run_fit(_reference_fit, epochs)
    if isinstance(result, tuple):
        result = list(result)
    if not isinstance(result, list) or not all(isinstance(v, (int, float)) for v in result):
        return say(False, f"fit returned {type(result).__name__}, expected the list of "
                          "validation accuracies, one per epoch.",
                   more="keep the buggy version's accuracies and its return: only the bug changes.")
    train = [(training, grad) for batch, training, grad in seen if batch == 50]
    val = [(training, grad) for batch, training, grad in seen if batch == 40]
    if len(train) != 4 * epochs or len(val) != 2 * epochs:
        return say(False, f"your fit ran {len(train)} training and {len(val)} validation "
                          f"batches in {epochs} epochs, expected {4 * epochs} and {2 * epochs}.",
                   more="keep the buggy version's two loops over the loaders.")
    off = sum(not training for training, _ in train)
    if off:
        return say(False, f"{off} of {len(train)} training batches still ran with dropout off "
                          "(in evaluation mode).", more="a model stays in the mode it was last "
                          "put in. Which line puts it in evaluation mode, and what happens to "
                          "the mode when the next epoch starts?")
    if any(training for training, _ in val):
        return say(False, "dropout was on while measuring the validation accuracy.",
                   more="change only what is wrong: the accuracy part was right.")
    if any(grad for _, grad in val):
        return say(False, "autograd recorded a graph while measuring the validation accuracy.",
                   more="change only what is wrong: the accuracy part was right.")
    if any(abs(a - b) > 1e-9 for a, b in zip(result, expected)) or len(result) != len(expected):
        return say(False, "each batch ran in the right mode, but the accuracies are not what "
                          "this training gives.", more="change only what is wrong: the "
                          "training steps and the accuracy were right.")
    return say(True, "dropout on for every training batch, off for every validation batch: "
                     "model.eval() lasts until model.train() is called again.")


@checks_value
def check_epoch_choice(best_epoch, its_val_loss, *, history) -> Verdict:
    """Check a choice made from evidence: the epoch with the lowest validation loss.

    history: the notebook's History (from fit); epochs are counted from 1, as printed.

    Example (notebook 05, exercise 3), on a choice not written down yet:
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
                              "epoch has a lower validation loss, the number this notebook's "
                              "rule goes by.", more="read the loss column, not the accuracy.")
        if epoch + 1 == best:
            return say(False, f"epoch {epoch} is one before the lowest validation loss.",
                       more="the table counts epochs from 1, not from 0.")
        return say(False, f"another epoch has a lower validation loss than epoch {epoch}.",
                   more="which column says how well the network does on digits it did not "
                        "train on, and which way is better?")
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
    """Exercise 4 (notebook 05): counts[true, predicted], a 10 x 10 tensor of how often.

    Example (notebook 05, exercise 4), on an answer that returns nothing yet:
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
        return say(False, problem, more="one row per true digit, one column per prediction."
                   if "expected" in problem else "counts are made by adding ones: nothing "
                   "in them needs a division.")
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
    return say(False, "some counts are off.", more="count a few (label, prediction) pairs by "
                      "hand and compare them with your tensor.")
