"""Loss landscapes: 2-D test functions, real optimizer trajectories, and slices through LeNet's loss.

The 2-D functions take a tensor whose last dimension is (x, y), so the same code
draws the contour grid and runs a ``torch.optim`` optimizer on a 2-element tensor.
``loss_slice`` follows Li et al. 2018, "Visualizing the Loss Landscape of Neural
Nets" (filter-normalised random directions). Used in: notebook 04 (optimizers).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from .training import OPTIMIZERS, make_optimizer


@dataclass(frozen=True)
class TestFunction:
    """A 2-D loss surface with a default start, plot range and learning rate."""

    name: str
    fn: Callable[[torch.Tensor], torch.Tensor]
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    minimum: tuple[float, float] | None
    lr: float
    log_contours: bool = False

    def __call__(self, xy: torch.Tensor) -> torch.Tensor:
        return self.fn(xy)


def ravine(xy):
    """0.1 x^2 + 2 y^2: a quadratic valley 20 times steeper across than along."""
    return 0.1 * xy[..., 0] ** 2 + 2 * xy[..., 1] ** 2


def rosenbrock(xy):
    """(1 - x)^2 + 100 (y - x^2)^2: a curved, flat-bottomed banana valley, minimum at (1, 1)."""
    x, y = xy[..., 0], xy[..., 1]
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def beale(xy):
    """Beale's function: flat plateaus and steep walls, minimum 0 at (3, 0.5)."""
    x, y = xy[..., 0], xy[..., 1]
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2
            + (2.625 - x + x * y ** 3) ** 2)


def saddle(xy):
    """x^2 - y^2 + y^4 / 4: a saddle at (0, 0) between two valleys at y = +-sqrt(2)."""
    x, y = xy[..., 0], xy[..., 1]
    return x ** 2 - y ** 2 + y ** 4 / 4


FUNCTIONS = {
    "ravine": TestFunction("ravine", ravine, (-5.0, -2.0), (-6.0, 6.0), (-3.0, 3.0),
                           (0.0, 0.0), lr=0.4),
    "rosenbrock": TestFunction("rosenbrock", rosenbrock, (-1.5, 2.0), (-2.0, 2.0), (-1.0, 3.0),
                               (1.0, 1.0), lr=1e-3, log_contours=True),
    "beale": TestFunction("beale", beale, (1.0, 1.4), (-1.0, 4.5), (-1.5, 2.0),
                          (3.0, 0.5), lr=1e-3, log_contours=True),
    "saddle": TestFunction("saddle", saddle, (-1.5, 1e-3), (-2.0, 2.0), (-2.5, 2.5),
                           None, lr=0.05),
}


def get_function(fn) -> TestFunction:
    """A TestFunction from its name, or a plain callable wrapped with generic defaults."""
    if isinstance(fn, TestFunction):
        return fn
    if isinstance(fn, str):
        if fn not in FUNCTIONS:
            raise ValueError(f"Unknown test function {fn!r}; expected one of {list(FUNCTIONS)}. "
                             "Fix: trajectory('ravine', 'sgd').")
        return FUNCTIONS[fn]
    if callable(fn):
        return TestFunction(getattr(fn, "__name__", "f"), fn, (1.0, 1.0), (-2.0, 2.0),
                            (-2.0, 2.0), None, lr=0.01)
    raise ValueError(f"fn must be a name {list(FUNCTIONS)} or a function of a 2-element "
                     f"tensor, got {type(fn).__name__}. Fix: trajectory('rosenbrock', 'adam').")


@dataclass
class Trajectory:
    """Where an optimizer went: ``path`` (steps+1 x 2) and ``losses`` (steps+1), float64."""

    function: str
    optimizer: str
    hparams: dict
    path: torch.Tensor
    losses: torch.Tensor
    label: str = field(default="")

    @property
    def diverged(self) -> bool:
        return not bool(torch.isfinite(self.losses).all())

    def __repr__(self) -> str:
        end = ", ".join(f"{v:.4f}" for v in self.path[-1].tolist())
        return (f"Trajectory({self.optimizer} on {self.function}, {len(self.path) - 1} steps, "
                f"end=({end}), loss={self.losses[-1].item():.4g})")


