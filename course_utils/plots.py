"""The course's static figures: gradients, filters, digits, confusion, saliency.
Used in: notebooks 02, 03 and 05.
"""
import math

import matplotlib
import torch
from matplotlib.colors import LogNorm

from . import _checks
from .figures import FULL_WIDTH, PALETTE, course_plot, new_figure, number, with_alt
from .models import check_image_batch, eval_mode


@course_plot
def plot_gradient_flow(monitor):
    """Mean and max |grad| per parameter tensor at a GradientMonitor's last record, as dots on a
    log axis, the first layer on top.

    Example (notebook 03):
        >>> net = LeNet(); net(torch.randn(2, 1, 32, 32)).sum().backward()
        >>> monitor = GradientMonitor(); monitor.record(net)
        >>> plot_gradient_flow(monitor).axes[0].get_xscale()
        'log'
    """
    _checks.monitor_with_records(monitor, "monitor = cu.GradientMonitor(); monitor.record(net) "
                                 "after loss.backward(); cu.plot_gradient_flow(monitor)")
    title = f"gradient size per layer at step {monitor.steps[-1]}"
    names, means, maxes = monitor.names, monitor.mean_abs[-1].tolist(), monitor.max_abs[-1].tolist()
    fig, ax = new_figure(6.6, 0.38 * len(names) + 1.4)
    rows = list(range(len(names)))[::-1]
    # a gradient of exactly 0 has no place on a log axis (nan: not drawn; the alt text says 0)
    shown_means = [m or float("nan") for m in means]
    shown_maxes = [t or float("nan") for t in maxes]
    ax.hlines(rows, shown_means, shown_maxes, color="0.7", lw=1.5)
    ax.plot(shown_maxes, rows, "^", color=PALETTE[1], ms=8, label="max |grad|")
    ax.plot(shown_means, rows, "o", color=PALETTE[0], ms=8, label="mean |grad|")
    ax.set_xscale("log")             # whole decades, each labelled
    logs = [math.log10(v) for v in means + maxes if v] or [0]
    ax.set_xlim(10.0 ** math.floor(min(logs)), 10.0 ** math.ceil(max(logs)))
    ax.xaxis.set_major_formatter("{x:g}")
    ax.set_yticks(rows, names)
    biggest = names[means.index(max(means))]
    ax.set(xlabel="|gradient| (log scale)", ylabel="parameter tensor",
           title=f"{title}: largest mean in {biggest}")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)  # off the dots
    fig.tight_layout()
    listed = ", ".join(f"{n} {number(m)}" for n, m in zip(names, means))
    return with_alt(fig, f"Mean and max absolute gradient of each parameter tensor on a log "
                         f"scale ({title}). Mean |grad|: {listed}.")


