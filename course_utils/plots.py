"""Static figures: loss curves, gradient flow and histograms, filters, digits, confusion.

Every function returns a matplotlib Figure that pyplot does not hold (nothing to
close, no "more than 20 figures" warning); end a notebook cell with the call and
Jupyter shows it as a PNG. Used in: notebooks 03 to 05.
"""
from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100


class CourseFigure(Figure):
    """A Figure that shows itself as PNG in Jupyter, whatever backend is active."""

    def _repr_png_(self) -> bytes:
        return png_bytes(self, tight=True, compact=True)

    def __repr__(self) -> str:  # the same text as a plain Figure (the nbval sanitizer masks it)
        return super().__repr__().replace(type(self).__name__, "Figure", 1)


def png_bytes(fig: Figure, tight: bool = False, compact: bool = False) -> bytes:
    """The figure rendered as PNG bytes (at DPI dots per inch).

    compact=True stores it with a 256-colour palette: 2-4 times smaller, which keeps the
    stored notebooks small, for about 50 ms more per figure.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight" if tight else None)
    if not compact:
        return buf.getvalue()
    from PIL import Image

    buf.seek(0)
    palette = Image.open(buf).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    palette.save(out, format="png", optimize=True)
    return out.getvalue()


def new_figure(width: float, height: float, nrows: int = 1, ncols: int = 1, **kwargs):
    """A (figure, axes) pair like plt.subplots, but not registered with pyplot.

    Example:
        >>> fig, ax = new_figure(6, 3)
    """
    fig = CourseFigure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    kwargs.setdefault("squeeze", True)
    axes = fig.subplots(nrows, ncols, **kwargs)
    return fig, axes


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


COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def draw_curves(ax, train_loss, val_loss=(), val_acc=(), steps_per_epoch: int = 0,
                colour: str = COLOURS[0], label: str = "", smooth: float = 0.9, acc_ax=None):
    """Draw one run's curves on ax (train raw + smoothed, validation per epoch), acc on acc_ax.

    A labelled run (one of several) gets one legend entry, its name; an unlabelled one gets
    an entry per curve.
    """
    steps = range(1, len(train_loss) + 1)
    if len(train_loss):
        ax.plot(steps, train_loss, color=colour, alpha=0.25, lw=1)
        ax.plot(steps, smoothed(train_loss, smooth), color=colour, lw=2,
                label=label or ("train loss" + (" (smoothed)" if smooth else "")))
    per_epoch = steps_per_epoch or max(len(train_loss) // max(len(val_loss), 1), 1)
    epochs = [per_epoch * (e + 1) for e in range(max(len(val_loss), len(val_acc)))]
    if len(val_loss):
        ax.plot(epochs[:len(val_loss)], val_loss, **VAL_LOSS_STYLE, color=colour, lw=1.5, ms=5,
                label="_nolegend_" if label else "val loss")
    if len(val_acc) and acc_ax is not None:
        acc_ax.plot(epochs[:len(val_acc)], [100 * a for a in val_acc], **VAL_ACC_STYLE,
                    color=colour, lw=1.5, ms=5, label="_nolegend_" if label else "val accuracy")


VAL_LOSS_STYLE = dict(linestyle="--", marker="o")
VAL_ACC_STYLE = dict(linestyle=":", marker="s")


def _runs(history) -> dict:
    """history (History, dict label -> History/list, or list of floats) -> {label: dict}."""
    def one(h, label):
        if isinstance(h, (list, tuple)) or (hasattr(h, "tolist") and not hasattr(h, "train_loss")):
            values = [float(v) for v in (h.tolist() if hasattr(h, "tolist") else h)]
            return dict(train_loss=values, val_loss=[], val_acc=[], steps_per_epoch=0)
        if all(hasattr(h, a) for a in ("train_loss", "val_loss", "val_acc")):
            return dict(train_loss=list(h.train_loss), val_loss=list(h.val_loss),
                        val_acc=list(h.val_acc), steps_per_epoch=getattr(h, "steps_per_epoch", 0))
        raise ValueError(f"loss_curves expects a History (from fit), a dict label -> History, "
                         f"or a list of losses; got {type(h).__name__}{label}. Fix: "
                         "history = cu.fit(model, data, optimizer); cu.loss_curves(history).")
    if isinstance(history, dict):
        if not history:
            raise ValueError("loss_curves got an empty dict. Fix: {'sgd': history_sgd, ...}.")
        return {str(k): one(v, f" for {k!r}") for k, v in history.items()}
    return {"": one(history, "")}


def loss_curves(history, smooth: float = 0.9, log: bool = False):
    """Training loss per step (raw and smoothed), validation loss and accuracy per epoch.

    history: a History from fit, a dict label -> History to compare runs, or a list of
    losses. Accuracy (when there is any) uses the right-hand axis.

    Example (notebook 05):
        >>> loss_curves({"sgd": h1, "adam": h2})
    """
    runs = _runs(history)
    fig, ax = new_figure(7, 3.6)
    acc_ax = ax.twinx() if any(r["val_acc"] for r in runs.values()) else None
    for k, (label, run) in enumerate(runs.items()):
        draw_curves(ax, **run, colour=COLOURS[k % len(COLOURS)], label=label, smooth=smooth,
                    acc_ax=acc_ax)
    label_curves(ax, acc_ax, log, key=any(runs))
    fig.tight_layout()
    return fig


def label_curves(ax, acc_ax=None, log: bool = False, key: bool = False) -> None:
    """Axis labels, grid and one legend for both axes (loss_curves and LivePlot).

    key=True (several runs, one colour each) adds grey entries explaining the line styles.
    """
    from matplotlib.lines import Line2D

    ax.set(xlabel="training step", ylabel="loss", yscale="log" if log else "linear")
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if acc_ax is not None:
        acc_ax.set_ylabel("validation accuracy (%)")
        more = acc_ax.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    if key:
        styles = [({"linestyle": "-"}, "train loss (smoothed)"), (VAL_LOSS_STYLE, "val loss")]
        if acc_ax is not None:
            styles.append((VAL_ACC_STYLE, "val accuracy (right)"))
        for style, text in styles:
            handles.append(Line2D([], [], color="grey", lw=1.5, **style))
            labels.append(text)
    if handles and key:  # several runs: outside the axes, so that no curve hides behind it
        ax.legend(handles, labels, fontsize=8, loc="upper left",
                  bbox_to_anchor=(1.12 if acc_ax is not None else 1.01, 1), borderaxespad=0)
    elif handles:
        ax.legend(handles, labels, fontsize=8,
                  loc="upper right" if acc_ax is None else "center right")


def gradient_stats(model_or_monitor, step: int = -1):
    """(names, mean |grad|, max |grad|, title) from a GradientMonitor record or a model's .grad."""
    from torch import nn

    if hasattr(model_or_monitor, "mean_abs") and hasattr(model_or_monitor, "names"):
        monitor = model_or_monitor
        if not len(monitor):
            raise ValueError("The GradientMonitor has no records yet. Fix: call "
                             "monitor.record(model) after loss.backward(), or pass "
                             "monitor=monitor to fit.")
        return (monitor.names, monitor.mean_abs[step].tolist(), monitor.max_abs[step].tolist(),
                f"gradient flow at step {monitor.steps[step]}")
    if not isinstance(model_or_monitor, nn.Module):
        raise ValueError(f"gradient_flow expects a model or a GradientMonitor, got "
                         f"{type(model_or_monitor).__name__}. Fix: gradient_flow(net) after "
                         "loss.backward().")
    named = [(n, p.grad) for n, p in model_or_monitor.named_parameters() if p.grad is not None]
    if not named:
        raise ValueError("No gradients yet: every parameter's .grad is None (a new model, or "
                         "zero_grad() set them to None). Fix: call loss.backward() first.")
    absolute = [g.detach().abs() for _, g in named]
    return ([n for n, _ in named], [a.mean().item() for a in absolute],
            [a.max().item() for a in absolute], "gradient flow")


