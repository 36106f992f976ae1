"""The course's catalogue of static figures: gradients, filters, digits, confusion, saliency.

Every function returns a Figure from ``figures.new_figure``; end a notebook cell with
the call and Jupyter shows it as a PNG. Training curves live in curves.py, optimizer
paths in landscapes.py, the autograd graph in graph.py. Used in: notebooks 02, 03 and 05.
"""
from __future__ import annotations

import torch

from . import _checks
from .figures import FULL_WIDTH, PALETTE, course_plot, message_figure, new_figure, number, with_alt
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


@course_plot
def plot_gradient_flow(model_or_monitor, step: int = -1):
    """Mean and max |grad| per parameter tensor as dots on a log axis, in forward order.

    Pass a model right after loss.backward() (its layers in the order they were
    defined) or a GradientMonitor (forward order; ``step`` picks the record). Dots,
    not bars: on a log axis only the position means something.

    Example (notebook 03):
        >>> net = LeNet(); net(torch.randn(2, 1, 32, 32)).sum().backward()
        >>> plot_gradient_flow(net).axes[0].get_xscale()
        'log'
    """
    names, means, maxes, title = gradient_stats(model_or_monitor, step)
    fig, ax = new_figure(6.6, 0.38 * len(names) + 1.4)
    rows = list(range(len(names)))[::-1]  # the first layer on top
    shown = [(r, m, t) for r, m, t in zip(rows, means, maxes) if t > 0]
    ax.hlines([r for r, *_ in shown], [m for _, m, _ in shown], [t for *_, t in shown],
              color="0.7", lw=1.5)
    ax.plot([t for *_, t in shown], [r for r, *_ in shown], "^", color=PALETTE[1], ms=8,
            ls="none", label="max |grad|")
    ax.plot([m for _, m, _ in shown], [r for r, *_ in shown], "o", color=PALETTE[0], ms=8,
            ls="none", label="mean |grad|")
    for r, top in zip(rows, maxes):
        if top == 0:
            ax.annotate("all 0", (0.01, r), xycoords=("axes fraction", "data"), va="center",
                        color=PALETTE[1])
    ax.set_xscale("log")
    ax.set_yticks(rows, names)
    biggest = names[max(range(len(names)), key=means.__getitem__)]
    ax.set(xlabel="|gradient| (log scale)", ylabel="parameter tensor",
           title=f"{title}: largest mean in {biggest}")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)  # off the dots
    fig.tight_layout()
    listed = ", ".join(f"{n} {number(m)}" for n, m in zip(names, means))
    return with_alt(fig, f"Mean and max absolute gradient of each parameter tensor on a log "
                         f"scale ({title}). Mean |grad|: {listed}.")


