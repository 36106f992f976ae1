"""Checks of notebook 05's exercises, against nn.Dropout, a reference loop or count, a history."""
import torch
import torch.nn.functional as F
from torch import nn

from . import (NotYet, Verdict, answer_number, answer_tensor, checks_function, checks_value,
               first_mistake, number, numbers, say)


@checks_value
def check_dropout_values(train_values, eval_values) -> Verdict:
    """Check a prediction: the values nn.Dropout(p=0.5) gives torch.ones(1000), in each mode.
    Example (notebook 05, exercise 1): check_dropout_values(train_values, eval_values)"""
    with torch.random.fork_rng(devices=[]):
        train_true, eval_true = [set(nn.Dropout(0.5).train(mode)(torch.ones(1000)).tolist())
                                 for mode in (True, False)]
    train, evaluation = numbers(train_values), numbers(eval_values)
    if train is None or evaluation is None:
        raise NotYet(f"write each answer as a set of numbers, such as {{3.0, 4.0}}; got "
                     f"{train_values!r:.20} and {eval_values!r:.20}.")
    train, evaluation = (set(values.double().flatten().round(decimals=6).tolist())
                         for values in (train, evaluation))
    average = "dropout keeps the average of each value the same in both modes."
    if evaluation != eval_true:
        raise NotYet("in evaluation mode dropout gives other values than yours.",
                     "the network is measured and used in that mode: what should dropout do?")
    if train == {0.0, 1.0}:
        raise NotYet("some values are zeroed in training mode, but the others do not stay 1.",
                     average)
    if train != train_true:
        raise NotYet("in training mode dropout gives other values than yours.",
                     "p=0.5 is the chance that a value is zeroed; " + average)
    return say(True, "in training mode each value is zeroed with probability 0.5 and the "
                     "others are doubled, so the average stays 1; in evaluation mode dropout "
                     "does nothing. That is why evaluation needs model.eval().")


def _reference_fit(model, loader, val_loader, optimizer, epochs):
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
    """Run fit on a small classifier with dropout (4 training batches of 50, 2 validation
    batches of 40), the same at every call: (result, [(batch, training, grad enabled)])."""
    from torch.utils.data import DataLoader, TensorDataset

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(50)
        model = nn.Sequential(nn.Flatten(), nn.Linear(16, 64), nn.ReLU(), nn.Dropout(0.5),
                              nn.Linear(64, 10))
        x, y = torch.randn(280, 1, 4, 4), torch.randint(0, 10, (280,))
        seen = []  # the model is new at each call: its hook needs no removing
        model.register_forward_hook(lambda module, args, out: seen.append(
            (len(args[0]), module.training, torch.is_grad_enabled())))
        result = fit(model, DataLoader(TensorDataset(x[:200], y[:200]), batch_size=50),
                     DataLoader(TensorDataset(x[200:], y[200:]), batch_size=40),
                     torch.optim.SGD(model.parameters(), lr=0.1), epochs)
    return result, seen


@checks_function
def check_fit_fixed(fit) -> Verdict:
    """Check a fixed ``fit(model, loader, val_loader, optimizer, epochs)`` (the bug: model.train()
    once, before the first epoch): dropout on in every training batch, off in validation.
    Example (notebook 05, exercise 2): check_fit_fixed(fit_fixed)"""
    answer, seen = _run_fit(fit)
    result = answer_tensor(answer, (3,), "fit's validation accuracies, one per epoch,",
                           "keep the buggy version's return: only the bug changes.")
    train = [(training, grad) for batch, training, grad in seen if batch == 50]
    val = [(training, grad) for batch, training, grad in seen if batch == 40]
    if len(train) != 12 or len(val) != 6:
        raise NotYet(f"your fit ran {len(train)} training and {len(val)} validation batches in "
                     "3 epochs, expected 12 and 6.", "keep the buggy version's two loops.")
    off = sum(not training for training, _ in train)
    if off:
        raise NotYet(f"{off} of {len(train)} training batches still ran with dropout off.",
                     "a model stays in the mode it was last put in: which at the next epoch?")
    right = "change only what is wrong: the accuracy part was right."
    if any(training for training, _ in val):
        raise NotYet("dropout was on while measuring the validation accuracy.", right)
    if any(grad for _, grad in val):
        raise NotYet("autograd recorded a graph while measuring the validation accuracy.", right)
    if not torch.allclose(result.double(), numbers(_run_fit(_reference_fit)[0]), atol=1e-6):
        raise NotYet("each batch ran in the right mode, but the accuracies are not what this "
                     "training gives.", "the training steps and the accuracy were right.")
    return say(True, "dropout on for every training batch, off for every validation batch: "
                     "model.eval() lasts until model.train() is called again.")


