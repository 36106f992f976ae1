"""Training curves: the loss per step and the validation numbers per epoch.

One implementation serves both the static figure (``plot_loss_curves``, after
training) and the live one (``live.LivePlot``, during training): ``CurvesFigure``
makes the artists once and moves new data into them. Loss and accuracy sit in two
panels side by side, never on twin y-axes. Used in: notebooks 04 and 05.
"""
from __future__ import annotations

from .figures import LINESTYLES, colour, new_figure


def smoothed(values, weight: float = 0.9) -> list[float]:
    """Exponential moving average with TensorBoard's debiasing (the first points are not pulled to 0).

    Example:
        >>> smoothed([1.0, 0.0], weight=0.5)
        [1.0, 0.3333333333333333]
    """
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight!r}. "
                         "Fix: smooth=0.9 (or 0 for the raw values).")
    out, avg = [], 0.0
    for k, v in enumerate(values, start=1):
        avg = weight * avg + (1 - weight) * v
        out.append(avg / (1 - weight ** k) if weight else v)
    return out


class CurvesFigure:
    """A figure with one set of curves per run: loss panel, plus an accuracy panel.

    ``show(k, train_loss, val_loss, val_acc, steps_per_epoch)`` moves run k's numbers
    into its lines (no new artists, so a live redraw stays cheap). Run k has colour k
    and line style k, so runs stay apart even where they overlap.

    Example:
        >>> curves = CurvesFigure(["sgd", "adam"])
        >>> curves.show(0, [2.3, 1.1, 0.7], [0.9], [0.71], steps_per_epoch=3)
        >>> curves.loss_ax.get_ylabel()
        'loss'
    """

    def __init__(self, labels: list[str], *, accuracy: bool = True, smooth: float = 0.9,
                 log: bool = False, figsize: tuple[float, float] | None = None):
        self.labels, self.smooth = list(labels), smooth
        width, height = figsize or ((10.0, 3.6) if accuracy else (6.5, 3.6))
        self.fig, axes = new_figure(width, height, 1, 2 if accuracy else 1,
                                    gridspec_kw={"width_ratios": [3, 2]} if accuracy else {})
        self.loss_ax, self.acc_ax = (axes[0], axes[1]) if accuracy else (axes, None)
        several = len(self.labels) > 1
        self.lines = []
        for k, label in enumerate(self.labels):
            c, ls = colour(k), LINESTYLES[k % len(LINESTYLES)]
            name = f"{label}: " if several else ""
            run = {"raw": self.loss_ax.plot([], [], color=c, alpha=0.25, lw=1)[0],
                   "smooth": self.loss_ax.plot([], [], color=c, ls=ls, lw=2,
                                               label=name + "train loss")[0],
                   "val": self.loss_ax.plot([], [], color=c, ls="none", marker="o", ms=6,
                                            label="_nolegend_" if several else "val loss")[0]}
            if self.acc_ax is not None:
                run["acc"] = self.acc_ax.plot([], [], color=c, ls=ls, marker="o", ms=6, lw=2,
                                              label=label or "val accuracy")[0]
            self.lines.append(run)
        self.loss_ax.set(xlabel="training step", ylabel="loss",
                         yscale="log" if log else "linear")
        self.loss_ax.grid(alpha=0.3)
        self.loss_ax.legend(fontsize=10, loc="upper right")
        if self.acc_ax is not None:
            self.acc_ax.set(xlabel="training step", ylabel="validation accuracy (%)")
            self.acc_ax.grid(alpha=0.3)
        self.fig.tight_layout()

    def show(self, k: int, train_loss, val_loss=(), val_acc=(), steps_per_epoch: int = 0) -> None:
        """Put run k's numbers into its lines and rescale the axes."""
        run = self.lines[k]
        steps = range(1, len(train_loss) + 1)
        run["raw"].set_data(steps, train_loss)
        run["smooth"].set_data(steps, smoothed(train_loss, self.smooth))
        epochs = max(len(val_loss), len(val_acc))
        per_epoch = steps_per_epoch or max(len(train_loss) // max(epochs, 1), 1)
        at = [per_epoch * (e + 1) for e in range(epochs)]
        run["val"].set_data(at[:len(val_loss)], list(val_loss))
        if "acc" in run:
            run["acc"].set_data(at[:len(val_acc)], [100 * a for a in val_acc])
        for ax in (self.loss_ax, self.acc_ax):
            if ax is not None:
                ax.relim()
                ax.autoscale_view()


def _run(history, where: str) -> dict:
    """A History, or a list / 1-D tensor of losses -> the keyword arguments of show()."""
    if all(hasattr(history, a) for a in ("train_loss", "val_loss", "val_acc")):
        return dict(train_loss=list(history.train_loss), val_loss=list(history.val_loss),
                    val_acc=list(history.val_acc),
                    steps_per_epoch=getattr(history, "steps_per_epoch", 0))
    if isinstance(history, (list, tuple)) or hasattr(history, "tolist"):
        values = history.tolist() if hasattr(history, "tolist") else history
        return dict(train_loss=[float(v) for v in values])
    raise ValueError(f"plot_loss_curves expects a History (from fit), a dict label -> History, "
                     f"or a list of losses; got {type(history).__name__}{where}. Fix: "
                     "history = cu.fit(model, data, optimizer); cu.plot_loss_curves(history).")


def plot_loss_curves(history, *, smooth: float = 0.9, log: bool = False):
    """Training loss per step (raw and smoothed), validation loss and accuracy per epoch.

    history: a History from fit, a dict label -> History to compare runs, or a list of
    losses. The accuracy panel appears when there is any accuracy to show.

    Example (notebook 05):
        >>> plot_loss_curves([2.3, 1.2, 0.8, 0.5]).axes[0].get_xlabel()
        'training step'
    """
    if isinstance(history, dict):
        if not history:
            raise ValueError("plot_loss_curves got an empty dict. "
                             "Fix: {'sgd': history_sgd, 'adam': history_adam}.")
        runs = {str(k): _run(v, f" for {k!r}") for k, v in history.items()}
    else:
        runs = {"": _run(history, "")}
    accuracy = any(run.get("val_acc") for run in runs.values())
    curves = CurvesFigure(list(runs), accuracy=accuracy, smooth=smooth, log=log)
    for k, run in enumerate(runs.values()):
        curves.show(k, **run)
    return curves.fig