@course_plot
def plot_gradient_histograms(monitor, *, weights_only: bool = True):
    """For each weight tensor, how its |grad| values spread over sizes, record by record.

    Each column is one record; colour is the share of the tensor's elements in each
    size bin (log10 |grad|, log colour scale). The bottom row counts the elements
    whose gradient is exactly 0 (a ReLU that was off passes no gradient), so they are
    not mistaken for tiny ones. weights_only=False shows the biases too.

    Example (notebook 03):
        >>> monitor = GradientMonitor(); net = LeNet()
        >>> net(torch.randn(2, 1, 32, 32)).sum().backward(); monitor.record(net)
        >>> len(plot_gradient_histograms(monitor).axes)   # 5 weight tensors and a colour bar
        6
    """
    import matplotlib
    from matplotlib.colors import LogNorm

    viridis = matplotlib.colormaps["viridis"]
    empty = viridis(0.0)  # an empty bin is "no elements": the scale's darkest colour, not white

    _checks.monitor_with_records(monitor, "monitor = cu.GradientMonitor(); "
                                 "cu.fit(..., monitor=monitor); cu.plot_gradient_histograms(monitor)")
    keep = [i for i, n in enumerate(monitor.names)
            if not weights_only or not n.endswith(".bias")]
    low, high = monitor.log10_range
    bin_height = (high - low) / monitor.bins
    first, last = monitor.steps[0], monitor.steps[-1]
    fig, axes = new_figure(FULL_WIDTH, 3.6, 1, len(keep), layout="constrained", squeeze=False)
    zeros = monitor.zero_fraction
    for col, (ax, i) in enumerate(zip(axes[0], keep)):
        counts = monitor.histograms[:, i, :].clone()
        exact = zeros[:, i] * monitor.numels[i]
        counts[:, 0] -= exact                  # the first bin held the zeros too
        share = torch.cat([exact[:, None], counts], 1).T / monitor.numels[i]
        image = ax.imshow(share.numpy(), origin="lower", aspect="auto", cmap=viridis.with_extremes(bad=empty, under=empty),
                          norm=LogNorm(1e-4, 1), interpolation="nearest",
                          extent=(first - 0.5, last + 0.5, low - bin_height, high))
        ax.axhline(low, color="white", lw=1.5)  # above it sizes, below it exact zeros
        name = monitor.names[i]
        ax.set_title(f"{name.removesuffix('.weight')}\n{100 * zeros[-1, i]:.0f}% exactly 0")
        ax.set_xlabel("step")
        ticks = [t for t in range(int(low) + 2, int(high) + 1, 4)]
        ax.set_yticks([low - bin_height / 2, *ticks], ["= 0", *(f"1e{t}" for t in ticks)])
        if col == 0:
            ax.set_ylabel("|gradient| (log scale)")
        else:
            ax.tick_params(labelleft=False)
    fig.colorbar(image, ax=list(axes[0]), shrink=0.9, label="share of elements")
    fig.suptitle(f"Gradient sizes of each weight tensor, steps {first} to {last}")
    listed = ", ".join(f"{monitor.names[i]} {100 * zeros[-1, i]:.0f}%" for i in keep)
    return with_alt(fig, f"Heatmaps of log10 |gradient| per weight tensor over steps {first} to "
                         f"{last}, with a row for exact zeros. Share of exactly-zero gradients "
                         f"at step {last}: {listed}.")


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


def show_tiled_filters(fig, ax, kernels: torch.Tensor, title: str, signed: bool,
                       label: str | None = None) -> None:
    """Draw tile_filters(kernels) on ax: signed values on red/blue centred at 0, else grey."""
    image = tile_filters(kernels)
    m = float(kernels.detach().abs().max()) or 1.0
    shown = ax.imshow(image, cmap="RdBu_r" if signed else "gray", interpolation="nearest",
                      vmin=-m if signed else None, vmax=m if signed else None)
    out_ch, in_ch, kh, kw = kernels.shape
    ax.set_xticks([o * (kw + 1) + kw / 2 - 0.5 for o in range(out_ch)], range(out_ch))
    ax.set_yticks([i * (kh + 1) + kh / 2 - 0.5 for i in range(in_ch)], range(in_ch))
    ax.set(title=title, xlabel="filter (output channel)", ylabel="input\nchannel")
    fig.colorbar(shown, ax=ax, label=label or ("gradient" if signed else "weight"), aspect=10,
                 shrink=0.8)