def gradient_flow(model_or_monitor, step: int = -1):
    """Mean and max |grad| per parameter tensor, on a log scale, in forward order.

    Pass a model right after loss.backward() (its layers in the order they were
    defined) or a GradientMonitor (forward order; ``step`` picks the record). Nothing
    is clipped: a log axis shows tiny and huge gradients together.

    Example (notebook 03):
        >>> loss.backward(); gradient_flow(net)
    """
    names, means, maxes, title = gradient_stats(model_or_monitor, step)
    fig, ax = new_figure(max(4.5, 0.55 * len(names) + 1.5), 3.8)
    x = range(len(names))
    ax.bar(x, maxes, width=0.8, color="#9ecae1", label="max |grad|")
    ax.bar(x, means, width=0.45, color="#08519c", label="mean |grad|")
    for i, (mean, top) in enumerate(zip(means, maxes)):
        if top == 0:
            ax.annotate("all 0", (i, 0), xycoords=("data", "axes fraction"), ha="center",
                        va="bottom", fontsize=8, color="#d62728")
    ax.set_yscale("log")
    ax.set_xticks(list(x), names, rotation=45, ha="right", fontsize=8)
    ax.set(ylabel="|gradient|", title=title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def gradient_histograms(monitor, ncols: int = 5):
    """For each parameter tensor, a heatmap of its log10 |grad| histogram over the records.

    Each column is one record; colour is the fraction of the tensor's elements in the
    bin (log colour scale). Watch whole layers drift toward 0 (vanishing) or up.

    Example (notebook 05):
        >>> gradient_histograms(monitor)
    """
    from matplotlib.colors import LogNorm

    if not hasattr(monitor, "histograms"):
        raise ValueError(f"gradient_histograms expects a GradientMonitor, got "
                         f"{type(monitor).__name__}. Fix: monitor = cu.GradientMonitor(); "
                         "cu.fit(..., monitor=monitor); cu.gradient_histograms(monitor).")
    if not len(monitor):
        raise ValueError("The GradientMonitor has no records yet. Fix: call monitor.record(model) "
                         "after loss.backward(), or pass monitor=monitor to fit.")
    hists, names, numels = monitor.histograms, monitor.names, monitor.numels
    ncols = min(ncols, len(names))
    nrows = -(-len(names) // ncols)
    fig = CourseFigure(figsize=(2.3 * ncols + 0.6, 2.1 * nrows + 0.4), dpi=DPI,
                       layout="constrained")
    FigureCanvasAgg(fig)
    low, high = monitor.log10_range
    first, last = monitor.steps[0], monitor.steps[-1]
    for i, name in enumerate(names):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        fraction = (hists[:, i, :] / numels[i]).T.numpy()
        image = ax.imshow(fraction, origin="lower", aspect="auto", cmap="viridis",
                          norm=LogNorm(1e-4, 1), interpolation="nearest",
                          extent=(first - 0.5, last + 0.5, low, high))
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
        if i % ncols == 0:
            ax.set_ylabel("log10 |grad|", fontsize=8)
        if i >= len(names) - ncols:
            ax.set_xlabel("step", fontsize=8)
    fig.colorbar(image, ax=fig.axes, shrink=0.8, label="fraction of elements")
    return fig


def _tile(kernels, gap=1):
    """in x out grid of k x k kernels -> one image with NaN gaps (numpy)."""
    import numpy as np

    out_ch, in_ch, kh, kw = kernels.shape
    image = np.full((in_ch * (kh + gap) - gap, out_ch * (kw + gap) - gap), np.nan)
    k = kernels.detach().float().cpu().numpy()
    for o in range(out_ch):
        for i in range(in_ch):
            image[i * (kh + gap):i * (kh + gap) + kh, o * (kw + gap):o * (kw + gap) + kw] = k[o, i]
    return image


def show_filters(weight, grad=None):
    """Convolution kernels (grey) and, beside them, their gradients (red +, blue -, 0 white).

    weight: a conv weight (out x in x k x k), e.g. ``net.conv1.weight``, or the layer.
    grad: a tensor of the same shape, or True for ``weight.grad``. Columns are the
    filters (output channels), rows the input channels.

    Example (notebook 03):
        >>> loss.backward(); show_filters(net.conv1.weight, grad=True)
    """
    import torch

    if isinstance(weight, torch.nn.Module) and isinstance(getattr(weight, "weight", None),
                                                          torch.Tensor):
        weight = weight.weight
    if not isinstance(weight, torch.Tensor) or weight.dim() != 4:
        got = (f"shape {tuple(weight.shape)}" if isinstance(weight, torch.Tensor)
               else type(weight).__name__)
        raise ValueError(f"show_filters expects a conv weight out x in x k x k, got {got}. "
                         "Fix: show_filters(net.conv1.weight) (linear layers have no filters).")
    if grad is True:
        grad = weight.grad
        if grad is None:
            raise ValueError("grad=True but weight.grad is None. Fix: call loss.backward() first.")
    if grad is not None and (not isinstance(grad, torch.Tensor) or grad.shape != weight.shape):
        got = tuple(grad.shape) if isinstance(grad, torch.Tensor) else type(grad).__name__
        raise ValueError(f"grad must match the weight's shape {tuple(weight.shape)}, got {got}. "
                         "Fix: show_filters(layer.weight, grad=layer.weight.grad).")
    out_ch, in_ch = weight.shape[:2]
    panels = [("filters (columns) x input channels (rows)", _tile(weight), "gray", None)]
    if grad is not None:
        g = _tile(grad)
        m = float(abs(grad).max()) or 1.0
        panels.append(("their gradients (red +, blue -)", g, "RdBu_r", (-m, m)))
    width = 4.6 * len(panels)
    fig, axes = new_figure(width, 4.2 * in_ch / out_ch + 1.0, 1, len(panels))
    for ax, (title, image, cmap, limits) in zip(fig.axes[:len(panels)], panels):
        vmin, vmax = limits or (None, None)
        shown = ax.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        kh, kw = weight.shape[2:]
        ax.set_xticks([o * (kw + 1) + kw / 2 - 0.5 for o in range(out_ch)], range(out_ch),
                      fontsize=7)
        ax.set_yticks([i * (kh + 1) + kh / 2 - 0.5 for i in range(in_ch)], range(in_ch),
                      fontsize=7)
        fig.colorbar(shown, ax=ax, shrink=0.8)
    return fig


def _labels(values, name):
    import torch

    if values is None:
        return None
    values = torch.as_tensor(values)
    if values.dim() == 2:  # scores / logits: the predicted class is the largest
        values = values.argmax(1)
    if values.dim() != 1:
        raise ValueError(f"{name} must be one class per image (or N x 10 scores), got shape "
                         f"{tuple(values.shape)}. Fix: {name}=scores.argmax(1).")
    return values.tolist()


def _images(images):
    """N x 1 x H x W, N x H x W or 1 x H x W / H x W -> N x H x W float tensor."""
    import torch

    if not isinstance(images, torch.Tensor):
        raise ValueError(f"images must be a tensor N x 1 x 32 x 32, got {type(images).__name__}. "
                         "Fix: show_digits(data.test.images[:16], data.test.labels[:16]).")
    x = images.detach().float().cpu()
    if x.dim() == 4 and x.shape[1] == 1:
        x = x[:, 0]
    elif x.dim() == 2:
        x = x[None]
    if x.dim() != 3:
        raise ValueError(f"images must be N x 1 x H x W (or N x H x W), got shape "
                         f"{tuple(images.shape)}. Fix: pass data.test.images[:16].")
    return x


def show_digits(images, labels=None, predictions=None, ncols: int = 8, limit: int = 32):
    """A grid of digits titled with their label, or "pred (true)" in red when wrong.

    predictions may be class indices or the model's N x 10 scores. At most ``limit``
    digits are shown.

    Example (notebook 05):
        >>> show_digits(x[:16], y[:16], predictions=net(x[:16]))
    """
    x = _images(images)[:limit]
    labels, predictions = _labels(labels, "labels"), _labels(predictions, "predictions")
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) < len(x):
            raise ValueError(f"{len(x)} images but only {len(values)} {name}. Fix: pass as "
                             f"many {name} as images, e.g. images[:16] with {name}[:16].")
    if len(x) == 0:  # e.g. the misclassified digits of a model that got every one right
        fig = CourseFigure(figsize=(3, 0.5), dpi=DPI)
        FigureCanvasAgg(fig)
        fig.text(0.5, 0.5, "no digits to show", ha="center", va="center", fontsize=10)
        return fig
    ncols = min(ncols, len(x))
    nrows = -(-len(x) // ncols)
    fig = CourseFigure(figsize=(1.1 * ncols, 1.25 * nrows), dpi=DPI)
    FigureCanvasAgg(fig)
    for i, image in enumerate(x):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        ax.imshow(image.numpy(), cmap="gray", interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if predictions is not None:
            right = labels is None or predictions[i] == labels[i]
            title = f"{predictions[i]}" + ("" if right else f" (true {labels[i]})")
            ax.set_title(title, fontsize=9, color="black" if right else "#d62728",
                         fontweight="normal" if right else "bold")
        elif labels is not None:
            ax.set_title(str(labels[i]), fontsize=9)
    fig.tight_layout(pad=0.3)
    return fig


def confusion_counts(model, split, batch_size: int = 1000):
    """10 x 10 int tensor: row = true class, column = predicted class."""
    import torch

    if hasattr(split, "test") and not hasattr(split, "images"):
        split = split.test  # an MNIST: use its test split
    if not all(hasattr(split, a) for a in ("images", "labels")):
        raise ValueError(f"confusion_matrix expects a Split such as data.test, got "
                         f"{type(split).__name__}. Fix: confusion_matrix(model, data.test).")
    device = next(model.parameters()).device
    counts = torch.zeros(10, 10, dtype=torch.int64)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(split.labels), batch_size):
                x = split.images[start:start + batch_size].to(device)
                y = split.labels[start:start + batch_size].cpu()
                pred = model(x).argmax(1).cpu()
                counts += torch.bincount(y * 10 + pred, minlength=100).view(10, 10)
    finally:
        model.train(was_training)
    return counts


def confusion_matrix(model, split, batch_size: int = 1000):
    """Which digits the model confuses: counts of true class (rows) vs predicted (columns).

    split: a data.Split such as ``data.test`` (an MNIST object uses its test split).

    Example (notebook 05):
        >>> confusion_matrix(model, data.test)
    """
    counts = confusion_counts(model, split, batch_size)
    total = int(counts.sum())
    fig, ax = new_figure(5.2, 4.6)
    ax.imshow(counts.numpy(), cmap="Blues")
    top = int(counts.max()) or 1
    for t in range(10):
        for p in range(10):
            c = int(counts[t, p])
            if c:
                ax.text(p, t, str(c), ha="center", va="center", fontsize=7,
                        color="white" if c > top / 2 else "black")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set(xlabel="predicted digit", ylabel="true digit",
           title=f"accuracy {int(counts.trace()) / max(total, 1):.1%} on {total} digits")
    fig.tight_layout()
    return fig


def saliency(model, images, target=None):
    """Which pixels move the predicted score most: |d score / d pixel| under each image.

    images: one image 1 x 32 x 32 or a few N x 1 x 32 x 32 (N <= 8). target: the class
    whose score to explain (default: the predicted one). The model's .grad is untouched.

    Example (notebook 05):
        >>> saliency(model, data.test.images[:4])
    """
    import torch

    from .models import check_image_batch

    if isinstance(images, torch.Tensor) and images.dim() == 3 and images.shape[0] == 1:
        images = images.unsqueeze(0)
    check_image_batch(images, "images")
    if len(images) > 8:
        raise ValueError(f"saliency shows at most 8 images, got {len(images)}. "
                         "Fix: saliency(model, images[:8]).")
    device = next(model.parameters()).device
    x = images.detach().to(device).clone().requires_grad_(True)
    was_training = model.training
    model.eval()
    try:
        scores = model(x)
        chosen = scores.argmax(1) if target is None else torch.as_tensor(target).expand(len(x))
        picked = scores.gather(1, chosen.view(-1, 1).to(device)).sum()
        (grad,) = torch.autograd.grad(picked, x)
    finally:
        model.train(was_training)
    heat = grad.abs().amax(1).cpu()
    fig, axes = new_figure(1.6 * len(x) + 0.3, 3.8, 2, len(x), squeeze=False)
    for i in range(len(x)):
        axes[0, i].imshow(images[i, 0].detach().cpu().numpy(), cmap="gray")
        axes[0, i].set_title(f"predicted {int(scores[i].argmax())}", fontsize=9)
        axes[1, i].imshow(heat[i].numpy(), cmap="hot")
        axes[1, i].set_title(f"saliency for {int(chosen[i])}", fontsize=9)
        for ax in axes[:, i]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout(pad=0.4, h_pad=1.5)
    return fig
