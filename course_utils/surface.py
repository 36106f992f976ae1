"""The loss on a plane through the trained weights (Li et al., 2018) and on the line from the
initial weights (Goodfellow et al., 2015). Used in: notebook 05."""
import math
from dataclasses import dataclass

import torch
from torch import nn

from . import _checks
from .figures import FULL_WIDTH, PALETTE, course_plot, new_figure, number, with_alt
from .models import eval_mode
from .training import _check_optimizer


class WeightPath:
    """``weights[k]``: the flat weights after ``steps[k]`` steps. Create it before training.

    Example (notebook 05):
        >>> weight_path = WeightPath(model, optimizer, every=2)
        >>> history = fit(model, data, optimizer, epochs=1, progress=False)
        >>> weight_path.steps, weight_path.taken
        ([0, 2, 4], 4)
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, *, every: int = 10):
        _check_optimizer(model, optimizer)
        self.every = _checks.whole_number(every, "every", "WeightPath(model, optimizer, every=10)")
        self.model, self.taken = model, 0
        self.steps, self.weights = [0], [flat_weights(model)]
        optimizer.register_step_post_hook(self._after_step)

    def _after_step(self, optimizer, args, kwargs) -> None:
        self.taken += 1
        if self.taken % self.every == 0:
            self.steps.append(self.taken)
            self.weights.append(flat_weights(self.model))


def flat_weights(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1).float().cpu() for p in model.parameters()])


@dataclass
class Surface:
    """``losses[i, j]``: the loss at ``trained + xs[j] * plane[0] + ys[i] * plane[1]``;
    ``slice_losses``: at ``initial + slice_alphas * (trained - initial)``."""

    directions: str
    plane: torch.Tensor
    xs: torch.Tensor
    ys: torch.Tensor
    losses: torch.Tensor
    path: torch.Tensor
    path_steps: list[int]
    explained: tuple[float, float]
    slice_alphas: torch.Tensor | None
    slice_losses: torch.Tensor | None
    digits: int

    @property
    def loss_at_origin(self) -> float:                   # the trained weights' loss
        return float(self.losses[int((self.ys == 0).nonzero()), int((self.xs == 0).nonzero())])

    def __repr__(self) -> str:
        return (f"Surface({self.directions} directions, {len(self.ys)} x {len(self.xs)} grid on "
                f"{self.digits} digits, loss {self.loss_at_origin:.4f} at the trained "
                f"weights, {self.losses.min().item():.4f} to {self.losses.max().item():.4f} "
                "on the plane)")


def random_directions(model: nn.Module, seed: int = 0) -> torch.Tensor:
    """Two random directions, each filter scaled to the model's filter's norm, biases 0."""
    generator, rows = torch.Generator().manual_seed(seed), []
    for _ in range(2):
        parts = []
        for w in (p.detach().float().cpu() for p in model.parameters()):
            if w.dim() < 2:                              # a bias: not moved
                parts.append(torch.zeros(w.numel()))
                continue
            d = torch.randn(w.shape, generator=generator)
            scale = w.flatten(1).norm(dim=1) / (d.flatten(1).norm(dim=1) + 1e-10)
            parts.append((d * scale.view(-1, *[1] * (w.dim() - 1))).reshape(-1))
        rows.append(torch.cat(parts))
    return torch.stack(rows)


def _axis(low: float, high: float, points: int) -> torch.Tensor:
    """points evenly spaced values covering [low, high] (low <= 0 <= high), one of them 0."""
    step = (high - low) / (points - 1)
    while math.ceil(-low / step - 1e-9) + math.ceil(high / step - 1e-9) + 1 > points:
        step *= 1.02                                  # a little wider until 0 fits on the grid
    below = points - 1 - math.ceil(high / step - 1e-9)
    return (torch.arange(-below, points - below, dtype=torch.float64) * step).float()


def loss_surface(model: nn.Module, split, weight_path: WeightPath | None = None, *,
                 directions: str = "pca", grid: int = 11, digits: int = 100,
                 slice_steps: int = 8) -> Surface:
    """The loss on ``split.subset(digits)`` on a ``grid`` x ``grid`` plane through the trained
    weights and, for alpha -0.25 to 1.25, on the line from the initial weights.

    Example (notebook 05):
        >>> loss_surface(model, data.train, None)
        Traceback (most recent call last):
        ValueError: weight_path must be a WeightPath (3 snapshots or more ...
    """
    fix = "loss_surface(model, data.train, weight_path)"
    _checks.expect(isinstance(model, nn.Module), "model", "the trained nn.Module", model, fix)
    _checks.expect(hasattr(split, "subset") and hasattr(split, "images"), "split",
                   "a Split such as data.train", split, fix)
    _checks.one_of(directions, ("pca", "random"), "directions",
                   "loss_surface(model, data.train, weight_path, directions='pca')")
    kept = len(weight_path.weights) if isinstance(weight_path, WeightPath) else 0
    if kept < (3 if directions == "pca" else 1):    # a WeightPath holds one at least
        have = f"{kept} snapshots" if kept else type(weight_path).__name__
        raise ValueError(f"weight_path must be a WeightPath (3 snapshots or more for "
                         f"directions='pca'), got {have}. Fix: weight_path = cu.WeightPath(model, "
                         "optimizer) before training, or directions='random'.")
    _checks.whole_number(grid, "grid", "grid=11", low=3, high=101)
    _checks.whole_number(digits, "digits", "digits=100")
    _checks.whole_number(slice_steps, "slice_steps", "slice_steps=8", low=0, high=100)

    from torch.func import functional_call

    subset, device = split.subset(digits), next(model.parameters()).device
    x, y = subset.images.to(device), subset.labels.to(device)
    shapes = [(name, p.shape) for name, p in model.named_parameters()]

    def loss(flat: torch.Tensor) -> float:      # the mean loss on those digits with these weights
        parts = flat.to(device).split([shape.numel() for _, shape in shapes])
        params = {name: part.view(shape) for (name, shape), part in zip(shapes, parts)}
        with torch.no_grad(), eval_mode(model):
            return nn.functional.cross_entropy(functional_call(model, params, (x,)), y).item()

    trained = flat_weights(model)
    snapshots, steps = list(weight_path.weights), list(weight_path.steps)
    if not torch.equal(snapshots[-1], trained):
        snapshots.append(trained)                    # the end of training is the origin
        steps.append(weight_path.taken)
    offsets = torch.stack(snapshots) - trained
    if not offsets.any():
        raise ValueError("The weights never moved along weight_path, so there is no path to "
                         "draw. Fix: create the WeightPath, then train (fit), then call "
                         "loss_surface.")

    centred = (offsets - offsets.mean(0)).double()   # the path about its mean: its spread
    if directions == "pca":                          # the path's two main directions (PCA)
        values, vectors = torch.linalg.eigh(centred @ centred.T)   # snapshots x snapshots
        top = vectors[:, -2:].flip(1)                               # the two largest first
        basis = ((top.T @ centred) / values[-2:].flip(0).clamp_min(1e-30).sqrt()[:, None]).float()
        explained = tuple((values[-2:].flip(0) / values.sum()).tolist())   # their share
        basis = basis * torch.where(offsets[0] @ basis.T > 0, -1.0, 1.0).unsqueeze(1)
        path = offsets @ basis.T                     # orthonormal: coordinates; the start < 0
        top, bottom = path.max(0).values, path.min(0).values      # the path, 15% margins,
        half = torch.maximum(0.65 * (top - bottom), 0.25 * (top - bottom).max())  # never flat
        low, high = ((top + bottom) / 2 - half).tolist(), ((top + bottom) / 2 + half).tolist()
        xs, ys = (_axis(lo, hi, grid) for lo, hi in zip(low, high))
    else:
        basis = random_directions(model)             # least squares: the nearest point
        path = torch.linalg.lstsq(basis.T.double(), offsets.T.double()).solution.T.float()
        along = centred @ torch.linalg.qr(basis.T.double()).Q        # the plane's share
        explained = tuple((along.pow(2).sum(0) / centred.pow(2).sum()).tolist())
        xs = ys = _axis(-1.0, 1.0, grid)
    losses = torch.tensor([[loss(trained + a * basis[0] + b * basis[1]) for a in xs.tolist()]
                           for b in ys.tolist()])

    alphas = slice_losses = None
    if slice_steps:                                  # alpha -0.25 to 1.25, 0 and 1 included
        margin, start = math.ceil(slice_steps / 4), snapshots[0]
        alphas = torch.arange(-margin, slice_steps + margin + 1) / slice_steps
        slice_losses = torch.tensor([loss(start + a * (trained - start)) for a in alphas.tolist()])
    return Surface(directions, basis, xs, ys, losses, path, steps, explained, alphas, slice_losses,
                   len(y))


@course_plot
def plot_loss_surface(surface: Surface):
    """Contours of the loss on the surface's plane with the training path; beside it the 1-D slice.

    Example (notebook 05):
        >>> plot_loss_surface(None)
        Traceback (most recent call last):
        ValueError: surface must be what loss_surface() returns, got NoneType. Fix: ...
    """
    import numpy as np
    from matplotlib.colors import LogNorm
    from matplotlib.patheffects import withStroke

    _checks.expect(isinstance(surface, Surface), "surface", "what loss_surface() returns", surface,
                   "plot_loss_surface(cu.loss_surface(model, data.train, weight_path))")
    has_slice = surface.slice_losses is not None
    fig, axes = new_figure(FULL_WIDTH - 0.7 if has_slice else 5.8, 4.3, 1, 2 if has_slice else 1,
                           layout="constrained", width_ratios=[1.25, 1] if has_slice else None)
    ax = axes[0] if has_slice else axes
    z, xs, ys = surface.losses.clamp_min(1e-6).numpy(), surface.xs.numpy(), surface.ys.numpy()
    log = z.max() > 3 * z.min()
    levels, norm = (np.geomspace if log else np.linspace)(z.min(), z.max(), 16), LogNorm() if log else None
    filled = ax.contourf(xs, ys, z, levels=levels, norm=norm, cmap="viridis")
    ax.contour(xs, ys, z, levels=levels, norm=norm, colors="white", linewidths=0.4, alpha=0.6)
    fig.colorbar(filled, ax=ax, format="%.3g").set_label("loss (log colour scale)" if log else "loss")
    fig.get_layout_engine().set(wspace=0.1)     # the colour bar's label apart from the slice's
    label = ("PCA direction {} ({:.0%} of the path)" if surface.directions == "pca" else
             "random direction {} (filter-normalised)")
    ax.set(xlabel=label.format(1, surface.explained[0]), ylabel=label.format(2, surface.explained[1]),
           title=f"loss around the trained weights ({len(xs)} x {len(ys)} grid)")
    plane = ("the two main directions of the training path" if surface.directions == "pca"
             else "two filter-normalised random directions")
    alt = (f"Contours of the loss on {surface.digits} digits on the plane through the trained "
           f"weights along {plane}, on a {len(xs)} by {len(ys)} grid: "
           f"{number(surface.loss_at_origin)} at the trained weights (the origin), from "
           f"{number(z.min())} to {number(z.max())} on the plane.")
    xy = surface.path.numpy()
    ax.plot(xy[:, 0], xy[:, 1], "-o", color=PALETTE[1], ms=3, lw=2,
            label=f"training path ({len(xy)} snapshots)")
    ax.plot(*xy[0], "s", color="white", mec="black", ms=15, zorder=3,  # under the star,
            label=f"start (step {surface.path_steps[0]})")           # larger: both show
    alt += (f" The training path of {len(xy)} snapshots runs from ({number(xy[0, 0])}, "
            f"{number(xy[0, 1])}) to the origin ({sum(surface.explained):.0%} of its spread "
            "lies in this plane).")
    ax.plot(0, 0, "*", color=PALETTE[4], mec="black", ms=10, zorder=4,
            label=f"trained (loss {number(surface.loss_at_origin)})")
    low = np.unravel_index(np.argmin(z), z.shape)   # the lowest grid point: a hollow cross
    ax.plot(xs[low[1]], ys[low[0]], "X", mfc="none", mec="white", mew=1.5, ms=14, zorder=5,
            clip_on=False, path_effects=[withStroke(linewidth=3.5, foreground="black")],
            label=f"lowest on the grid (loss {number(z.min())})")    # over the marks: all show
    alt += (f" The lowest loss on the grid, {number(z.min())}, lies at ({number(xs[low[1]])}, "
            f"{number(ys[low[0]])}) (a hollow cross).")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)  # under the path
    if has_slice:
        alphas, losses = surface.slice_alphas.numpy(), surface.slice_losses.numpy()
        axes[1].plot(alphas, losses, "-", color=PALETTE[0], lw=2)
        for alpha, name, marker in ((0.0, "initial", "s"), (1.0, "trained", "*")):
            k = list(alphas).index(alpha)
            axes[1].plot(alpha, losses[k], marker, color=PALETTE[4] if alpha else "white",
                         mec="black", ms=12 if alpha else 9)
            axes[1].annotate(f"{name}\n{number(losses[k])}", (alpha, losses[k]),
                             xytext=(8, 8 if alpha else -30), textcoords="offset points")
        axes[1].set(yscale="log" if log else "linear", ylabel=f"mean loss on {surface.digits} digits",
                    xlabel="alpha (0: initial weights, 1: trained)",
                    title="on the line from initial to trained")
        axes[1].grid(alpha=0.3)
        low = int(np.argmin(losses))
        alt += (f" Right: along the straight line from the initial (alpha 0) to the trained "
                f"weights (alpha 1) the loss goes from {number(losses[list(alphas).index(0.0)])}"
                f" to {number(surface.loss_at_origin)}; its lowest value on the line is "
                f"{number(losses[low])} at alpha {alphas[low]:.2f}.")
    return with_alt(fig, alt)
