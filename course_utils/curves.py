"""Training curves: the loss of every step and the validation numbers of every epoch, in two
panels side by side; ``LivePlot`` (machinery/live.py) redraws them while training runs.
Used in: notebooks 04 and 05.
"""
from __future__ import annotations

from matplotlib.lines import Line2D

from .figures import FULL_WIDTH, course_plot, new_figure, number, run_styles, with_alt


def smoothed(values, weight: float = 0.9) -> list[float]:
    """Exponential moving average, debiased as TensorBoard does (the first points not pulled to 0)."""
    out, avg = [], 0.0
    for k, v in enumerate(values, start=1):
        avg = weight * avg + (1 - weight) * v
        out.append(avg / (1 - weight ** k))
    return out


def _run(history, where: str) -> dict:
    """A History (or a LivePlot) -> the numbers to draw."""
    if not all(hasattr(history, a) for a in ("train_loss", "val_loss", "val_acc")):
        raise ValueError(f"plot_loss_curves expects a History (from fit) or a dict label -> "
                         f"History; got {type(history).__name__}{where}. Fix: history = "
                         "cu.fit(model, data, optimizer); cu.plot_loss_curves(history).")
    # validation runs after each epoch's last step: that is where its points go
    epochs = max(len(history.val_loss), len(history.val_acc))
    per_epoch = history.steps_per_epoch or len(history.train_loss) // max(epochs, 1)
    return dict(train_loss=list(history.train_loss), val_loss=list(history.val_loss),
                val_acc=[100 * a for a in history.val_acc],
                val_step=[per_epoch * (e + 1) for e in range(epochs)])


@course_plot
def plot_loss_curves(history):
    """Training loss per step (raw and smoothed), validation loss and accuracy per epoch.

    history: a History from fit, or a dict label -> History to compare runs. Validation
    points sit at the step where they were measured.

    Example (notebook 04):
        >>> history = History(train_loss=[2.3, 1.2, 0.8, 0.5], val_loss=[0.9], val_acc=[0.7],
        ...                   steps_per_epoch=4)
        >>> plot_loss_curves(history).axes[0].lines[2].get_xdata().tolist()  # validation: step 4
        [4]
    """
    if isinstance(history, dict):
        if not history:
            raise ValueError("plot_loss_curves got an empty dict. "
                             "Fix: {'sgd': history_sgd, 'adam': history_adam}.")
        runs = {str(k): _run(v, f" for {k!r}") for k, v in history.items()}
    else:
        runs = {"": _run(history, "")}
    fig, (loss_ax, acc_ax) = new_figure(FULL_WIDTH - 0.3, 4.6, 1, 2, sharex=True,
                                        layout="constrained", width_ratios=[3, 2])
    styles = run_styles(runs)
    hollow = dict(ms=8, mew=2, mfc="none")  # coinciding markers of two runs both show
    for (label, run), style in zip(runs.items(), styles):
        c, ls, m = style["color"], style["ls"], style["marker"]
        run["smooth"] = smoothed(run["train_loss"])
        steps = range(1, len(run["train_loss"]) + 1)
        loss_ax.plot(steps, run["train_loss"], color=c, ls=ls, lw=1, alpha=0.3)
        loss_ax.plot(steps, run["smooth"], color=c, ls=ls, lw=2.2, label=label)
        loss_ax.plot(run["val_step"][:len(run["val_loss"])], run["val_loss"], color=c,
                     ls="none", marker=m, zorder=3, **hollow)
        acc_ax.plot(run["val_step"][:len(run["val_acc"])], run["val_acc"], color=c, ls=ls,
                    lw=1.5, marker=m, label=label, **hollow)
    loss_ax.set(xlabel="training step", ylabel="loss")
    acc_ax.set(xlabel="training step", ylabel="validation accuracy (%)", ylim=(0, 100))
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)

    # one diverging run must not squash every other curve flat: a log scale shows them all
    first = max((run["train_loss"][0] for run in runs.values() if run["train_loss"]), default=0)
    if any(max(run["train_loss"], default=0) > 2 * first for run in runs.values()):
        loss_ax.set(yscale="log", ylabel="loss (log scale)")

    # the key: what each kind of line is (below), and which run is which (above)
    c, m = ("0.4", "o") if len(runs) > 1 else (styles[0]["color"], styles[0]["marker"])
    kinds = [Line2D([], [], color=c, lw=1, alpha=0.3), Line2D([], [], color=c, lw=2.2),
             Line2D([], [], color=c, ls="none", marker=m, **hollow)]
    fig.legend(kinds, ["train loss, each step", "train loss, smoothed",
                       "validation loss, at the step measured"],
               loc="outside lower center", ncol=3, frameon=False)
    if len(runs) > 1:
        names = [Line2D([], [], color=s["color"], ls=s["ls"], lw=2.2, marker=s["marker"], **hollow)
                 for s in styles]
        fig.legend(names, list(runs), loc="outside upper center", ncol=len(runs), frameon=False)
    parts = []                      # the alt text: the final numbers of every run
    for label, run in runs.items():
        if not run["train_loss"]:
            continue
        bits = [f"train loss {number(run['smooth'][-1])} (smoothed) after "
                f"{len(run['train_loss'])} steps"]
        if run["val_loss"]:
            bits.append(f"val loss {number(run['val_loss'][-1])}")
        if run["val_acc"]:
            epochs = len(run["val_acc"])
            bits.append(f"val accuracy {run['val_acc'][-1]:.1f}% after {epochs} "
                        + ("epoch" if epochs == 1 else "epochs"))
        parts.append((f"{label}: " if label else "") + ", ".join(bits))
    return with_alt(fig, "Loss per training step and validation accuracy per epoch. "
                    + "; ".join(parts) + ".")