@course_plot
def plot_gradient_histograms(monitor):
    """For each weight tensor, the share of its elements in each log10 |grad| bin, one column
    per record; the bottom row: gradients exactly 0 (a ReLU that was off passes none).

    Example (notebook 03):
        >>> monitor = GradientMonitor(); net = LeNet()
        >>> net(torch.randn(2, 1, 32, 32)).sum().backward(); monitor.record(net)
        >>> len(plot_gradient_histograms(monitor).axes)   # 5 weight tensors and a colour bar
        6
    """
    _checks.monitor_with_records(monitor, "cu.plot_gradient_histograms(monitor) with "
                                 "monitor = cu.GradientMonitor(); cu.fit(..., monitor=monitor)")
    weights = [i for i, n in enumerate(monitor.names) if not n.endswith(".bias")]
    low, high = monitor.log10_range
    bin_height = (high - low) / monitor.bins
    first, last = monitor.steps[0], monitor.steps[-1]
    zeros = monitor.zero_fraction
    # an empty bin holds no elements: the scale's darkest colour, not white
    cmap = matplotlib.colormaps["viridis"].with_extremes(under="#440154", bad="#440154")
    fig, axes = new_figure(FULL_WIDTH, 3.6, 1, len(weights), layout="constrained", sharey=True)
    for ax, i in zip(axes, weights):
        exact = zeros[:, i] * monitor.numels[i]
        counts = monitor.histograms[:, i, :].clone()
        counts[:, 0] -= exact                          # the first bin held the zeros too
        share = torch.cat([exact[:, None], counts], 1).T / monitor.numels[i]
        image = ax.imshow(share.numpy(), origin="lower", aspect="auto", cmap=cmap,
                          norm=LogNorm(1e-4, 1), interpolation="nearest",
                          extent=(first - 0.5, last + 0.5, low - bin_height, high))
        ax.axhline(low, color="white", lw=1.5)         # above it sizes, below it exact zeros
        ax.set_title(f"{monitor.names[i].removesuffix('.weight')}\n"
                     f"{100 * zeros[-1, i]:.0f}% are 0")
        ax.set_xlabel("step")
    ticks = list(range(int(low) + 2, int(high) + 1, 4))
    axes[0].set_yticks([low - bin_height / 2, *ticks], ["= 0", *(f"1e{t}" for t in ticks)])
    axes[0].set_ylabel("|gradient| (log scale)")
    fig.colorbar(image, ax=list(axes), shrink=0.9, label="share of elements")
    fig.suptitle(f"Gradient sizes of each weight tensor, steps {first} to {last}")
    listed = ", ".join(f"{monitor.names[i]} {100 * zeros[-1, i]:.0f}%" for i in weights)
    return with_alt(fig, f"Heatmaps of log10 |gradient| per weight tensor over steps {first} to "
                         f"{last}, with a row for exact zeros. Share of exactly-zero gradients "
                         f"at step {last}: {listed}.")


def tile_filters(kernels: torch.Tensor):
    """out x in x k x k kernels -> one 2-D array: filters across, input channels down, NaN gaps."""
    out_ch, in_ch, kh, kw = kernels.shape
    gaps = torch.nn.functional.pad(kernels.detach().float().cpu(), (0, 1, 0, 1), value=float("nan"))
    rows = gaps.permute(1, 2, 0, 3).reshape(in_ch * (kh + 1), out_ch * (kw + 1))  # in x kh, out x kw
    return rows[:-1, :-1].numpy()


def show_tiled_filters(fig, ax, kernels: torch.Tensor, title: str, signed: bool,
                       label: str | None = None) -> None:
    """Draw tile_filters(kernels) on ax: signed values on red/blue centred at 0, else grey."""
    m = float(kernels.detach().abs().max()) or 1.0
    limits = dict(vmin=-m, vmax=m) if signed else {}
    shown = ax.imshow(tile_filters(kernels), cmap="RdBu_r" if signed else "gray",
                      interpolation="nearest", **limits)
    out_ch, in_ch, kh, kw = kernels.shape
    ax.set_xticks([o * (kw + 1) + kw / 2 - 0.5 for o in range(out_ch)], range(out_ch))
    ax.set_yticks([i * (kh + 1) + kh / 2 - 0.5 for i in range(in_ch)], range(in_ch))
    ax.set(title=title, xlabel="filter (output channel)", ylabel="input\nchannel")
    fig.colorbar(shown, ax=ax, label=label or ("gradient" if signed else "weight"), aspect=10,
                 shrink=0.8)


