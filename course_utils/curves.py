"""Training curves: the loss of every step and the validation numbers of every epoch, in two
panels side by side; ``LivePlot`` (machinery/live.py) redraws them while training runs.
Used in: notebooks 04 and 05.
"""
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
    kept = [(r["val_loss"].index(min(r["val_loss"])), min(r["val_loss"])) if len(r["val_loss"]) > 1
            else None for r in runs.values()]
    for i, ((label, run), style) in enumerate(zip(runs.items(), styles)):
        c, ls, m = style["color"], style["ls"], style["marker"]
        run["smooth"] = smoothed(run["train_loss"])
        steps = range(1, len(run["train_loss"]) + 1)
        loss_ax.plot(steps, run["train_loss"], color=c, ls=ls, lw=1, alpha=0.3)
        loss_ax.plot(steps, run["smooth"], color=c, ls=ls, lw=2.2, label=label)
        loss_ax.plot(run["val_step"][:len(run["val_loss"])], run["val_loss"], color=c,
                     ls="none", marker=m, zorder=3, **hollow)
        acc_ax.plot(run["val_step"][:len(run["val_acc"])], run["val_acc"], color=c, ls=ls,
                    lw=1.5, marker=m, label=label, zorder=3, **hollow)
        if len(run["val_loss"]) > 1:       # the epoch early stopping keeps: filled, in both panels
            run["kept"] = k = run["val_loss"].index(min(run["val_loss"]))
            for ax, values in ((loss_ax, run["val_loss"]), (acc_ax, run["val_acc"])):
                ax.plot(run["val_step"][k], values[k], color=c, marker=m, mec="black", mew=1,
                        ms=13 + 6 * kept[i + 1:].count(kept[i]), zorder=2.5)  # nest if equal
    # the differences the runs show: accuracy from a round number below the lowest one, and
    # a log scale for the loss when it falls tenfold or one run diverges (not squashed flat)
    low = int(max(0, 10 * ((min((a for r in runs.values() for a in r["val_acc"]), default=0) - 5)
                          // 10)))
    loss_ax.set(xlabel="training step", ylabel="loss")
    acc_ax.set(xlabel="training step", ylabel="validation accuracy (%)", ylim=(low, 100),
               yticks=range(low, 101, 5 if low >= 70 else 10 if low else 20))
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
    first = max((run["train_loss"][0] for run in runs.values() if run["train_loss"]), default=0)
    if any(max(run["train_loss"], default=0) > 2 * first
           or min(run["smooth"], default=first) < first / 10 for run in runs.values()):
        loss_ax.set(yscale="log", ylabel="loss (log scale)")    # the faint per-step dips may
        loss_ax.set_ylim(bottom=0.5 * min(min(r["smooth"] + r["val_loss"], default=1)  # go under
                                          for r in runs.values()))

    # the key: what each kind of line is (below), and which run is which (above)
    c, m = ("0.4", "o") if len(runs) > 1 else (styles[0]["color"], styles[0]["marker"])
    kinds = [Line2D([], [], color=c, lw=1, alpha=0.3), Line2D([], [], color=c, lw=2.2),
             Line2D([], [], color=c, ls="none", marker=m, **hollow),
             Line2D([], [], color=c, ls="none", marker=m, ms=12, mec="black", mew=1)]
    names = ["train loss, each step", "train loss, smoothed", "validation, at the step measured"
             + (" (hollow: one shape per run)" if len(runs) > 1 else ""),
             "lowest validation loss: the epoch kept"]
    kept = any("kept" in run for run in runs.values())
    fig.legend(kinds[:3 + kept], names[:3 + kept], loc="outside lower center", ncol=2,
               frameon=False)
    if len(runs) > 1:
        names = [Line2D([], [], color=s["color"], ls=s["ls"], lw=2.2, marker=s["marker"], **hollow)
                 for s in styles]
        fig.legend(names, list(runs), loc="outside upper center", ncol=len(runs), frameon=False)
    parts = []                      # the alt text: the final numbers of every run
    for label, run in ((k, r) for k, r in runs.items() if r["train_loss"]):
        epochs, k = len(run["val_acc"]), run.get("kept", 0)
        bits = [f"train loss {number(run['smooth'][-1])} (smoothed) after "
                f"{len(run['train_loss'])} steps"] + [
            f"val loss {number(v)}" for v in run["val_loss"][-1:]] + [
            f"val accuracy {a:.1f}% after {epochs} epoch{'s' * (epochs > 1)}"
            for a in run["val_acc"][-1:]] + [
            f"lowest val loss {number(v)} at epoch {k + 1} (filled marker: the epoch kept)"
            for v in run["val_loss"][k:k + 1] if "kept" in run]
        parts.append((f"{label}: " if label else "") + ", ".join(bits))
    return with_alt(fig, "Loss per training step and validation accuracy per epoch. "
                    + "; ".join(parts) + ".")
