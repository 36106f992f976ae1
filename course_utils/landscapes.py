"""2-D test functions (of a tensor whose last dimension is (x, y)) and the paths real
optimizers take on them. Used in: notebook 04 (optimizers)."""
import math
from dataclasses import dataclass
from typing import Callable

import torch

from . import _checks
from .figures import FULL_WIDTH, course_plot, new_figure, number, run_styles, with_alt
from .training import make_optimizer


@dataclass(frozen=True)
class TestFunction:
    """A 2-D loss surface with a default start, plot range, learning rate and gradient formula."""

    name: str
    fn: Callable[[torch.Tensor], torch.Tensor]
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    minima: tuple[tuple[float, float], ...]            # drawn as stars
    lr: float
    grad: Callable[[float, float], tuple[float, float]]   # (x, y) -> (df/dx, df/dy)
    log_contours: bool = False
    saddle_point: tuple[float, float] | None = None


def ravine(xy):
    """0.1 x^2 + 2 y^2: a quadratic valley 20 times steeper across than along."""
    return 0.1 * xy[..., 0] ** 2 + 2 * xy[..., 1] ** 2


def rosenbrock(xy):
    """(1 - x)^2 + 100 (y - x^2)^2: a curved, flat-bottomed banana valley, minimum at (1, 1)."""
    x, y = xy[..., 0], xy[..., 1]
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def saddle(xy):
    """x^2 - y^2 + y^4 / 4: a saddle at (0, 0) between two valleys at y = +-sqrt(2)."""
    x, y = xy[..., 0], xy[..., 1]
    return x ** 2 - y ** 2 + y ** 4 / 4


# the gradients multiply, not **: a diverging path overflows to inf, not OverflowError
FUNCTIONS = {
    "ravine": TestFunction("ravine", ravine, (-5.0, -2.0), (-6.0, 6.0), (-3.0, 3.0),
                           ((0.0, 0.0),), lr=0.4, grad=lambda x, y: (0.2 * x, 4 * y)),
    "rosenbrock": TestFunction("rosenbrock", rosenbrock, (-1.5, 2.0), (-2.0, 2.0), (-1.0, 3.5),
                               ((1.0, 1.0),), lr=1e-3, log_contours=True,
                               grad=lambda x, y: (-2 * (1 - x) - 400 * x * (y - x * x),
                                                  200 * (y - x * x))),
    "saddle": TestFunction("saddle", saddle, (-1.5, 1e-3), (-2.0, 2.0), (-2.5, 2.5),
                           ((0.0, 2 ** 0.5), (0.0, -2 ** 0.5)), lr=0.05, saddle_point=(0.0, 0.0),
                           grad=lambda x, y: (2 * x, -2 * y + y * y * y)),
}


@dataclass
class Trajectory:
    """Where an optimizer went: ``path`` (steps+1 x 2) and ``losses`` (steps+1), float64."""

    function: str
    optimizer_name: str
    hparams: dict
    path: torch.Tensor
    losses: torch.Tensor

    @property
    def diverged(self) -> bool:
        return not bool(torch.isfinite(self.losses).all())


