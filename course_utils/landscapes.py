"""Loss landscapes: 2-D test functions and the paths real optimizers take on them.

The 2-D functions take a tensor whose last dimension is (x, y), so the same code
draws the contour grid and runs a ``torch.optim`` optimizer on a 2-element tensor.
Used in: notebook 04 (optimizers).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from . import _checks
from .figures import LINESTYLES, colour, course_plot, new_figure, number, with_alt
from .training import make_optimizer


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


def get_function(function) -> TestFunction:
    """A TestFunction from its name, or a plain callable wrapped with generic defaults.

    Example:
        >>> get_function("ravine").minimum
        (0.0, 0.0)
    """
    if isinstance(function, TestFunction):
        return function
    if isinstance(function, str):
        if function not in FUNCTIONS:
            raise ValueError(f"Unknown test function {function!r}; expected one of "
                             f"{list(FUNCTIONS)}. Fix: trajectory('ravine', 'sgd').")
        return FUNCTIONS[function]
    if callable(function):
        return TestFunction(getattr(function, "__name__", "f"), function, (1.0, 1.0),
                            (-2.0, 2.0), (-2.0, 2.0), None, lr=0.01)
    raise ValueError(f"function must be a name {list(FUNCTIONS)} or a function of a 2-element "
                     f"tensor, got {type(function).__name__}. Fix: trajectory('rosenbrock', 'adam').")


@dataclass
class Trajectory:
    """Where an optimizer went: ``path`` (steps+1 x 2) and ``losses`` (steps+1), float64."""

    function: str
    optimizer_name: str
    hparams: dict
    path: torch.Tensor
    losses: torch.Tensor
    label: str = field(default="")

    @property
    def diverged(self) -> bool:
        return not bool(torch.isfinite(self.losses).all())

    def __repr__(self) -> str:
        end = ", ".join(f"{v:.4f}" for v in self.path[-1].tolist())
        return (f"Trajectory({self.optimizer_name} on {self.function}, {len(self.path) - 1} steps, "
                f"end=({end}), loss={self.losses[-1].item():.4g})")


def trajectory(function="ravine", optimizer_name: str = "sgd", *, start=None, steps: int = 50,
               lr: float | None = None, momentum: float = 0.9,
               betas: tuple[float, float] = (0.9, 0.999)) -> Trajectory:
    """Run a real torch.optim optimizer (by course name) on a 2-D test function.

    lr defaults to the function's usual rate; momentum and betas go to
    ``training.make_optimizer``. The point is a float64 2-element tensor; each step is
    zero_grad, loss, backward, step, as in a training loop (notebook 04 writes it out).
    A run whose loss becomes NaN or infinite stops there: the rest of its path is NaN.

    Example (notebook 04):
        >>> t = trajectory("ravine", "momentum", lr=0.4, momentum=0.5, steps=20)
        >>> t.path.shape
        torch.Size([21, 2])
    """
    f = get_function(function)
    optimizer_name = _checks.optimizer_name(optimizer_name, "trajectory('ravine', 'adam', lr=0.1)")
    _checks.whole_number(steps, "steps", "steps=50")
    start = f.start if start is None else start
    point = torch.tensor(start, dtype=torch.float64)
    if point.shape != (2,):
        raise ValueError(f"start must be two numbers (x, y), got {start!r}. Fix: start=(-1.5, 2).")
    point.requires_grad_(True)
    hparams = dict(lr=f.lr if lr is None else lr, momentum=momentum, betas=betas)
    opt = make_optimizer(optimizer_name, [point], **hparams)
    path, losses = [point.detach().clone()], []
    for _ in range(steps):
        opt.zero_grad()
        loss = f(point)
        losses.append(loss.detach().clone())
        if not torch.isfinite(loss):  # diverged: the rest of the path is NaN, not computed
            break
        loss.backward()
        opt.step()
        path.append(point.detach().clone())
    with torch.no_grad():
        losses.append(f(point).clone())
    nan = torch.full((2,), float("nan"), dtype=torch.float64)
    path += [nan] * (steps + 1 - len(path))
    losses += [nan[0]] * (steps + 1 - len(losses))
    return Trajectory(f.name, optimizer_name, hparams, torch.stack(path), torch.stack(losses))


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


@course_plot
def plot_trajectories(function, runs, *, steps: int = 50, show_losses: bool = False):
    """Contours of a test function with one path per optimizer.

    runs: {label: Trajectory or dict of trajectory keyword arguments}; a dict without
    "optimizer_name" uses the label as the optimizer name. A list of optimizer names
    also works. show_losses adds a second panel: loss per step.

    Example (notebook 04):
        >>> fig = plot_trajectories("rosenbrock", {"sgd": {"lr": 1e-3}, "adam": {"lr": 0.05}})
        >>> fig.axes[0].get_title()
        'rosenbrock'
    """
    f = get_function(function)
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
            kwargs.setdefault("optimizer_name", label)
            kwargs.setdefault("steps", steps)
            done[label] = trajectory(f, **kwargs)
        else:
            raise ValueError(f"runs[{label!r}] must be a Trajectory or a dict, got "
                             f"{type(run).__name__}. Fix: {{'{label}': {{'lr': 0.1}}}}.")
    fig, axes = new_figure(10.5 if show_losses else 6.2, 4.6, 1, 2 if show_losses else 1)
    ax = axes[0] if show_losses else axes
    _contours(ax, f, f.xlim, f.ylim)
    for k, (label, t) in enumerate(done.items()):
        c, ls = colour(k), LINESTYLES[k % len(LINESTYLES)]
        width, z = max(3.4 - 0.6 * k, 1.2), 3 + k  # earlier runs wider and below: all stay visible
        xy = t.path.numpy()
        name = f"{label} (lr {t.hparams['lr']:g})" + (" diverged" if t.diverged else "")
        ax.plot(xy[:, 0], xy[:, 1], ls=ls, color=c, lw=width, zorder=z, label=name)
        ax.plot(*xy[-1], "o", color=c, ms=8, mec="white", zorder=20)
        if show_losses:
            axes[1].plot(t.losses.numpy(), color=c, ls=ls, lw=width, zorder=z, label=name)
    first = next(iter(done.values())).path[0]
    ax.plot(*first.numpy(), "s", color="black", ms=7, label="start")
    if f.minimum is not None:
        ax.plot(*f.minimum, "*", color="gold", mec="black", ms=14, label="minimum")
    ax.set(xlim=f.xlim, ylim=f.ylim, xlabel="x", ylabel="y", title=f.name)
    ax.legend(loc="best", framealpha=0.9)
    if show_losses:
        axes[1].set(xlabel="step", ylabel="loss", title="loss along each path",
                    yscale="log" if f.log_contours else "linear")
        axes[1].grid(alpha=0.3)
    formula = (getattr(f.fn, "__doc__", None) or "").split(":")[0]
    if formula:
        fig.suptitle(f"{f.name}: {formula}, {len(first_path(done)) - 1} steps")
    fig.tight_layout()
    ends = "; ".join(f"{label} (lr {t.hparams['lr']:g}) " + (
        "diverged" if t.diverged else f"ends at loss {number(t.losses[-1].item())}")
        for label, t in done.items())
    return with_alt(fig, f"Paths of {len(done)} optimizers on the {f.name} function from "
                         f"({number(first[0].item())}, {number(first[1].item())}): {ends}.")


def first_path(done: dict) -> torch.Tensor:
    return next(iter(done.values())).path
