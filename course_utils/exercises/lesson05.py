"""Checks for the exercises of notebooks/05_training_on_mnist.ipynb.

Each check calls the learner's function on small inputs made here and compares the
result with a reference computed here; it prints one line and returns True or False.
"""
from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import torch
from torch import nn

from . import Verdict, checks_function, say, tensor_problem

__all__ = ["check_train_one_step", "check_batch_accuracy", "check_confusion_counts",
           "check_save_and_reload"]


def _small_model(seed: int = 0) -> nn.Module:
    """A LeNet with seeded weights; the notebook's own random stream is left alone."""
    from ..models import LeNet
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return LeNet()


def _digits(n: int = 8, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 32, 32, generator=generator), torch.randint(0, 10, (n,),
                                                                         generator=generator)


@checks_function
def check_train_one_step(train_one_step) -> Verdict:
    """Exercise 1 (notebook 05): zero_grad, forward, loss, backward, step; return the loss.

    Example (notebook 05, exercise 1), on an answer that returns nothing yet:
        >>> check = check_train_one_step(lambda *args, **kwargs: None)
        Not yet: train_one_step returned NoneType, expected the loss as a ...
    """
    x, y = _digits()
    mine, reference = _small_model(), _small_model()
    opt_mine = torch.optim.SGD(mine.parameters(), lr=0.1)
    opt_ref = torch.optim.SGD(reference.parameters(), lr=0.1)
    for step in range(2):  # two steps: a forgotten zero_grad shows on the second one
        opt_ref.zero_grad()
        loss = nn.functional.cross_entropy(reference(x), y)
        loss.backward()
        opt_ref.step()
        expected = loss.item()
        value = train_one_step(mine, x, y, opt_mine, nn.CrossEntropyLoss())
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return say(False, f"train_one_step returned {type(value).__name__}, expected the "
                              "loss as a number. Hint: return loss.item().")
        if abs(value - expected) > 1e-4:
            return say(False, f"step {step + 1} returned loss {value:.4f}, expected "
                              f"{expected:.4f}. Hint: compute the loss of model(x) before "
                              "the update and return loss.item().")
        same = all(torch.allclose(a, b, atol=1e-5)
                   for a, b in zip(mine.parameters(), reference.parameters()))
        if not same:
            hint = ("did you call loss.backward() and then optimizer.step()?" if step == 0
                    else "the second step differs: call optimizer.zero_grad() before "
                    "backward, or the gradients of both steps add up.")
            return say(False, f"after step {step + 1} the weights are not where one SGD step "
                              f"takes them. Hint: {hint}")
    return say(True, "one step of the training loop: zero_grad, forward, loss, backward, step.")


@checks_function
def check_batch_accuracy(batch_accuracy) -> Verdict:
    """Exercise 2 (notebook 05): the fraction (0..1) of rows whose highest score is the label.

    Example (notebook 05, exercise 2), on an answer that returns nothing yet:
        >>> check = check_batch_accuracy(lambda *args, **kwargs: None)
        Not yet: batch_accuracy returned NoneType, expected a number ...
    """
    generator = torch.Generator().manual_seed(1)
    scores = torch.randn(50, 10, generator=generator)
    labels = scores.argmax(1).clone()
    labels[:13] = (labels[:13] + 1) % 10  # 13 wrong -> 0.74
    expected = (scores.argmax(1) == labels).float().mean().item()
    value = batch_accuracy(scores, labels)
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            return say(False, f"batch_accuracy returned a tensor of shape {tuple(value.shape)}, "
                              "expected one number. Hint: take the .mean() of the matches.")
        value = value.float().item()
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return say(False, f"batch_accuracy returned {type(value).__name__}, expected a number "
                          "between 0 and 1. Hint: (predictions == labels).float().mean().item().")
    if abs(value - 100 * expected) < 1e-4:
        return say(False, f"{value:.2f} is a percentage; the course uses a fraction between 0 "
                          "and 1. Hint: do not multiply by 100.")
    if abs(value - expected) > 1e-6:
        return say(False, f"got {value:.4f} on a batch of 50 with 37 right, expected "
                          f"{expected:.4f}. Hint: predictions = scores.argmax(dim=1) (per row).")
    return say(True, f"{expected:.2f} of this batch is right: argmax per row, compared, averaged.")


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
        return say(False, problem)
    counts, expected = counts.detach().cpu().double(), expected.double()
    if torch.equal(counts, expected):
        return say(True, "row = true digit, column = prediction; the diagonal holds the hits.")
    if torch.equal(counts, expected.T):
        return say(False, "rows and columns are swapped. Hint: counts[label, prediction] += 1 "
                          "(rows are the true digits).")
    if counts.sum().item() != len(labels):
        return say(False, f"the counts add up to {counts.sum().item():g}, expected one per digit "
                          f"({len(labels)}). Hint: add 1 for every (label, prediction) pair.")
    return say(False, "some counts are off. Hint: counts[label, prediction] += 1 for each pair; "
                      "compare with a few pairs counted by hand.")


@checks_function
def check_save_and_reload(save_and_reload) -> Verdict:
    """Exercise 4 (notebook 05): save a state_dict, load it into a new LeNet, return that.

    Example (notebook 05, exercise 4), on an answer that returns nothing yet:
        >>> check = check_save_and_reload(lambda *args, **kwargs: None)
        Not yet: no file was written at the path given. Hint: ...
    """
    model = _small_model(seed=3).eval()
    before = copy.deepcopy(model.state_dict())
    x, _ = _digits(4)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "checkpoint.pt"
        restored = save_and_reload(model, path)
        if not path.is_file():
            return say(False, "no file was written at the path given. Hint: "
                              "torch.save(model.state_dict(), path).")
        try:
            saved = torch.load(path, weights_only=True)
        except Exception:
            return say(False, "the file cannot be read with torch.load(path, weights_only=True)."
                              " Hint: save model.state_dict(), not the model object.")
    if not isinstance(saved, dict) or set(saved) != set(before):
        return say(False, "the file does not hold LeNet's state_dict. Hint: "
                          "torch.save(model.state_dict(), path).")
    if not isinstance(restored, nn.Module):
        return say(False, f"save_and_reload returned {type(restored).__name__}, expected the "
                          "new model. Hint: return the LeNet you loaded the weights into.")
    if restored is model:
        return say(False, "you returned the same model that was saved. Hint: create a new "
                          "cu.LeNet() and load_state_dict into it.")
    restored.eval()
    with torch.no_grad():  # the learner may have moved the new model to the GPU
        device = next(restored.parameters()).device
        same = torch.equal(restored(x.to(device)).cpu(), model(x))
    if not same:
        return say(False, "the reloaded model predicts differently. Hint: "
                          "new_model.load_state_dict(torch.load(path, weights_only=True)).")
    return say(True, "saved the weights only (state_dict) and got an identical model back.")