def trajectory(function="ravine", optimizer_name: str = "sgd", *, steps: int = 50,
               lr: float | None = None, momentum: float = 0.9) -> Trajectory:
    """A real torch.optim optimizer's path on a test function (NaN once the loss is not finite).

    Example (notebook 04):
        >>> trajectory("ravine", "momentum", lr=0.4, momentum=0.5, steps=20).path.shape
        torch.Size([21, 2])
    """
    f = FUNCTIONS[_checks.one_of(function, tuple(FUNCTIONS), "function", "trajectory('ravine')")]
    optimizer_name = _checks.optimizer_name(optimizer_name, "trajectory('ravine', 'adam', lr=0.1)")
    _checks.whole_number(steps, "steps", "steps=50")
    hparams = dict(lr=f.lr if lr is None else lr, momentum=momentum)
    point = torch.tensor(f.start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(optimizer_name, [point], **hparams)
    path, losses = [point.detach().clone()], []
    for _ in range(steps):
        opt.zero_grad()
        loss = f.fn(point)
        losses.append(loss.detach().clone())
        if not torch.isfinite(loss):  # diverged: the rest of the path is NaN, not computed
            break
        loss.backward()
        opt.step()
        path.append(point.detach().clone())
    with torch.no_grad():
        losses.append(f.fn(point).clone())
    nan = torch.full((2,), float("nan"), dtype=torch.float64)
    path += [nan] * (steps + 1 - len(path))
    losses += [nan[0]] * (steps + 1 - len(losses))
    return Trajectory(f.name, optimizer_name, hparams, torch.stack(path), torch.stack(losses))


def quick_trajectory(function: str, optimizer_name: str, *, steps: int, lr: float,
                     momentum: float) -> Trajectory:
    """trajectory()'s path, about 50 times faster (the playground's redraws): torch.optim's
    update rules on two floats, with the function's gradient formula. Nothing is checked."""
    f, name, (beta1, beta2) = FUNCTIONS[function], optimizer_name, (0.9, 0.999)
    point = [float(v) for v in f.start]
    first, second = [0.0, 0.0], [0.0, 0.0]       # momentum buffer or Adam's m; RMSProp/Adam's v
    path = [tuple(point)]
    for t in range(1, steps + 1):
        for i, g in enumerate(f.grad(*point)):
            if name == "sgd":
                step = g
            elif name in ("momentum", "nesterov"):
                first[i] = momentum * first[i] + g
                step = g + momentum * first[i] if name == "nesterov" else first[i]
            elif name == "rmsprop":
                second[i] = 0.99 * second[i] + (1 - 0.99) * g * g
                step = g / (math.sqrt(second[i]) + 1e-8)
            else:                                  # adam, bias-corrected
                first[i] += (g - first[i]) * (1 - beta1)
                second[i] = beta2 * second[i] + (1 - beta2) * g * g
                step = first[i] / (1 - beta1 ** t) / (
                    math.sqrt(second[i]) / math.sqrt(1 - beta2 ** t) + 1e-8)
            point[i] -= lr * step
        path.append(tuple(point))
    path = torch.tensor(path, dtype=torch.float64)
    with torch.no_grad():
        losses = f.fn(path)
    return Trajectory(f.name, name, dict(lr=lr, momentum=momentum), path, losses)


@course_plot
def plot_trajectories(function, runs: dict, *, show_losses: bool = False):
    """Contours of a test function with one path per run (label -> Trajectory); show_losses
    adds the loss at each step of each path.

    Example (notebook 04):
        >>> plot_trajectories("ravine", {})
        Traceback (most recent call last):
        ValueError: runs must be a non-empty dict label -> Trajectory, got dict. Fix: ...
    """
    f = FUNCTIONS[_checks.one_of(function, tuple(FUNCTIONS), "function",
                                 "plot_trajectories('ravine', runs)")]
    ok = isinstance(runs, dict) and runs and all(isinstance(t, Trajectory) for t in runs.values())
    _checks.expect(ok, "runs", "a non-empty dict label -> Trajectory", runs,
                   "plot_trajectories('ravine', {'sgd': cu.trajectory('ravine', 'sgd')})")
    steps = len(next(iter(runs.values())).path) - 1
    figure = TrajectoryFigure(function, lines=len(runs), show_losses=show_losses,
                              title=f"{f.name}: {f.fn.__doc__.split(':')[0]}, {steps} steps")
    figure.show(runs)
    return figure.fig  # its alt text: TrajectoryFigure.show


class TrajectoryFigure:
    """A test function's contours, drawn once, and ``lines`` paths that ``show(runs)`` fills."""

    def __init__(self, function, *, lines: int = 5, show_losses: bool = False,
                 live: bool = False, title: str | None = None):
        import numpy as np
        from matplotlib.colors import LogNorm

        self.function = f = FUNCTIONS[function]
        # the key goes under the panels, never over a path: one row per `columns` entries
        self.columns = 4 if show_losses else 2
        key_rows = math.ceil((lines + 3 + (f.saddle_point is not None)) / self.columns)
        key_height = 0.3 * key_rows + 0.1
        self.fig, axes = new_figure(FULL_WIDTH if show_losses else 6.2, 4.6 + key_height, 1,
                                    2 if show_losses else 1)
        self.ax, self.loss_ax = (axes[0], axes[1]) if show_losses else (axes, None)
        self.live, ax = live, self.ax     # the paths, their ends and the start move: animated
        xs = torch.linspace(*f.xlim, 200, dtype=torch.float64)
        ys = torch.linspace(*f.ylim, 200, dtype=torch.float64)
        with torch.no_grad():
            z = f.fn(torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1)).numpy()
        levels, norm = 25, None
        if f.log_contours:                   # steep walls: levels evenly spaced in log(loss)
            z = z - z.min() + 1e-3
            levels, norm = np.logspace(np.log10(z.min()), np.log10(z.max()), 25), LogNorm()
        ax.contourf(xs, ys, z, levels=levels, norm=norm, cmap="Greys", alpha=0.5)
        ax.contour(xs, ys, z, levels=levels, norm=norm, colors="#777777", linewidths=0.5)
        self.paths = [ax.plot([], [], animated=live)[0] for _ in range(lines)]  # styled in show()
        self.ends = [ax.plot([], [], "o", mew=0, animated=live)[0] for _ in range(lines)]
        self.loss_lines = [self.loss_ax.plot([], [])[0] for _ in range(lines * show_losses)]
        self.start = ax.plot([], [], "ks", ms=7, label="start", zorder=30, animated=live)[0]
        end_key = ax.plot([], [], "o", color="grey", ms=10, mew=0, label="end of a path")[0]
        self.marks = [self.start, end_key]  # the key's dot: each path ends in a dot of its colour
        for point, marker, label in [(f.minima, "*", "minimum" if len(f.minima) < 2 else
                                      "minima (the valleys)"), ((f.saddle_point,), "X", "saddle point")]:
            if point[0] is not None:         # outlines under the end dots, wider than them
                self.marks += ax.plot(*zip(*point), marker, ls="none", mfc="none", mec="black",
                                      mew=1.5, ms=22 if marker == "*" else 13, zorder=19, label=label)
        ax.set(xlim=f.xlim, ylim=f.ylim, xlabel="x", ylabel="y", title=f.name)
        if show_losses:
            self.loss_ax.set(xlabel="step", ylabel="loss", title="loss along each path")
            self.loss_ax.grid(alpha=0.3)
        if title:
            self.fig.suptitle(title)
        self.fig.tight_layout(rect=(0, key_height / self.fig.get_figheight(), 1, 1))  # key: below

    def show(self, runs: dict) -> None:
        from matplotlib.patheffects import withStroke

        shown = list(runs.items())
        styles = run_styles([label for label, _ in shown])
        # the lowest end on top, widest and outlined; the others below it, the highest end
        # lowest and a little wider (a path under another still shows): every path is visible
        ends_at = [math.inf if t.diverged else t.losses[-1].item() for _, t in shown]
        rank = {k: r for r, k in enumerate(sorted(range(len(shown)), key=lambda k: -ends_at[k]))}
        for k, (path, end) in enumerate(zip(self.paths, self.ends)):
            for line in (path, end, *self.loss_lines[k:k + 1]):
                line.set_visible(k < len(shown))
            if k >= len(shown):
                continue
            label, t = shown[k]
            x, y = t.path.numpy().T
            path.set_data(x, y)
            end.set_data(x[-1:], y[-1:])
            path.set_label(f"{label} (lr {t.hparams['lr']:g})" + (" diverged" if t.diverged else ""))
            top = rank[k] == len(shown) - 1
            for line in (path, end, *self.loss_lines[k:k + 1]):
                line.set(color=styles[k]["color"], linestyle=styles[k]["ls"], zorder=3 + rank[k],
                         lw=2.8 if top else max(2.4 - 0.3 * rank[k], 1.4),
                         path_effects=[withStroke(linewidth=4.4, foreground="black")] * top)
            end.set(zorder=20 + rank[k], ms=max(12 - 2 * rank[k], 4), path_effects=[])
            if self.loss_lines:
                self.loss_lines[k].set_data(range(len(t.losses)), t.losses.numpy())
        first = shown[0][1].path[0].numpy() if shown else [None, None]
        self.start.set_data(first[:1], first[1:])
        handles = [line for line in self.paths if line.get_visible()] + self.marks
        key = self.ax.legend(handles, [h.get_label() for h in handles], loc="lower center",
                             bbox_to_anchor=(0.5, 0.02), bbox_transform=self.fig.transFigure,
                             ncol=self.columns, frameon=False)
        key.set_animated(self.live)
        if self.loss_ax is not None:       # a log scale when every loss is above 0 (the
            positive = all(bool((t.losses > 0).all()) for _, t in shown)   # ravine's 1e-22)
            self.loss_ax.set_yscale("log" if positive else "linear")
            self.loss_ax.relim()
            self.loss_ax.autoscale_view()
            lows = sorted(t.losses[torch.isfinite(t.losses)].min().item() for _, t in shown)
            if positive and len(lows) > 1 and lows[0] < lows[1] / 1e4:   # ravine's RMSProp: 1e-22
                self.loss_ax.set_ylim(bottom=lows[1] / 100)   # its line leaves through the bottom
        ends = "; ".join(f"{label} (lr {t.hparams['lr']:g}) " + (
            "diverged" if t.diverged else f"ends at loss {number(t.losses[-1].item())}")
            for label, t in shown)
        start = (f" from ({number(float(first[0]))}, {number(float(first[1]))})"
                 if shown else "")
        with_alt(self.fig, f"Paths of {len(shown)} optimizers on the {self.function.name} "
                           f"function{start}: {ends or 'none; tick at least one optimizer'}.")
