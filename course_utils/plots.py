"""The course's catalogue of static figures: gradients, filters, digits, confusion, saliency.

Every function returns a Figure from ``figures.new_figure``; end a notebook cell with
the call and Jupyter shows it as a PNG. Training curves live in curves.py, optimizer
paths in landscapes.py, the autograd graph in graph.py. Used in: notebooks 02, 03 and 05.
"""
from __future__ import annotations

import torch

from . import _checks
from .figures import PALETTE, message_figure, new_figure
from .models import check_image_batch, eval_mode


def gradient_stats(model_or_monitor, step: int = -1):
    """(names, mean |grad|, max |grad|, title) from a GradientMonitor record or a model's .grad."""
    if hasattr(model_or_monitor, "histograms"):
        monitor = _checks.monitor_with_records(model_or_monitor, "plot_gradient_flow(monitor)")
        return (monitor.names, monitor.mean_abs[step].tolist(), monitor.max_abs[step].tolist(),
                f"gradient size per layer at step {monitor.steps[step]}")
    if not isinstance(model_or_monitor, torch.nn.Module):
        raise ValueError(f"plot_gradient_flow expects a model or a GradientMonitor, got "
                         f"{type(model_or_monitor).__name__}. Fix: plot_gradient_flow(net) after "
                         "loss.backward().")
    named = [(n, p.grad) for n, p in model_or_monitor.named_parameters() if p.grad is not None]
    if not named:
        raise ValueError("No gradients yet: every parameter's .grad is None (a new model, or "
                         "zero_grad() set them to None). Fix: call loss.backward() first.")
    absolute = [g.detach().abs() for _, g in named]
    return ([n for n, _ in named], [a.mean().item() for a in absolute],
            [a.max().item() for a in absolute], "gradient size per layer")


def plot_gradient_flow(model_or_monitor, step: int = -1):
    """Mean and max |grad| per parameter tensor as dots on a log axis, in forward order.

    Pass a model right after loss.backward() (its layers in the order they were
    defined) or a GradientMonitor (forward order; ``step`` picks the record). Dots,
    not bars: on a log axis only the position means something.

    Example (notebook 03):
        >>> net = LeNet(); net(torch.randn(2, 1, 32, 32)).sum().backward()
        >>> plot_gradient_flow(net).axes[0].get_yscale()
        'log'
    """
    names, means, maxes, title = gradient_stats(model_or_monitor, step)
    fig, ax = new_figure(max(5.0, 0.6 * len(names) + 2.0), 4.0)
    x = list(range(len(names)))
    shown = [(i, m, t) for i, m, t in zip(x, means, maxes) if t > 0]
    ax.vlines([i for i, *_ in shown], [m for _, m, _ in shown], [t for *_, t in shown],
              color="0.6", lw=1.5)
    ax.plot([i for i, *_ in shown], [t for *_, t in shown], "^", color=PALETTE[1], ms=8,
            label="max |grad|")
    ax.plot([i for i, *_ in shown], [m for _, m, _ in shown], "o", color=PALETTE[0], ms=8,
            label="mean |grad|")
    for i, top in zip(x, maxes):
        if top == 0:
            ax.annotate("all 0", (i, 0.02), xycoords=("data", "axes fraction"), ha="center",
                        va="bottom", fontsize=10, color=PALETTE[1])
    ax.set_yscale("log")
    ax.set_xticks(x, names, rotation=45, ha="right", fontsize=10)
    ax.set(xlabel="parameter tensor (forward order)", ylabel="|gradient|", title=title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=10)
    fig.tight_layout()
    return fig