@course_plot
def plot_filters(weight, grad=None):
    """Convolution kernels (grey) and, below them, their gradients (red +, blue -, 0 white).

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
    out_ch, in_ch, kh, kw = weight.shape
    panels = [(weight, f"{out_ch} filters of {in_ch} input channel(s), {kh}x{kw}", False)]
    if grad is not None:
        panels.append((grad, "their gradients (red +, blue -)", True))
    panel_height = 7.0 * in_ch / out_ch + 1.3
    fig, axes = new_figure(FULL_WIDTH, panel_height * len(panels), len(panels), 1, squeeze=False,
                           layout="constrained")
    for ax, (kernels, title, signed) in zip(axes[:, 0], panels):
        show_tiled_filters(fig, ax, kernels, title, signed)
    alt = (f"{out_ch} convolution filters of {in_ch} input channel(s), {kh}x{kw} each; weights "
           f"from {number(weight.min().item())} to {number(weight.max().item())}")
    if grad is not None:
        alt += (f"; below them their gradients, from {number(grad.min().item())} to "
                f"{number(grad.max().item())}")
    return with_alt(fig, alt + ".")


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


@course_plot
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
    fig, axes = new_figure(1.0 * ncols, 1.45 * nrows, nrows, ncols, squeeze=False)
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
    fig.tight_layout(pad=0.3, h_pad=0.8)
    return with_alt(fig, _describe_digits(len(x), labels, predictions))


def _describe_digits(n: int, labels, predictions) -> str:
    if predictions is None:
        return f"{n} digit images" + (f", labelled {', '.join(map(str, labels[:n]))}."
                                     if labels is not None else ".")
    wrong = [(p, t) for p, t in zip(predictions[:n], labels[:n] if labels else predictions[:n])
             if p != t]
    text = f"{n} digit images with the model's predictions, {n - len(wrong)} right"
    if wrong:
        listed = ", ".join(f"{p} for a {t}" for p, t in wrong[:12])
        text += f", {len(wrong)} wrong: " + listed + (", ..." if len(wrong) > 12 else "")
    return text + "."


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


@course_plot
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
    fig, ax = new_figure(6.0, 5.4)
    ax.imshow(counts.numpy(), cmap="Blues")
    top = int(counts.max()) or 1
    for t in range(10):
        for p in range(10):
            c = int(counts[t, p])
            if c:
                ax.text(p, t, str(c), ha="center", va="center", fontsize=10,
                        color="white" if c > top / 2 else "black")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set(xlabel="predicted digit", ylabel="true digit",
           title=f"accuracy {int(counts.trace()) / max(total, 1):.1%} on {total} digits")
    fig.tight_layout()
    mistakes = counts.clone().fill_diagonal_(0)
    true, pred = divmod(int(mistakes.argmax()), 10)
    alt = (f"Confusion matrix of {total} digits, true digit by row and predicted digit by "
           f"column: accuracy {int(counts.trace()) / max(total, 1):.1%}")
    most, wrong = int(mistakes.max()), int(mistakes.sum())
    if most > 1:
        alt += f"; the most frequent mistake is a {true} taken for a {pred} ({most} times)"
    elif most == 1:
        alt += f"; {wrong} different mistakes, each made once"
    return with_alt(fig, alt + ".")


@course_plot
def plot_saliency(model, images, target=None):
    """Which pixels move the predicted score most: |d score / d pixel| under each image.

    images: one image 1 x 32 x 32 or a few N x 1 x 32 x 32 (N <= 8). target: the class
    whose score to explain (default: the predicted one). The model's .grad is untouched.

    Example (notebook 05):
        >>> len(plot_saliency(LeNet(), torch.randn(2, 1, 32, 32)).axes)  # 2 x 2 and a colour bar
        5
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
    top = float(heat.max()) or 1.0
    fig, axes = new_figure(min(FULL_WIDTH, 1.6 * len(x) + 1.2), 4.4, 2, len(x), squeeze=False,
                           layout="constrained")
    for i in range(len(x)):
        axes[0, i].imshow(images[i, 0].detach().cpu().numpy(), cmap="gray")
        axes[0, i].set_title(f"predicted {int(scores[i].argmax())}", fontsize=10)
        shown = axes[1, i].imshow(heat[i].numpy(), cmap="hot", vmin=0, vmax=top)
        axes[1, i].set_title(f"saliency for {int(chosen[i])}", fontsize=10)
        for ax in axes[:, i]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.colorbar(shown, ax=list(axes[1]), label="|d score / d pixel|", shrink=0.9)
    fig.suptitle("Bright: where a small pixel change moves the score most")
    predicted = ", ".join(str(int(s.argmax())) for s in scores)
    return with_alt(fig, f"{len(x)} digits (predicted {predicted}) above their saliency maps, "
                         f"the size of the score's gradient at each pixel (largest "
                         f"{number(top)}).")