def trajectory(fn="ravine", optimizer: str = "sgd", start=None, steps: int = 50,
               **hparams) -> Trajectory:
    """Run a real torch.optim optimizer (by course name) on a 2-D test function.

    hparams go to ``training.make_optimizer``: lr (default: the function's), momentum,
    betas. The point is a float64 2-element tensor; each step is zero_grad, loss,
    backward, step, as in a training loop.

    Example (notebook 04):
        >>> t = trajectory("ravine", "momentum", lr=0.4, momentum=0.5, steps=20)
        >>> t.path.shape
        torch.Size([21, 2])
    """
    f = get_function(fn)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}. "
                         "Fix: trajectory('ravine', 'adam', lr=0.1).")
    allowed = {"lr", "momentum", "betas"}
    unknown = set(hparams) - allowed
    if unknown:
        raise ValueError(f"Unknown hyperparameter(s) {sorted(unknown)}; trajectory accepts "
                         f"{sorted(allowed)}. Fix: trajectory('ravine', 'momentum', lr=0.1, "
                         "momentum=0.9).")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}. Fix: steps=50.")
    start = f.start if start is None else start
    point = torch.tensor(start, dtype=torch.float64)
    if point.shape != (2,):
        raise ValueError(f"start must be two numbers (x, y), got {start!r}. Fix: start=(-1.5, 2).")
    point.requires_grad_(True)
    hparams.setdefault("lr", f.lr)
    opt = make_optimizer(optimizer, [point], **hparams)
    path, losses = [point.detach().clone()], []
    for _ in range(steps):
        opt.zero_grad()
        loss = f(point)
        losses.append(loss.detach().clone())
        loss.backward()
        opt.step()
        path.append(point.detach().clone())
    with torch.no_grad():
        losses.append(f(point).clone())
    return Trajectory(f.name, optimizer, dict(hparams), torch.stack(path), torch.stack(losses))


def _contours(ax, f: TestFunction, xlim, ylim, points: int = 200):
    import numpy as np
    from matplotlib.colors import LogNorm

    xs = torch.linspace(*xlim, points, dtype=torch.float64)
    ys = torch.linspace(*ylim, points, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1)
    with torch.no_grad():
        z = f(grid).numpy()
    if f.log_contours:
        shifted = z - z.min() + 1e-3
        levels = np.logspace(np.log10(shifted.min()), np.log10(shifted.max()), 25)
        ax.contourf(xs, ys, shifted, levels=levels, norm=LogNorm(), cmap="Greys", alpha=0.5)
        ax.contour(xs, ys, shifted, levels=levels, norm=LogNorm(), colors="#777777",
                   linewidths=0.5)
    else:
        ax.contourf(xs, ys, z, levels=25, cmap="Greys", alpha=0.5)
        ax.contour(xs, ys, z, levels=25, colors="#777777", linewidths=0.5)


def plot_trajectories(fn, runs, steps: int = 50, show_losses: bool = False):
    """Contours of a test function with one path per optimizer.

    runs: {label: Trajectory or dict of trajectory keyword arguments}; a dict without
    "optimizer" uses the label as the optimizer name. A list of optimizer names also
    works. show_losses adds a second panel: loss per step.

    Example (notebook 04):
        >>> plot_trajectories("rosenbrock", {"sgd": {"lr": 1e-3}, "adam": {"lr": 0.05}})
    """
    from .plots import COLOURS, new_figure

    f = get_function(fn)
    if isinstance(runs, (list, tuple)):
        runs = {name: {} for name in runs}
    if not isinstance(runs, dict) or not runs:
        raise ValueError(f"runs must be a dict label -> Trajectory or keyword arguments, got "
                         f"{runs!r}. Fix: plot_trajectories('ravine', {{'sgd': {{'lr': 0.4}}}}).")
    done = {}
    for label, run in runs.items():
        if isinstance(run, Trajectory):
            done[label] = run
        elif isinstance(run, dict):
            kwargs = dict(run)
            kwargs.setdefault("optimizer", label)
            kwargs.setdefault("steps", steps)
            done[label] = trajectory(f, **kwargs)
        else:
            raise ValueError(f"runs[{label!r}] must be a Trajectory or a dict, got "
                             f"{type(run).__name__}. Fix: {{'{label}': {{'lr': 0.1}}}}.")
    fig, axes = new_figure(10.5 if show_losses else 6.2, 4.6, 1, 2 if show_losses else 1)
    ax = axes[0] if show_losses else axes
    _contours(ax, f, f.xlim, f.ylim)
    for k, (label, t) in enumerate(done.items()):
        colour = COLOURS[k % len(COLOURS)]
        xy = t.path.numpy()
        ax.plot(xy[:, 0], xy[:, 1], ".-", color=colour, lw=1.8, ms=4,
                label=label + (" (diverged)" if t.diverged else ""))
        ax.plot(*xy[-1], "o", color=colour, ms=7, mec="white")
        if show_losses:
            axes[1].plot(t.losses.numpy(), color=colour, lw=1.8, label=label)
    first = next(iter(done.values())).path[0]
    ax.plot(*first.numpy(), "s", color="black", ms=7, label="start")
    if f.minimum is not None:
        ax.plot(*f.minimum, "*", color="gold", mec="black", ms=14, label="minimum")
    ax.set(xlim=f.xlim, ylim=f.ylim, xlabel="x", ylabel="y", title=f.name)
    ax.legend(fontsize=8, loc="best")
    if show_losses:
        axes[1].set(xlabel="step", ylabel="loss", title="loss per step",
                    yscale="log" if f.log_contours else "linear")
        axes[1].grid(alpha=0.3)
    fig.tight_layout()
    return fig


# --- slices through a real network's loss ---------------------------------------------