@checks_value
def check_epoch_choice(best_epoch, its_val_loss, *, history) -> Verdict:
    """Check a choice from ``history``: the epoch (from 1) with the lowest validation loss.
    Example (notebook 05, exercise 3): check_epoch_choice(best_epoch, its_val_loss, history=...)"""
    losses = list(getattr(history, "val_loss", []) or [])
    if not losses:
        raise NotYet("pass the history of the training run: history=history.")
    epoch = number(best_epoch)
    if epoch not in range(1, len(losses) + 1):
        raise NotYet(f"best_epoch should be from 1 to {len(losses)}, got {best_epoch!r:.30}.")
    quoted = answer_number(its_val_loss, "its_val_loss")
    epoch, best = int(epoch), losses.index(min(losses)) + 1
    if losses[epoch - 1] > losses[best - 1]:
        first_mistake(epoch, [
            (max(range(len(losses)), key=history.val_acc.__getitem__) + 1, f"epoch {epoch} has "
             "the best validation accuracy; the notebook's rule reads another column.",
             "which number did this notebook compare to choose its epoch?"),
            (best - 1, f"epoch {epoch} is one epoch too early.", "epochs count from 1.")])
        raise NotYet(f"another epoch does better than epoch {epoch} by the notebook's rule.",
                     "which column measures unseen digits, and is lower or higher better there?")
    if abs(quoted - losses[epoch - 1]) > 6e-5:
        raise NotYet(f"{quoted:g} is not epoch {epoch}'s validation loss.", "copy the number.")
    return say(True, f"epoch {epoch}, validation loss {losses[epoch - 1]:.4f}: the model to "
                     "keep (early stopping). The test digits played no part in the choice.")


@checks_function
def check_confusion_counts(confusion_counts) -> Verdict:
    """Check ``confusion_counts(predictions, labels)``: a 10 x 10 tensor of counts[true, predicted].
    Example (notebook 05, exercise 4): check_confusion_counts(confusion_counts)"""
    generator = torch.Generator().manual_seed(2)
    labels = torch.randint(0, 10, (200,), generator=generator)
    predictions = torch.where(torch.rand(200, generator=generator) < 0.7, labels,
                              torch.randint(0, 10, (200,), generator=generator))
    expected = torch.bincount(labels * 10 + predictions, minlength=100).view(10, 10).double()
    counts = answer_tensor(confusion_counts(predictions, labels), (10, 10), "confusion_counts(...)",
                           "one row per true digit, one column per prediction: add ones.").double()
    if torch.equal(counts, expected):
        return say(True, "row = true digit, column = prediction; the diagonal holds the hits.")
    if torch.equal(counts, expected.T):
        raise NotYet("rows and columns are swapped.", "the row is the true digit.")
    if torch.equal(counts, (expected > 0).double()):
        raise NotYet("each (label, prediction) pair counts once, however often it occurs: "
                     "`counts[labels, predictions] += 1` writes a repeated index pair only once.",
                     "a pair that occurs 5 times must add 5: what adds up repeated pairs?")
    if counts.sum().item() != len(labels):
        raise NotYet(f"the counts add up to {counts.sum().item():g}, expected {len(labels)}.",
                     "add exactly 1 for every (label, prediction) pair.")
    raise NotYet("some counts are off.", "count a few (label, prediction) pairs by hand.")