@course_plot
def plot_filters(weight, grad=None):
    """Convolution kernels (grey) and, below them, their gradients (red +, blue -, 0 white).

    weight: a conv weight (out x in x k x k), e.g. ``net.conv1.weight``; grad: its shape.

    Example (notebook 03):
        >>> len(plot_filters(LeNet().conv1.weight).axes)   # the filters and a colour bar
        2
    """
    if not isinstance(weight, torch.Tensor) or weight.dim() != 4:
        got = tuple(getattr(weight, "shape", ())) or type(weight).__name__
        raise ValueError(f"plot_filters expects a conv weight out x in x k x k, got {got}. "
                         "Fix: plot_filters(net.conv1.weight) (linear layers have no filters).")
    if grad is not None and (not isinstance(grad, torch.Tensor) or grad.shape != weight.shape):
        got = tuple(getattr(grad, "shape", ())) or type(grad).__name__
        raise ValueError(f"grad must match the weight's shape {tuple(weight.shape)}, got {got}. "
                         "Fix: call loss.backward() first, then "
                         "plot_filters(layer.weight, grad=layer.weight.grad).")
    out_ch, in_ch, kh, kw = weight.shape
    panels = [(weight, f"{out_ch} filters of {in_ch} input channel(s), {kh}x{kw}", False),
              (grad, "their gradients (red +, blue -)", True)][:1 if grad is None else 2]
    fig, axes = new_figure(FULL_WIDTH, (7.0 * in_ch / out_ch + 1.3) * len(panels), len(panels), 1,
                           squeeze=False, layout="constrained")
    for ax, (kernels, title, signed) in zip(axes[:, 0], panels):
        show_tiled_filters(fig, ax, kernels, title, signed)
    alt = (f"{out_ch} convolution filters of {in_ch} input channel(s), {kh}x{kw} each; weights "
           f"from {number(weight.min().item())} to {number(weight.max().item())}")
    if grad is not None:
        alt += (f"; below them their gradients, from {number(grad.min().item())} to "
                f"{number(grad.max().item())}")
    return with_alt(fig, alt + ".")


@course_plot
def plot_digits(images, labels=None, predictions=None):
    """Up to 32 digits (N x 1 x H x W), 8 a row, titled with their label, or "pred (true label)"
    in bold when wrong.

    Example (notebook 05):
        >>> len(plot_digits(torch.zeros(3, 1, 32, 32), labels=[1, 2, 3]).axes)
        3
    """
    if not isinstance(images, torch.Tensor) or images.dim() not in (3, 4) or images.shape[-3] != 1:
        got = tuple(getattr(images, "shape", ())) or type(images).__name__
        raise ValueError(f"images must be a tensor N x 1 x H x W, got {got}. "
                         "Fix: plot_digits(data.test.images[:16], data.test.labels[:16]).")
    x = images.detach().float().cpu().reshape(-1, *images.shape[-2:])[:32]
    labels, predictions = [None if v is None else torch.as_tensor(v).tolist()
                           for v in (labels, predictions)]
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and (len(values) < len(x) or any(isinstance(v, list) for v in values)):
            raise ValueError(f"{len(x)} images need {len(x)} {name}, one class each, got "
                             f"{str(values):.40}. Fix: pass as many {name} as images, e.g. "
                             f"images[:16] with {name}[:16] (from scores: scores.argmax(1)).")
    if len(x) == 0:  # e.g. the misclassified digits of a model that got every one right
        fig, _ = new_figure(3, 0.6, 0)
        fig.text(0.5, 0.5, "no digits to show", ha="center", va="center", fontsize=12)
        return with_alt(fig, "no digits to show")
    ncols = min(8, len(x))
    nrows = -(-len(x) // ncols)
    fig, axes = new_figure(1.0 * ncols, 1.45 * nrows, nrows, ncols, squeeze=False)
    wrong = []
    for i, ax in enumerate(axes.flat):
        if i >= len(x):
            ax.remove()
            continue
        ax.imshow(x[i].numpy(), cmap="gray", interpolation="nearest")
        ax.set(xticks=[], yticks=[])
        if predictions is not None and labels is not None and predictions[i] != labels[i]:
            wrong.append(f"{predictions[i]} for a {labels[i]}")
            ax.set_title(f"{predictions[i]} (true {labels[i]})", fontsize=10, color=PALETTE[1],
                         fontweight="bold")
        elif predictions is not None or labels is not None:
            ax.set_title(str((predictions or labels)[i]), fontsize=10)
    fig.tight_layout(pad=0.3, h_pad=0.8)
    if predictions is None:
        alt = f"{len(x)} digit images" + (f", labelled {', '.join(map(str, labels[:len(x)]))}"
                                          if labels is not None else "")
    else:
        alt = f"{len(x)} digit images with the model's predictions, {len(x) - len(wrong)} right"
        if wrong:
            alt += f", {len(wrong)} wrong: " + ", ".join(wrong[:12] + ["..."] * (len(wrong) > 12))
    return with_alt(fig, alt + ".")


@course_plot
def plot_confusion_matrix(model, split):
    """Which digits the model confuses: counts of true class (rows) vs predicted (columns).

    Example (notebook 05):
        >>> split = Split(torch.zeros(4, 1, 32, 32), torch.tensor([0, 1, 2, 3]))
        >>> plot_confusion_matrix(LeNet(), split).axes[0].get_xlabel()
        'predicted digit'
    """
    _checks.expect(all(hasattr(split, a) for a in ("images", "labels")), "split",
                   "a Split such as data.test", split, "plot_confusion_matrix(model, data.test)")
    device = next(model.parameters()).device
    counts = torch.zeros(10, 10, dtype=torch.int64)   # row: true digit, column: predicted
    with eval_mode(model), torch.no_grad():
        for x, y in split.batches(1000):
            predicted = model(x.to(device)).argmax(1).cpu()
            counts += torch.bincount(y.cpu() * 10 + predicted, minlength=100).view(10, 10)
    total = int(counts.sum())
    accuracy = int(counts.trace()) / max(total, 1)
    fig, ax = new_figure(6.0, 5.4)
    ax.imshow(counts.numpy(), cmap="Blues")
    for t, p in counts.nonzero().tolist():
        ax.text(p, t, str(int(counts[t, p])), ha="center", va="center", fontsize=10,
                color="white" if counts[t, p] > counts.max() / 2 else "black")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted digit", ylabel="true digit",
           title=f"accuracy {accuracy:.1%} on {total} digits")
    fig.tight_layout()
    mistakes = counts.clone().fill_diagonal_(0)
    true, pred = divmod(int(mistakes.argmax()), 10)   # the most frequent mistake
    alt = (f"Confusion matrix of {total} digits, true digit by row and predicted digit by "
           f"column: accuracy {accuracy:.1%}")
    most = int(mistakes.max())
    if most > 1:
        alt += f"; the most frequent mistake is a {true} taken for a {pred} ({most} times)"
    elif most == 1:
        alt += f"; {int(mistakes.sum())} different mistakes, each made once"
    return with_alt(fig, alt + ".")