def _vector(model_or_state, reference: torch.nn.Module) -> dict[str, torch.Tensor]:
    if isinstance(model_or_state, torch.nn.Module):
        state = dict(model_or_state.named_parameters())
    elif isinstance(model_or_state, dict):
        state = model_or_state
    else:
        raise ValueError(f"start must be a model or a state_dict, got "
                         f"{type(model_or_state).__name__}. Fix: start = copy.deepcopy(model) "
                         "before training, then loss_slice(model, data, start=start).")
    names = [n for n, _ in reference.named_parameters()]
    missing = [n for n in names if n not in state]
    if missing:
        raise ValueError(f"start has no parameter {missing[0]!r}: it is not the same kind of "
                         "model. Fix: start = copy.deepcopy(model) before training.")
    return {n: state[n].detach() for n in names}


def filter_normalised_direction(model: torch.nn.Module, seed: int = 0) -> dict[str, torch.Tensor]:
    """A random direction scaled per filter to the norm of that filter (Li et al. 2018).

    Each row of a weight (one output unit or conv filter) gets a Gaussian direction
    rescaled to that row's norm; biases get 0, as in the paper.
    """
    gen = torch.Generator().manual_seed(seed)
    direction = {}
    for name, p in model.named_parameters():
        if p.dim() <= 1:
            direction[name] = torch.zeros_like(p)
            continue
        d = torch.randn(p.shape, generator=gen, dtype=p.dtype).to(p.device)
        rows, d_rows = p.detach().flatten(1), d.flatten(1)
        scale = rows.norm(dim=1, keepdim=True) / (d_rows.norm(dim=1, keepdim=True) + 1e-10)
        direction[name] = (d_rows * scale).view_as(p)
    return direction


def slice_losses(model, x, y, centre, direction, alphas) -> list[float]:
    """Cross-entropy of model at centre + alpha * direction, for each alpha (no grad)."""
    from torch.func import functional_call

    out = []
    with torch.no_grad():
        for a in alphas:
            params = {n: centre[n] + a * direction[n] for n in centre}
            out.append(torch.nn.functional.cross_entropy(functional_call(model, params, (x,)),
                                                         y).item())
    return out


def loss_slice(model, data, start=None, points: int = 21, distance: float = 1.0,
               samples: int = 500, seed: int = 0, return_data: bool = False):
    """The loss along 1-D slices through the weights of a trained model.

    Left (when ``start`` is given, e.g. a copy of the model before training): the
    loss along the straight line from start (alpha = 0) to the trained model
    (alpha = 1), extended a little both ways. Right: the loss along a random
    filter-normalised direction around the trained model (Li et al. 2018), from
    -distance to +distance. The loss is measured on the first ``samples`` training
    images. The model is not changed.

    Returns the Figure, or (Figure, dict of the numbers) with return_data=True:
    keys "alphas" and "line" (if start), "offsets" and "random".

    Example (notebook 04):
        >>> before = copy.deepcopy(model); fit(model, data, opt, epochs=1)
        >>> loss_slice(model, data, start=before)
    """
    from .plots import new_figure

    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"model must be an nn.Module, got {type(model).__name__}. "
                         "Fix: loss_slice(model, data).")
    split = data.train if hasattr(data, "train") else data
    if not hasattr(split, "images"):
        raise ValueError(f"data must be load_mnist()'s result or a Split, got "
                         f"{type(data).__name__}. Fix: loss_slice(model, cu.load_mnist()).")
    device = next(model.parameters()).device
    x, y = split.images[:samples].to(device), split.labels[:samples].to(device)
    centre = {n: p.detach() for n, p in model.named_parameters()}
    was_training = model.training
    model.eval()
    result = {}
    try:
        if start is not None:
            begin = _vector(start, model)
            line = {n: centre[n] - begin[n] for n in centre}
            alphas = torch.linspace(-0.25, 1.25, points).tolist()
            result["alphas"] = alphas
            result["line"] = slice_losses(model, x, y, begin, line, alphas)
        offsets = torch.linspace(-distance, distance, points).tolist()
        direction = filter_normalised_direction(model, seed)
        result["offsets"] = offsets
        result["random"] = slice_losses(model, x, y, centre, direction, offsets)
    finally:
        model.train(was_training)
    panels = 2 if start is not None else 1
    fig, axes = new_figure(4.4 * panels + 0.4, 3.4, 1, panels)
    axes = list(axes) if panels == 2 else [axes]
    if start is not None:
        axes[0].plot(result["alphas"], result["line"], "o-", ms=3, color="#1f77b4")
        axes[0].axvline(0, color="grey", ls=":")
        axes[0].axvline(1, color="grey", ls=":")
        axes[0].set(xlabel="alpha (0 = start, 1 = trained)", ylabel="loss",
                    title="from start to trained weights")
    axes[-1].plot(result["offsets"], result["random"], "o-", ms=3, color="#d62728")
    axes[-1].axvline(0, color="grey", ls=":")
    axes[-1].set(xlabel="step along a random filter-normalised direction", ylabel="loss",
                 title="around the trained weights")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return (fig, result) if return_data else fig
