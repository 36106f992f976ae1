"""Training: one step, evaluation, and ``fit`` with optional live plot and gradient monitor.
Used in: notebooks 03 (train_step), 04 (optimizers compared on LeNet) and 05 (training end to end).
"""
import math
import os
import time
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import DataLoader

from . import _checks
from .machinery.live import LivePlot
from .models import eval_mode


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the message names the learning rate to lower.

    Example:
        >>> with torch.no_grad():
        ...     _ = model.fc3.weight.fill_(float("nan"))
        >>> train_step(model, x, y, optimizer)
        Traceback (most recent call last):
        course_utils.training.TrainingDiverged: The loss became nan with learning rate 0.05: ...
    """


def make_optimizer(optimizer_name: str, params, *, lr: float = 0.01, momentum: float = 0.9,
                   betas: tuple[float, float] = (0.9, 0.999)) -> torch.optim.Optimizer:
    """A torch.optim optimizer by its course name: sgd, momentum, nesterov, rmsprop, adam.

    Example (notebook 04):
        >>> make_optimizer("momentum", LeNet().parameters(), lr=0.01).defaults["momentum"]
        0.9
    """
    key = _checks.optimizer_name(optimizer_name)
    lr = _checks.learning_rate(lr)
    params = list(params)
    if not params:
        raise ValueError("The optimizer got no parameters to update. Fix: create the model "
                         "first, then pass model.parameters().")
    if key == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if key in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=key == "nesterov")
    if key == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    return torch.optim.Adam(params, lr=lr, betas=betas)


def check_targets(scores: torch.Tensor, targets) -> None:
    if targets.dim() == 2 and targets.shape == scores.shape:
        raise ValueError(f"targets have shape {tuple(targets.shape)}: one-hot rows, but "
                         "CrossEntropyLoss here expects class indices. Fix: "
                         "targets = targets.argmax(dim=1).")
    if targets.is_floating_point():
        raise ValueError(f"targets have dtype {targets.dtype}, but class indices are integers. "
                         "Fix: targets = targets.long().")
    if targets.dim() != 1 or len(targets) != len(scores):
        raise ValueError(f"{len(scores)} predictions but targets of shape "
                         f"{tuple(targets.shape)}: they must pair up one label per image. "
                         "Fix: take images and labels from the same batch.")


def _check_optimizer(model: nn.Module, optimizer) -> None:
    _checks.expect(isinstance(optimizer, torch.optim.Optimizer), "optimizer", "a torch.optim.Optimizer",
                   optimizer, "torch.optim.SGD(model.parameters(), lr=0.01)")
    mine = {id(p) for p in model.parameters()}
    theirs = [p for group in optimizer.param_groups for p in group["params"]]
    if not any(id(p) in mine for p in theirs):
        raise ValueError("The optimizer updates none of this model's parameters (was it built "
                         "for another model?). Fix: optimizer = torch.optim.SGD("
                         "model.parameters(), lr=0.01) after creating the model.")
    for group in optimizer.param_groups:
        _checks.learning_rate(group["lr"])


def train_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
               optimizer: torch.optim.Optimizer, monitor=None) -> float:
    """One step of the lesson's loop: zero_grad, forward, cross-entropy, backward, (record), step.

    Example (notebook 03):
        >>> loss = train_step(model, x, y, optimizer)
        >>> 0 < loss < 5
        True
    """
    optimizer.zero_grad()
    scores = model(x)
    check_targets(scores, y)  # cross-entropy wants class indices: catch one-hot / float labels
    loss = nn.functional.cross_entropy(scores, y)
    value = loss.item()
    if not math.isfinite(value):
        lr = optimizer.param_groups[0]["lr"]
        raise TrainingDiverged(
            f"The loss became {value} with learning rate {lr:g}: the steps are too big and "
            f"the weights blew up. Fix: lower the learning rate, e.g. lr={lr / 10:g}.")
    loss.backward()
    if monitor is not None:
        monitor.record(model)
    optimizer.step()
    return value


@torch.no_grad()
def evaluate(model: nn.Module, split, batch_size: int = 1000) -> tuple[float, float]:
    """Mean loss and accuracy (0..1) of model on a Split, in eval mode without gradients.

    Example (notebook 05):
        >>> loss, accuracy = evaluate(model, data.test)
        >>> 0 <= accuracy <= 1
        True
    """
    device = next(model.parameters()).device
    total_loss, correct = 0.0, 0
    with eval_mode(model):
        for x, y in split.batches(batch_size):
            x, y = x.to(device), y.to(device)
            scores = model(x)
            check_targets(scores, y)
            total_loss += nn.functional.cross_entropy(scores, y, reduction="sum").item()
            correct += (scores.argmax(1) == y).sum().item()
    return total_loss / max(len(split), 1), correct / max(len(split), 1)


@dataclass
class History:
    """What fit measured: the loss of every step and the validation loss/accuracy of every epoch.

    Example (notebook 05, exercise 2: a run's validation numbers, typed in):
        >>> History(train_loss=[2.3, 1.9], val_loss=[1.7], val_acc=[0.41])
        History(epochs=1, steps=2, val_loss=1.7000, val_acc=0.4100)
    """

    train_loss: list[float] = field(default_factory=list)   # one per step
    val_loss: list[float] = field(default_factory=list)     # one per epoch
    val_acc: list[float] = field(default_factory=list)      # one per epoch
    steps_per_epoch: int = 0
    checkpoints: list[dict] = field(default_factory=list, repr=False)  # fit(checkpoints=True)
    samples: int = 0
    seconds: float = 0.0

    @property
    def samples_per_second(self) -> float:
        return self.samples / self.seconds if self.seconds else float("nan")

    def __repr__(self) -> str:
        last = (f", val_loss={self.val_loss[-1]:.4f}, val_acc={self.val_acc[-1]:.4f}"
                if self.val_acc else "")
        return f"History(epochs={len(self.val_loss)}, steps={len(self.train_loss)}{last})"


def fit(model: nn.Module, data, optimizer: torch.optim.Optimizer, epochs: int = 1, *,
        batch_size: int = 64, live=None, monitor=None, progress: bool = True,
        seed: int = 0, checkpoints: bool = False) -> History:
    """Train model on data.train for some epochs; evaluate on data.val after each (never .test).

    live: True (or a LivePlot) plots in place; progress: a tqdm bar (COURSE_PROGRESS=0
    silences it); checkpoints: the weights after each epoch in ``history.checkpoints``.

    Example (notebook 05; there with live=True):
        >>> history = fit(model, data, optimizer, epochs=2, progress=False)
        >>> len(history.val_acc), history.steps_per_epoch
        (2, 4)
    """
    _checks.whole_number(epochs, "epochs", "epochs=3")
    _check_optimizer(model, optimizer)
    _checks.expect(hasattr(data, "train") and hasattr(data, "val"), "data",
                   "an MNIST with .train and .val splits", data,
                   "data = load_mnist(), then fit(model, data, optimizer)")
    device = next(model.parameters()).device
    train, val = data.train.to(device), data.val.to(device)  # moved once, not each batch
    if live is True:
        live = LivePlot()
    history = History(steps_per_epoch=math.ceil(len(train) / batch_size))
    from tqdm.auto import tqdm
    bar = tqdm(total=epochs * history.steps_per_epoch, desc="training", unit="batch", leave=False,
               disable=not progress or os.environ.get("COURSE_PROGRESS") == "0")
    order = torch.Generator().manual_seed(seed)  # one generator for every epoch, as a DataLoader
    start = time.perf_counter()
    try:
        for epoch in range(epochs):
            model.train()
            for idx in DataLoader(range(len(train)), batch_size, shuffle=True, generator=order):
                x, y = train.images[idx], train.labels[idx]
                loss = train_step(model, x, y, optimizer, monitor)
                history.train_loss.append(loss)
                history.samples += len(y)
                if live:
                    live.update(train_loss=loss)
                bar.update()
            val_loss, val_acc = evaluate(model, val)
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
            if checkpoints:
                history.checkpoints.append({k: v.detach().cpu().clone()
                                            for k, v in model.state_dict().items()})
            if live:
                live.update(val_loss=val_loss, val_acc=val_acc)
    finally:
        history.seconds = time.perf_counter() - start
        bar.close()
        if live:
            live.close()
    return history