@course_plot
def plot_saliency(model, images):
    """Which pixels move the predicted score most: |d score / d pixel| under each of N <= 8
    images; the model's .grad is untouched.

    Example (notebook 05):
        >>> len(plot_saliency(LeNet(), torch.randn(2, 1, 32, 32)).axes)  # 2 x 2 and a colour bar
        5
    """
    check_image_batch(images, "images")
    _checks.whole_number(len(images), "plot_saliency's number of images",
                         "plot_saliency(model, images[:8])", high=8)
    device = next(model.parameters()).device
    x = images.detach().to(device).clone().requires_grad_(True)
    with eval_mode(model):
        scores = model(x)
        predicted = scores.argmax(1)
        (grad,) = torch.autograd.grad(scores.gather(1, predicted[:, None]).sum(), x)
    heat = grad.abs().amax(1).cpu()
    top = float(heat.max()) or 1.0
    width = min(FULL_WIDTH, 1.6 * len(x) + 1.2)   # two rows of square images: no gap between
    fig, axes = new_figure(width, 2 * (width - 1.6) / len(x) + 0.9, 2, len(x), squeeze=False,
                           layout="constrained")
    for i in range(len(x)):
        axes[0, i].imshow(images[i, 0].detach().cpu().numpy(), cmap="gray")
        axes[0, i].set_title(f"predicted {int(predicted[i])}", fontsize=10)
        shown = axes[1, i].imshow(heat[i].numpy(), cmap="hot", vmin=0, vmax=top)
    for ax in axes.flat:
        ax.set(xticks=[], yticks=[])
    fig.colorbar(shown, ax=list(axes[1]), label="|d score / d pixel|", shrink=0.9)
    fig.suptitle("Bright: where a small pixel change moves the score most")
    listed = ", ".join(str(int(p)) for p in predicted)
    return with_alt(fig, f"{len(x)} digits (predicted {listed}) above their saliency maps, "
                         f"the size of the score's gradient at each pixel (largest "
                         f"{number(top)}).")
