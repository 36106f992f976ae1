"""LivePlot: one figure of the training curves, updated in place while training runs.

In a notebook the figure is displayed once (``display(..., display_id=True)``) and
each redraw replaces that output through its handle: no clear_output, no new
figure per update, nothing else in the cell is wiped. Redraws are throttled (at
most ``max_fps`` a second, and rarer when drawing is slow, so drawing stays a few
percent of the training time). ``close()`` shrinks the live output to one line and
shows the final figure below it, with its alt text (the final numbers), which stays
in the saved notebook. Outside a notebook it prints one compact line per epoch instead.

Used in: notebook 05 (``fit(..., live=True)``) and notebook 04 (optimizers compared).
"""
from __future__ import annotations

from time import perf_counter as _clock

from ..curves import CurvesFigure
from ..figures import png_bytes

LIVE_TEXT = "Training curves, redrawn while training runs (the final figure follows)."


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class LivePlot:
    """Training and validation loss in one panel, validation accuracy in the other.

    Call ``update(train_loss=...)`` once per step, ``update(val_loss=..., val_acc=...)``
    once per epoch and ``close()`` at the end (``fit(..., live=True)`` does all three).

    mode: "auto" (a figure in a Jupyter kernel, text elsewhere), "notebook" or "text".
    display: for scripts and benchmarks, a function used instead of IPython's
    ``display``: called as ``display(data, raw=True, display_id=True)`` with
    ``data = {"image/png": bytes, "text/plain": str}``, returning a handle whose
    ``update(data, raw=True)`` is called on each redraw. Passing it selects "notebook".
    max_fps: at most this many redraws a second. budget: the fraction of the time
    since the first update that redraws may take together (slow redraws come rarer;
    the final redraw in close() always happens).
    Attributes: train_loss, val_loss, val_acc (lists), redraws (count).

    Example (what ``fit(..., live=True)`` does in notebook 05; text mode outside a notebook):
        >>> live = LivePlot(mode="text")
        >>> for loss in (2.3, 1.5, 0.9):
        ...     live.update(train_loss=loss)
        >>> live.update(val_loss=0.8, val_acc=0.75)
        epoch 1 | train loss 1.5667 | val loss 0.8000 | val acc 75.00%
        >>> live.close()
    """

    def __init__(self, *, smooth: float = 0.9, mode: str = "auto", display=None,
                 max_fps: float = 5.0, budget: float = 0.03, title: str = "",
                 figsize: tuple[float, float] = (7.9, 3.8)):
        if mode not in ("auto", "notebook", "text"):
            raise ValueError(f"mode must be 'auto', 'notebook' or 'text', got {mode!r}. "
                             "Fix: LivePlot() picks the right one.")
        if not max_fps > 0 or not 0 < budget <= 1:
            raise ValueError(f"max_fps must be > 0 and budget in (0, 1], got max_fps={max_fps!r}, "
                             f"budget={budget!r}. Fix: LivePlot(max_fps=5, budget=0.03).")
        if mode == "auto":
            mode = "notebook" if display is not None or _in_notebook() else "text"
        self.mode, self.smooth, self.title, self.figsize = mode, smooth, title, figsize
        self.min_interval, self.budget = 1.0 / max_fps, budget
        self.train_loss: list[float] = []
        self.val_loss: list[float] = []
        self.val_acc: list[float] = []
        self.redraws = 0
        self._display = display
        self._handle = None
        self._curves = None
        self._last_draw = float("-inf")
        self._started = None      # time of the first update
        self._drawing = 0.0       # seconds spent redrawing so far
        self._last_cost = 0.1     # seconds the last redraw took (a guess before the first)
        self._epoch_start = 0
        self._closed = False

    # -- the public calls ------------------------------------------------------------
    def update(self, train_loss=None, val_loss=None, val_acc=None) -> None:
        """Add a training loss (each step) and/or validation loss and accuracy (each epoch)."""
        if train_loss is None and val_loss is None and val_acc is None:
            raise ValueError("update() got no values. Fix: live.update(train_loss=loss) each "
                             "step, live.update(val_loss=vl, val_acc=va) each epoch.")
        for name, value in (("train_loss", train_loss), ("val_loss", val_loss),
                            ("val_acc", val_acc)):
            if value is not None:
                getattr(self, name).append(_number(name, value))
        if self.mode == "text":
            if val_loss is not None or val_acc is not None:
                print(self._text_line(), flush=True)
            return
        now = _clock()
        if self._started is None:
            self._started = now
        # throttle: at most max_fps, and all redraws together at most `budget` of the
        # time since the first update (the final redraw in close() always happens)
        if (now - self._last_draw >= self.min_interval and
                self._drawing + self._last_cost <= self.budget * (now - self._started)):
            self._redraw()

    def close(self) -> None:
        """Draw the final state (notebook) or a last line if no epoch line was printed (text)."""
        if self._closed:
            return
        self._closed = True
        if self.mode == "text":
            if self.train_loss and not (self.val_loss or self.val_acc):
                print(self._text_line(), flush=True)
        elif self.train_loss or self.val_loss or self.val_acc:
            self._show_final()

    @property
    def figure(self):
        """The figure as last drawn (None before the first redraw or in text mode)."""
        return self._curves.fig if self._curves is not None else None

    def __repr__(self) -> str:
        return (f"LivePlot(mode={self.mode!r}, steps={len(self.train_loss)}, "
                f"epochs={len(self.val_loss)}, redraws={self.redraws})")

    # -- text mode -------------------------------------------------------------------
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

    # -- notebook mode ---------------------------------------------------------------
    def _update_curves(self) -> None:
        if self._curves is None:  # the artists are made once; each redraw only moves data
            self._curves = CurvesFigure([""], smooth=self.smooth, figsize=self.figsize)
        self._curves.show(0, self.train_loss, self.val_loss, self.val_acc)
        self._curves.loss_ax.set_title(self.title or self._title(), fontsize=12)

    def _redraw(self) -> None:
        start = _clock()
        self._update_curves()
        data = {"image/png": png_bytes(self._curves.fig), "text/plain": LIVE_TEXT}
        if self._handle is None:
            self._handle = self._show(data, display_id=True)
        else:
            self._handle.update(data, raw=True)
        self.redraws += 1
        now = _clock()
        self._last_cost = now - start
        self._drawing += self._last_cost
        self._last_draw = now

    def _show(self, data: dict, **kwargs):
        show = self._display
        if show is None:
            from IPython.display import display as show
        return show(data, raw=True, **kwargs)

    def _show_final(self) -> None:
        """The live output becomes one line; the final figure, with its alt text, follows.

        The live output's text never changes, and the final figure is always its own
        output, so a rerun stores the same outputs however often the live one was redrawn.
        """
        self._update_curves()
        if self._handle is None:
            self._handle = self._show({"text/plain": LIVE_TEXT}, display_id=True)
        else:
            self._handle.update({"text/plain": LIVE_TEXT}, raw=True)
        fig = self._curves.finish()
        self._show({"image/png": png_bytes(fig, tight=True, compact=True), "text/plain": fig.alt})
        self.redraws += 1

    def _title(self) -> str:
        bits = [f"step {len(self.train_loss)}"]
        if self.val_loss:
            bits.append(f"epoch {len(self.val_loss)}: val loss {self.val_loss[-1]:.4f}")
        if self.val_acc:
            bits.append(f"val acc {self.val_acc[-1]:.1%}")
        return ", ".join(bits)


def _number(name: str, value) -> float:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {type(value).__name__}. "
                         f"Fix: live.update({name}=loss.item()).")
    return float(value)
