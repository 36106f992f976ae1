"""LivePlot: the training curves, redrawn while training runs.

As fastai's fastprogress does, the figure is displayed once and each redraw (a fresh
``plot_loss_curves``, throttled) replaces it through its display handle: no clear_output.
``close()`` shrinks the live output to one line and shows the final figure below it, with
its alt text. Outside a notebook it prints one line per epoch instead.

Used in: notebook 05 (``fit(..., live=True)``) and notebook 04 (optimizers compared).
"""
from __future__ import annotations

from time import perf_counter as _clock

from ..curves import plot_loss_curves
from ..figures import png_bytes

LIVE_TEXT = "Training curves, redrawn while training runs (the final figure follows)."
MAX_FPS = 5.0
BUDGET = 0.03


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return hasattr(get_ipython(), "kernel")


class LivePlot:
    """Training and validation loss in one panel, validation accuracy in the other.

    Call ``update(train_loss=...)`` once per step, ``update(val_loss=..., val_acc=...)``
    once per epoch and ``close()`` at the end (``fit(..., live=True)`` does all three).

    In a Jupyter kernel it draws the figure, elsewhere it prints text. display: for
    benchmarks, a stand-in for IPython's ``display`` (a figure is drawn): called as
    ``display(data, raw=True, display_id=True)``, it returns a handle whose
    ``update(data, raw=True)`` takes each redraw.

    Example (what ``fit(..., live=True)`` does in notebook 05; text outside a notebook):
        >>> live = LivePlot()
        >>> for loss in (2.3, 1.5, 0.9):
        ...     live.update(train_loss=loss)
        >>> live.update(val_loss=0.8, val_acc=0.75)
        epoch 1 | train loss 1.5667 | val loss 0.8000 | val acc 75.00%
        >>> live.close()
    """

    def __init__(self, *, display=None):
        if display is None and _in_notebook():
            from IPython.display import display
        self._display = display   # None: text mode
        self.train_loss: list[float] = []
        self.val_loss: list[float] = []
        self.val_acc: list[float] = []
        self.steps_per_epoch = 0   # set at the first validation: where plot_loss_curves puts it
        self.figure = None
        self.redraws = 0
        self._handle = None
        self._next_redraw = float("-inf")
        self._epoch_start = 0

    def update(self, train_loss=None, val_loss=None, val_acc=None) -> None:
        """Add a training loss (each step) and/or validation loss and accuracy (each epoch)."""
        if train_loss is None and val_loss is None and val_acc is None:
            raise ValueError("update() got no values. Fix: live.update(train_loss=loss) each "
                             "step, live.update(val_loss=vl, val_acc=va) each epoch.")
        for name, value in (("train_loss", train_loss), ("val_loss", val_loss),
                            ("val_acc", val_acc)):
            if value is not None:
                getattr(self, name).append(_number(name, value))
        epoch_end = val_loss is not None or val_acc is not None
        if epoch_end and not self.steps_per_epoch:
            self.steps_per_epoch = len(self.train_loss)
        if self._display is None:
            if epoch_end:
                print(self._text_line(), flush=True)
        elif _clock() >= self._next_redraw:
            start = _clock()
            self.figure = plot_loss_curves(self)
            self._put({"image/png": png_bytes(self.figure), "text/plain": LIVE_TEXT})
            self.redraws += 1
            # throttle: the next redraw waits 1 / MAX_FPS, or this one's cost / BUDGET
            self._next_redraw = _clock() + max(1 / MAX_FPS, (_clock() - start) / BUDGET)

    def close(self) -> None:
        """Draw the final figure (notebook), or a last line if no epoch line was printed (text)."""
        if self._display is None:
            if self.train_loss and not (self.val_loss or self.val_acc):
                print(self._text_line(), flush=True)
        elif self.train_loss or self.val_loss or self.val_acc:
            # the live output becomes one line that never changes, and the final figure is its
            # own output: a rerun stores the same outputs however often the live one was redrawn
            self._put({"text/plain": LIVE_TEXT})
            self.figure = plot_loss_curves(self)
            self._display({"image/png": png_bytes(self.figure, tight=True, compact=True),
                           "text/plain": self.figure.alt}, raw=True)
            self.redraws += 1

    def _put(self, data: dict) -> None:
        """Show data as the live output: displayed the first time, then replaced in place."""
        if self._handle is None:
            self._handle = self._display(data, raw=True, display_id=True)
        else:
            self._handle.update(data, raw=True)

    def _text_line(self) -> str:
        recent = self.train_loss[self._epoch_start:]
        self._epoch_start = len(self.train_loss)
        parts = [f"epoch {len(self.val_loss) or len(self.val_acc)}"
                 if (self.val_loss or self.val_acc) else f"step {len(self.train_loss)}"]
        if recent:
            parts.append(f"train loss {sum(recent) / len(recent):.4f}")
        if self.val_loss:
            parts.append(f"val loss {self.val_loss[-1]:.4f}")
        if self.val_acc:
            parts.append(f"val acc {self.val_acc[-1]:.2%}")
        return " | ".join(parts)


def _number(name: str, value) -> float:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {type(value).__name__}. "
                         f"Fix: live.update({name}=loss.item()).")
    return float(value)