def plot_gradient_histograms(monitor, ncols: int = 5):
    """For each parameter tensor, a heatmap of its log10 |grad| histogram over the records.

    Each column is one record; colour is the fraction of the tensor's elements in the
    bin (log colour scale). Watch whole layers drift toward 0 (vanishing) or up.

    Example (notebook 03):
        >>> monitor = GradientMonitor(); net = LeNet()
        >>> net(torch.randn(2, 1, 32, 32)).sum().backward(); monitor.record(net)
        >>> len(plot_gradient_histograms(monitor).axes)   # 10 heatmaps and a colour bar
        11
    """
    from matplotlib.colors import LogNorm

    _checks.monitor_with_records(monitor, "monitor = cu.GradientMonitor(); "
                                 "cu.fit(..., monitor=monitor); cu.plot_gradient_histograms(monitor)")
    hists, names, numels = monitor.histograms, monitor.names, monitor.numels
    ncols = min(ncols, len(names))
    nrows = -(-len(names) // ncols)
    fig, axes = new_figure(2.3 * ncols + 0.6, 2.1 * nrows + 0.4, nrows, ncols,
                           layout="constrained", squeeze=False)
    low, high = monitor.log10_range
    first, last = monitor.steps[0], monitor.steps[-1]
    for i, ax in enumerate(axes.flat):
        if i >= len(names):
            ax.remove()
            continue
        fraction = (hists[:, i, :] / numels[i]).T.numpy()
        image = ax.imshow(fraction, origin="lower", aspect="auto", cmap="viridis",
                          norm=LogNorm(1e-4, 1), interpolation="nearest",
                          extent=(first - 0.5, last + 0.5, low, high))
        ax.set_title(names[i], fontsize=10)
        ax.tick_params(labelsize=8)
        if i % ncols == 0:
            ax.set_ylabel("log10 |grad|", fontsize=9)
        if i >= len(names) - ncols:
            ax.set_xlabel("step", fontsize=9)
    fig.colorbar(image, ax=fig.axes, shrink=0.8, label="fraction of elements")
    return fig


def tile_filters(kernels: torch.Tensor, gap: int = 1):
    """out x in x k x k kernels -> one 2-D array: filters across, input channels down, NaN gaps.

    Example:
        >>> tile_filters(torch.ones(6, 1, 5, 5)).shape
        (5, 35)
    """
    import numpy as np

    out_ch, in_ch, kh, kw = kernels.shape
    image = np.full((in_ch * (kh + gap) - gap, out_ch * (kw + gap) - gap), np.nan)
    k = kernels.detach().float().cpu().numpy()
    for o in range(out_ch):
        for i in range(in_ch):
            image[i * (kh + gap):i * (kh + gap) + kh, o * (kw + gap):o * (kw + gap) + kw] = k[o, i]
    return image


def show_tiled_filters(fig, ax, kernels: torch.Tensor, title: str, signed: bool) -> None:
    """Draw tile_filters(kernels) on ax: signed values on red/blue centred at 0, else grey."""
    image = tile_filters(kernels)
    m = float(kernels.detach().abs().max()) or 1.0
    shown = ax.imshow(image, cmap="RdBu_r" if signed else "gray", interpolation="nearest",
                      vmin=-m if signed else None, vmax=m if signed else None)
    out_ch, in_ch, kh, kw = kernels.shape
    ax.set_xticks([o * (kw + 1) + kw / 2 - 0.5 for o in range(out_ch)], range(out_ch))
    ax.set_yticks([i * (kh + 1) + kh / 2 - 0.5 for i in range(in_ch)], range(in_ch))
    ax.set(title=title, xlabel="filter (output channel)", ylabel="input channel")
    fig.colorbar(shown, ax=ax, shrink=0.8)


def plot_filters(weight, grad=None):
    """Convolution kernels (grey) and, beside them, their gradients (red +, blue -, 0 white).

    weight: a conv weight (out x in x k x k), e.g. ``net.conv1.weight``, or the layer.
    grad: a tensor of the same shape, or True for ``weight.grad``. Columns are the
    filters (output channels), rows the input channels.

    Example (notebook 03):
        >>> len(plot_filters(LeNet().conv1).axes)   # the filters and a colour bar
        2
    """
    if isinstance(weight, torch.nn.Module) and isinstance(getattr(weight, "weight", None),
                                                          torch.Tensor):
        weight = weight.weight
    if not isinstance(weight, torch.Tensor) or weight.dim() != 4:
        got = (f"shape {tuple(weight.shape)}" if isinstance(weight, torch.Tensor)
               else type(weight).__name__)
        raise ValueError(f"plot_filters expects a conv weight out x in x k x k, got {got}. "
                         "Fix: plot_filters(net.conv1.weight) (linear layers have no filters).")
    if grad is True:
        grad = weight.grad
        if grad is None:
            raise ValueError("grad=True but weight.grad is None. Fix: call loss.backward() first.")
    if grad is not None and (not isinstance(grad, torch.Tensor) or grad.shape != weight.shape):
        got = tuple(grad.shape) if isinstance(grad, torch.Tensor) else type(grad).__name__
        raise ValueError(f"grad must match the weight's shape {tuple(weight.shape)}, got {got}. "
                         "Fix: plot_filters(layer.weight, grad=layer.weight.grad).")
    out_ch, in_ch = weight.shape[:2]
    panels = [(weight, "filters", False)] + ([(grad, "their gradients", True)] if grad is not None
                                            else [])
    fig, axes = new_figure(5.0 * len(panels), 2.2 * in_ch / out_ch + 2.4, 1, len(panels),
                           squeeze=False)
    for ax, (kernels, title, signed) in zip(axes[0], panels):
        show_tiled_filters(fig, ax, kernels, title, signed)
    fig.tight_layout()
    return fig


def _labels(values, name):
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
    if not isinstance(images, torch.Tensor):
        raise ValueError(f"images must be a tensor N x 1 x 32 x 32, got {type(images).__name__}. "
                         "Fix: plot_digits(data.test.images[:16], data.test.labels[:16]).")
    x = images.detach().float().cpu()
    if x.dim() == 4 and x.shape[1] == 1:
        x = x[:, 0]
    elif x.dim() == 2:
        x = x[None]
    if x.dim() != 3:
        raise ValueError(f"images must be N x 1 x H x W (or N x H x W), got shape "
                         f"{tuple(images.shape)}. Fix: pass data.test.images[:16].")
    return x


def plot_digits(images, labels=None, predictions=None, *, ncols: int = 8, limit: int = 32):
    """A grid of digits titled with their label, or "pred (true)" in bold when wrong.

    predictions may be class indices or the model's N x 10 scores. At most ``limit``
    digits are shown.

    Example (notebook 05):
        >>> len(plot_digits(torch.zeros(3, 1, 32, 32), labels=[1, 2, 3]).axes)
        3
    """
    x = _images(images)[:limit]
    labels, predictions = _labels(labels, "labels"), _labels(predictions, "predictions")
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) < len(x):
            raise ValueError(f"{len(x)} images but only {len(values)} {name}. Fix: pass as "
                             f"many {name} as images, e.g. images[:16] with {name}[:16].")
    if len(x) == 0:  # e.g. the misclassified digits of a model that got every one right
        return message_figure("no digits to show", 3, 0.6)
    ncols = min(ncols, len(x))
    nrows = -(-len(x) // ncols)
    fig, axes = new_figure(1.25 * ncols, 1.5 * nrows, nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= len(x):
            ax.remove()
            continue
        ax.imshow(x[i].numpy(), cmap="gray", interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if predictions is not None:
            right = labels is None or predictions[i] == labels[i]
            title = f"{predictions[i]}" + ("" if right else f" (true {labels[i]})")
            ax.set_title(title, fontsize=10, color="black" if right else PALETTE[1],
                         fontweight="normal" if right else "bold")
        elif labels is not None:
            ax.set_title(str(labels[i]), fontsize=10)
    fig.tight_layout(pad=0.3, h_pad=0.6)
    return fig


def confusion_counts(model, split, batch_size: int = 1000) -> torch.Tensor:
    """10 x 10 int tensor: row = true class, column = predicted class.

    Example:
        >>> split = Split(torch.zeros(4, 1, 32, 32), torch.tensor([0, 1, 2, 3]))
        >>> int(confusion_counts(LeNet(), split).sum())
        4
    """
    if not all(hasattr(split, a) for a in ("images", "labels")):
        raise ValueError(f"expected a Split such as data.test, got {type(split).__name__}. "
                         "Fix: plot_confusion_matrix(model, data.test).")
    device = next(model.parameters()).device
    counts = torch.zeros(10, 10, dtype=torch.int64)
    with eval_mode(model), torch.no_grad():
        for x, y in split.batches(batch_size):
            pred = model(x.to(device)).argmax(1).cpu()
            counts += torch.bincount(y.cpu() * 10 + pred, minlength=100).view(10, 10)
    return counts


def plot_confusion_matrix(model, split, batch_size: int = 1000):
    """Which digits the model confuses: counts of true class (rows) vs predicted (columns).

    split: a data.Split such as ``data.test``.

    Example (notebook 05):
        >>> split = Split(torch.zeros(4, 1, 32, 32), torch.tensor([0, 1, 2, 3]))
        >>> plot_confusion_matrix(LeNet(), split).axes[0].get_xlabel()
        'predicted digit'
    """
    counts = confusion_counts(model, split, batch_size)
    total = int(counts.sum())
    fig, ax = new_figure(5.6, 5.0)
    ax.imshow(counts.numpy(), cmap="Blues")
    top = int(counts.max()) or 1
    for t in range(10):
        for p in range(10):
            c = int(counts[t, p])
            if c:
                ax.text(p, t, str(c), ha="center", va="center", fontsize=8,
                        color="white" if c > top / 2 else "black")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set(xlabel="predicted digit", ylabel="true digit",
           title=f"accuracy {int(counts.trace()) / max(total, 1):.1%} on {total} digits")
    fig.tight_layout()
    return fig


def plot_saliency(model, images, target=None):
    """Which pixels move the predicted score most: |d score / d pixel| under each image.

    images: one image 1 x 32 x 32 or a few N x 1 x 32 x 32 (N <= 8). target: the class
    whose score to explain (default: the predicted one). The model's .grad is untouched.

    Example (notebook 05):
        >>> len(plot_saliency(LeNet(), torch.randn(2, 1, 32, 32)).axes)
        4
    """
    if isinstance(images, torch.Tensor) and images.dim() == 3 and images.shape[0] == 1:
        images = images.unsqueeze(0)
    check_image_batch(images, "images")
    if len(images) > 8:
        raise ValueError(f"plot_saliency shows at most 8 images, got {len(images)}. "
                         "Fix: plot_saliency(model, images[:8]).")
    device = next(model.parameters()).device
    x = images.detach().to(device).clone().requires_grad_(True)
    with eval_mode(model):
        scores = model(x)
        chosen = scores.argmax(1) if target is None else torch.as_tensor(target).expand(len(x))
        picked = scores.gather(1, chosen.view(-1, 1).to(device)).sum()
        (grad,) = torch.autograd.grad(picked, x)
    heat = grad.abs().amax(1).cpu()
    fig, axes = new_figure(1.8 * len(x) + 0.4, 4.2, 2, len(x), squeeze=False)
    for i in range(len(x)):
        axes[0, i].imshow(images[i, 0].detach().cpu().numpy(), cmap="gray")
        axes[0, i].set_title(f"predicted {int(scores[i].argmax())}", fontsize=10)
        axes[1, i].imshow(heat[i].numpy(), cmap="hot")
        axes[1, i].set_title(f"saliency for {int(chosen[i])}", fontsize=10)
        for ax in axes[:, i]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout(pad=0.4, h_pad=1.5)
    return fig
