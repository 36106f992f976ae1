"""Training curves: the loss per step and the validation numbers per epoch.

One implementation serves both the static figure (``plot_loss_curves``, after
training) and the live one (``live.LivePlot``, during training): ``CurvesFigure``
makes the artists once and moves new data into them. Loss and accuracy sit in two
panels side by side, never on twin y-axes. Used in: notebooks 04 and 05 (and 05 through LivePlot).
"""
from __future__ import annotations

import matplotlib

from .figures import (FULL_WIDTH, STYLE, course_plot, direct_labels, new_figure, number,
                      run_styles, with_alt)

DODGE = 8  # points between the epoch markers of neighbouring runs, so equal values all show


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
    """A figure with one set of curves per run: a loss panel, plus an accuracy panel.

    ``show(k, train_loss, val_loss, val_acc, steps_per_epoch)`` moves run k's numbers
    into its lines (no new artists, so a live redraw stays cheap); ``finish()`` adds what
    only the final figure needs (labels at the ends of the curves, clipped spikes marked,
    alt text). Each run has its own colour, line style and marker (an optimizer's are
    the same in every figure: figures.run_styles), and its epoch markers sit a few points
    beside the other runs' (dodged), so two runs with equal numbers both show.

    Example:
        >>> curves = CurvesFigure(["sgd", "adam"])
        >>> curves.show(0, [2.3, 1.1, 0.7], [0.9], [0.71], steps_per_epoch=3)
        >>> curves.loss_ax.get_ylabel()
        'loss'
    """

    def __init__(self, labels: list[str], *, accuracy: bool = True, smooth: float = 0.9,
                 log: bool = False, figsize: tuple[float, float] | None = None):
        self.labels, self.smooth, self.log = list(labels), smooth, log
        self.runs: list[dict] = [{} for _ in self.labels]
        width, height = figsize or ((FULL_WIDTH - 0.3, 4.2) if accuracy else (6.5, 4.2))
        self.fig, axes = new_figure(width, height, 1, 2 if accuracy else 1,
                                    gridspec_kw={"width_ratios": [3, 2], "wspace": 0.35}
                                    if accuracy else {})
        self.loss_ax, self.acc_ax = (axes[0], axes[1]) if accuracy else (axes, None)
        with matplotlib.rc_context(STYLE):
            self._make_lines()

    def _make_lines(self) -> None:
        from matplotlib.lines import Line2D
        from matplotlib.transforms import ScaledTranslation

        several = len(self.labels) > 1
        self.lines, self.styles = [], run_styles(self.labels)
        self.dodge = [DODGE * (k - (len(self.labels) - 1) / 2) for k in range(len(self.labels))]
        for label, style, dodge in zip(self.labels, self.styles, self.dodge):
            c, ls, m = style["color"], style["ls"], style["marker"]
            beside = ScaledTranslation(dodge / 72, 0, self.fig.dpi_scale_trans)
            run = {"raw": self.loss_ax.plot([], [], color=c, ls=ls, alpha=0.3, lw=1)[0],
                   "smooth": self.loss_ax.plot([], [], color=c, ls=ls, lw=2.2,
                                               label=label)[0],
                   "val": self.loss_ax.plot([], [], color=c, ls="none", marker=m, ms=7,
                                            mec="white", zorder=3,
                                            transform=self.loss_ax.transData + beside)[0]}
            if self.acc_ax is not None:
                run["acc"] = self.acc_ax.plot([], [], color=c, ls=ls, marker=m, ms=7, lw=2,
                                              mec="white", zorder=3, label=label,
                                              transform=self.acc_ax.transData + beside)[0]
            self.lines.append(run)
        self.loss_ax.set(xlabel="training step", ylabel="loss",
                         yscale="log" if self.log else "linear")
        self.loss_ax.grid(alpha=0.3)
        # the runs are named at their ends; the key says what each kind of line is
        c, m = ("grey", "o") if several else (self.styles[0]["color"], self.styles[0]["marker"])
        key = [Line2D([], [], color=c, alpha=0.3, lw=1), Line2D([], [], color=c, lw=2.2),
               Line2D([], [], color=c, ls="none", marker=m, ms=7, mec="white")]
        # under the panels, where no curve runs (a key inside the axes hid early spikes)
        self.fig.legend(key, ["train loss, each step", "train loss, smoothed",
                              "validation loss, each epoch"],
                        loc="lower center", ncol=3, frameon=False)
        if self.acc_ax is not None:
            self.acc_ax.set(xlabel="training step", ylabel="validation accuracy (%)",
                            ylim=(0, 100))
            self.acc_ax.grid(alpha=0.3)
        key_room = 0.4 / self.fig.get_figheight()        # inches kept for the key
        self.fig.subplots_adjust(left=0.08, right=0.93 if several else 0.97,  # room for the
                                 bottom=0.15 + key_room, top=0.88)            # names at the ends

    def show(self, k: int, train_loss, val_loss=(), val_acc=(), steps_per_epoch: int = 0) -> None:
        """Put run k's numbers into its lines and rescale the axes."""
        run, lines = self.runs[k], self.lines[k]
        steps = range(1, len(train_loss) + 1)
        run.update(train_loss=list(train_loss), val_loss=list(val_loss), val_acc=list(val_acc),
                   smooth=smoothed(train_loss, self.smooth))
        lines["raw"].set_data(steps, train_loss)
        lines["smooth"].set_data(steps, run["smooth"])
        epochs = max(len(val_loss), len(val_acc))
        per_epoch = steps_per_epoch or max(len(train_loss) // max(epochs, 1), 1)
        run["at"] = at = [per_epoch * (e + 1) for e in range(epochs)]
        lines["val"].set_data(at[:len(val_loss)], list(val_loss))
        if "acc" in lines:
            lines["acc"].set_data(at[:len(val_acc)], [100 * a for a in val_acc])
        self.loss_ax.relim()
        self.loss_ax.autoscale_view()
        if self.acc_ax is not None:
            self.acc_ax.set_xlim(self.loss_ax.get_xlim())  # the same steps under both panels

    def finish(self):
        """The final figure: spikes clipped and marked, runs labelled at their ends, alt text."""
        with matplotlib.rc_context(STYLE):
            self._clip_spikes()
            if len(self.labels) > 1:
                self._label_ends()
        return with_alt(self.fig, self.describe())

    def _clip_spikes(self) -> None:
        """One huge loss (a diverging run) must not squash every other curve flat."""
        firsts = [r["train_loss"][0] for r in self.runs if r.get("train_loss")]
        peaks = [max(r["train_loss"]) for r in self.runs if r.get("train_loss")]
        if self.log or not firsts or max(peaks) <= 2 * max(firsts):
            return
        top = 1.5 * max(firsts)
        low = min(min(r["train_loss"]) for r in self.runs if r.get("train_loss"))
        self.loss_ax.set_ylim(max(0.0, low - 0.05 * (top - low)), top)
        for k, run in enumerate(self.runs):
            losses = run.get("train_loss", [])
            if losses and max(losses) > top:
                step = losses.index(max(losses)) + 1
                self.loss_ax.annotate(f"peak {number(max(losses))} (cut off)", (step, top),
                                      xytext=(6, -4), textcoords="offset points", ha="left",
                                      va="top", color=self.styles[k]["color"], fontsize=10)

    def _label_ends(self) -> None:
        for ax, key in ((self.loss_ax, "smooth"), (self.acc_ax, "acc")):
            if ax is None:
                continue
            ends = []
            for k, (label, run) in enumerate(zip(self.labels, self.runs)):
                xs, ys = self.lines[k][key].get_data()
                if len(xs):
                    low, high = ax.get_ylim()
                    ends.append((label, xs[-1], min(max(ys[-1], low), high),
                                 self.styles[k]["color"]))
            right = max(x for _, x, _, _ in ends) if ends else 1
            ax.set_xlim(left=0, right=right * 1.3)
            direct_labels(ax, ends, pad_points=5 + (max(self.dodge) if key == "acc" else 0))

    def describe(self) -> str:
        """The alt text: the final numbers of every run."""
        parts = []
        for label, run in zip(self.labels, self.runs):
            if not run.get("train_loss"):
                continue
            bits = [f"train loss {number(run['smooth'][-1])} (smoothed) after "
                    f"{len(run['train_loss'])} steps"]
            if run["val_loss"]:
                bits.append(f"val loss {number(run['val_loss'][-1])}")
            if run["val_acc"]:
                epochs = len(run["val_acc"])
                bits.append(f"val accuracy {100 * run['val_acc'][-1]:.1f}% after {epochs} "
                            + ("epoch" if epochs == 1 else "epochs"))
            parts.append((f"{label}: " if label else "") + ", ".join(bits))
        what = "Loss per training step" + (" and validation accuracy per epoch"
                                           if self.acc_ax is not None else "")
        return f"{what}. " + "; ".join(parts) + "."


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


@course_plot
def plot_loss_curves(history, *, smooth: float = 0.9, log: bool = False):
    """Training loss per step (raw and smoothed), validation loss and accuracy per epoch.

    history: a History from fit, a dict label -> History to compare runs, or a list of
    losses. The accuracy panel appears when there is any accuracy to show. Several runs
    are labelled at the ends of their curves; a loss spike far above the start is cut
    off and marked with its value.

    Example (notebook 04):
        >>> plot_loss_curves([2.3, 1.2, 0.8, 0.5]).alt
        'Loss per training step. train loss 1.125 (smoothed) after 4 steps.'
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
    return curves.finish()
