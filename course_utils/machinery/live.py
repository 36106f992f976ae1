"""LivePlot: the training curves, redrawn in place while training runs.
Used in: notebook 05 (``fit(..., live=True)``).
"""
import sys
from time import perf_counter as _clock

from ..curves import plot_loss_curves
from ..figures import png_bytes

LIVE_TEXT = "Training curves, redrawn while training runs (the final figure follows)."
MAX_FPS = 5.0   # redraws a second at most
BUDGET = 0.03   # and at most this share of the training time


class LivePlot:
    """``update(train_loss=...)`` each step, ``update(val_loss=..., val_acc=...)`` each epoch,
    ``close()`` at the end, as ``fit(..., live=True)`` does. display: for tests, benchmarks.

    Example (what ``fit(..., live=True)`` does in notebook 05; outside a notebook, no figure):
        >>> live = LivePlot()
        >>> live.update(train_loss=2.3)
        >>> live.update(val_loss=0.8, val_acc=0.75)
        >>> live.close()
    """

    def __init__(self, *, display=None):
        if display is None and "IPython" in sys.modules:
            from IPython import get_ipython
            from IPython.display import display as notebook
            display = notebook if hasattr(get_ipython(), "kernel") else None
        self._display = display   # None: draw nothing
        self.train_loss: list[float] = []
        self.val_loss: list[float] = []
        self.val_acc: list[float] = []
        self.steps_per_epoch = 0  # set at the first validation, so its points sit where measured
        self.figure = None
        self.redraws = 0
        self._handle = None
        self._next_redraw = float("-inf")

    def update(self, train_loss=None, val_loss=None, val_acc=None) -> None:
        """Add a training loss (each step), or the validation loss and accuracy (each epoch)."""
        if train_loss is None and (val_loss is None or val_acc is None):
            raise ValueError(f"update() got train_loss={train_loss}, val_loss={val_loss}, "
                             f"val_acc={val_acc}. Fix: live.update(train_loss=loss) each step, "
                             "live.update(val_loss=vl, val_acc=va) each epoch.")
        if train_loss is not None:
            self.train_loss.append(float(train_loss))
        if val_loss is not None:
            self.val_loss.append(float(val_loss))
            self.val_acc.append(float(val_acc))
            self.steps_per_epoch = self.steps_per_epoch or len(self.train_loss)
        if self._display is not None and _clock() >= self._next_redraw:
            start = _clock()
            self.figure = plot_loss_curves(self)
            self._put({"image/png": png_bytes(self.figure), "text/plain": LIVE_TEXT})
            self.redraws += 1
            # throttle: the next redraw waits 1 / MAX_FPS, or this one's cost / BUDGET
            self._next_redraw = _clock() + max(1 / MAX_FPS, (_clock() - start) / BUDGET)

    def close(self) -> None:
        """Show the final figure as an output of its own, the live one shrunk to one line."""
        if self._display is not None and self.train_loss:
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

