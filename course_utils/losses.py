"""A loss as a function of one output score. Used in: notebook 02 (loss functions)."""
import torch
import torch.nn.functional as F
from torch import nn

from .figures import FULL_WIDTH, course_plot, new_figure, number, with_alt

_FIX = "Fix: pass the network's output for one image, e.g. net(x)[0:1] of shape (1, 10)."


@course_plot
def plot_loss_vs_output(output, label):
    """Cross-entropy (class index target) and MSE (one-hot target) as one output score moves
    from -8 to 8: the target class's (solid), the highest other one (dashed).

    Example (notebook 02):
        >>> fig = plot_loss_vs_output(model(x)[0:1], label=3)
        >>> [ax.get_title() for ax in fig.axes]
        ['nn.CrossEntropyLoss (target: class index)', 'nn.MSELoss (target: one-hot floats)']
    """
    if not isinstance(output, torch.Tensor):
        raise ValueError(f"output must be a torch.Tensor of scores, got {type(output).__name__}. "
                         + _FIX)
    if not output.is_floating_point():
        raise ValueError(f"output has dtype {output.dtype}, expected float scores. "
                         "Fix: output.float().")
    scores = output.detach().float()
    if scores.dim() == 1:
        scores = scores.unsqueeze(0)
    if scores.dim() != 2 or scores.shape[0] != 1 or scores.shape[1] < 2:
        raise ValueError(f"output has shape {tuple(scores.shape)}, expected the scores of one "
                         "sample: (C,) or (1, C) with C >= 2 classes. " + _FIX)
    if isinstance(label, torch.Tensor) and label.numel() == 1 and not label.is_floating_point():
        label = label.item()
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < scores.shape[1]:
        raise ValueError(f"label must be a class index, an int in 0..{scores.shape[1] - 1}, got "
                         f"{label!r:.40}. Fix: pass the digit itself, e.g. label=3 "
                         "(not a one-hot vector, not a float).")
    wrong = int(torch.cat([scores[0, :label], torch.tensor([-float("inf")]),
                           scores[0, label + 1:]]).argmax())   # the highest other score
    values = torch.linspace(-8, 8, 161)
    losses = [("nn.CrossEntropyLoss (target: class index)", nn.CrossEntropyLoss(),
               torch.tensor([label])),
              ("nn.MSELoss (target: one-hot floats)", nn.MSELoss(),
               F.one_hot(torch.tensor([label]), scores.shape[1]).float())]
    fig, axes = new_figure(FULL_WIDTH, 4.2, 1, 2)
    marks = []   # the current scores' loss on each curve: a ring (the target's) around a dot
    for ax, (title, loss_fn, target) in zip(axes, losses):
        now = loss_fn(scores, target).item()
        for index, style, who, dot in ((label, "-", "the target", dict(ms=14, mfc="none", mew=2.5)),
                                       (wrong, "--", "a wrong class", dict(ms=6))):
            batch = scores.repeat(len(values), 1)   # row k: output index set to values[k]
            batch[:, index] = values
            curve = [loss_fn(row.unsqueeze(0), target).item() for row in batch]
            line, = ax.plot(values, curve, style, label=f"score of class {index} ({who})")
            marks += ax.plot(scores[0, index], now, "o", **dot, color=line.get_color(), zorder=3)
        ax.set(title=title, xlabel="one output score (the others fixed)", ylabel="loss")
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()  # one key for both, under them
    fig.legend(handles + [tuple(marks[:2])], labels + ["the loss of the current scores"],
               loc="lower center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    ce, mse = (loss_fn(scores, target).item() for _, loss_fn, target in losses)
    return with_alt(fig, f"Cross-entropy (left) and MSE (right) as the score of the target class "
                         f"{label} (solid) or of wrong class {wrong} (dashed) moves from -8 to 8; "
                         f"at the current scores cross-entropy is {number(ce)} and MSE {number(mse)}.")
