"""Interactive explorers (ipywidgets): controls above a figure redrawn in place.

Each builder returns one widget (machinery/explorer.py: the figure as an image, its
static PNG for headless runs, the drawing thread). Each explorer keeps its figure and
moves new data into it as a slider is dragged (the playground keeps a landscape's
contours, the inspector a layer's scales). Cells showing one carry ``# NBVAL_IGNORE_OUTPUT``.

Stable hooks for tests and notebooks: every explorer has the CSS class
``course-explorer`` plus its own (``course-optimizer-playground``,
``course-learning-rate-explorer``, ``course-gradient-inspector``,
``course-backward-stepper``); the figure is ``img.course-figure``, the learning-rate
slider carries ``course-learning-rate``, the stepper's buttons ``course-step-back`` and
``course-step-next``.

Used in: notebooks 03 (gradient_inspector, backward_stepper), 04 (optimizer_playground) and
05 (learning_rate_explorer). Only notebooks import this module.
"""
from __future__ import annotations

import math
import threading
import time

import ipywidgets as W
import torch

from . import _checks
from ._checks import OPTIMIZER_LABELS, OPTIMIZER_NAMES
from .machinery.explorer import Explorer
from .figures import FULL_WIDTH, LINESTYLES, PALETTE, new_figure, number, with_alt
from .plots import show_tiled_filters, tile_filters
from .training import TrainingDiverged, make_optimizer, train_step


def _slider(cls, description: str, css: str | None = None, *, live: bool = True, **kwargs):
    """A slider; live: its value changes (and the figure follows) while it is dragged."""
    slider = cls(description=description, continuous_update=live,
                 style={"description_width": "110px"}, layout=W.Layout(width="420px"), **kwargs)
    if css:
        slider.add_class(css)
    return slider


def _rate_slider(lr: float, low: float, high: float, **kwargs):
    """A log-scale learning-rate slider from 10**low to 10**high, widened to include lr."""
    exponent = math.log10(lr)
    return _slider(W.FloatLogSlider, "learning rate", "course-learning-rate", value=lr, base=10,
                   min=min(low, math.floor(exponent)), max=max(high, math.ceil(exponent)),
                   readout_format=".4f", **kwargs)


def optimizer_playground(function: str = "ravine", *,
                         optimizer_names=("sgd", "momentum", "adam"), lr: float | None = None,
                         steps: int = 50) -> Explorer:
    """Optimizer paths on a 2-D test function, redrawn as you move the controls.

    Controls: the test function (choosing one resets the learning rate to its usual
    value), which optimizers to compare, the learning rate (log slider, shared by all) and
    momentum. ``.controls`` maps "function", "learning rate" and "momentum" to the controls
    and ``.optimizers`` a course optimizer name ("sgd", ...) to its checkbox;
    ``.trajectories`` holds the paths drawn last (label -> landscapes.Trajectory).

    Example (notebook 04):
        >>> playground = optimizer_playground("rosenbrock", lr=0.003)
    """
    from .landscapes import FUNCTIONS, TrajectoryFigure, quick_trajectory

    if function not in FUNCTIONS:
        raise ValueError(f"function must be one of {sorted(FUNCTIONS)}, got {function!r}. "
                         "Fix: optimizer_playground('ravine').")
    if isinstance(optimizer_names, str):
        optimizer_names = [optimizer_names]
    fix = "optimizer_playground(optimizer_names=['sgd', 'adam'])"
    chosen = [_checks.optimizer_name(name, fix) for name in optimizer_names]
    lr = _checks.learning_rate(FUNCTIONS[function].lr if lr is None else lr,
                               "optimizer_playground(lr=0.01)")
    _checks.whole_number(steps, "steps", "steps=50", low=5, high=300)
    fn = W.Dropdown(options=list(FUNCTIONS), value=function, description="function")
    boxes = {name: W.Checkbox(value=name in chosen, description=OPTIMIZER_LABELS[name],
                              indent=False, layout=W.Layout(width="110px"))
             for name in OPTIMIZER_NAMES}
    rate = _rate_slider(lr, -4, 0.5, step=0.05)
    momentum = _slider(W.FloatSlider, "momentum", value=0.9, min=0.0, max=0.99, step=0.01)
    figures = {}                          # function name -> its TrajectoryFigure, made once

    def draw(explorer):
        explorer.trajectories = {
            OPTIMIZER_LABELS[name]: quick_trajectory(fn.value, name, steps=steps, lr=rate.value,
                                                     momentum=momentum.value)
            for name, box in boxes.items() if box.value}
        if fn.value not in figures:
            figures[fn.value] = TrajectoryFigure(fn.value, lines=len(boxes), live=True)
        figures[fn.value].show(explorer.trajectories)
        return figures[fn.value].fig

    def new_function(change):
        usual = FUNCTIONS[fn.value].lr
        if math.isclose(rate.value, usual):
            playground.request()
        else:
            rate.value = usual            # redraws once, through the slider

    playground = Explorer("optimizer-playground", [W.HBox([fn, *boxes.values()]),
                                                   W.HBox([rate, momentum])],
                          draw, watch=[*boxes.values(), rate, momentum])
    fn.observe(new_function, names="value")
    playground.controls = {"function": fn, "learning rate": rate, "momentum": momentum}
    playground.optimizers = boxes
    return playground


class LearningRateExplorer(Explorer):
    """A learning-rate slider and a Train button; each run's loss is drawn next to the last ones.

    ``train(lr)`` runs one short training synchronously (what the button does, in a
    background thread so the notebook stays responsive); ``runs`` maps a label to the
    losses of each step. While a run is going the button is disabled and clicks are ignored.
    """

    def __init__(self, model_fn, data, optimizer_name: str, lr: float, steps: int,
                 batch_size: int):
        self.model_fn, self.data, self.optimizer_name = model_fn, data, optimizer_name
        self.steps, self.batch_size = steps, batch_size
        self.runs: dict[str, list[float]] = {}
        self.running, self.thread = False, None
        self.learning_rate = _rate_slider(lr, -4, 1, step=0.1, live=False)
        self.button = W.Button(description="Train", icon="play", button_style="primary")
        self.button.add_class("course-train")
        self.progress = W.IntProgress(value=0, max=steps, description="steps")
        self.progress.add_class("course-progress")
        self.status = W.Label(f"{steps} steps of {optimizer_name}, batch size {batch_size}: "
                              "pick a learning rate and press Train")
        self.button.on_click(lambda button: self.click())
        super().__init__("learning-rate-explorer",
                         [W.HBox([self.learning_rate, self.button, self.progress]), self.status],
                         LearningRateExplorer._plot, watch=[])

    def click(self) -> None:
        if self.running:
            return                       # a second run must not start while one is going
        self.running, self.button.disabled = True, True
        self.thread = threading.Thread(target=self.train, kwargs={"live": True}, daemon=True)
        self.thread.start()

    def train(self, lr: float | None = None, *, live: bool = False) -> list[float]:
        """Train a fresh model_fn() for the fixed budget; return the losses (one per step).

        live=True (the Train button) redraws from the second step on, then at most 5 times
        a second; a call from code draws once, at the end (a notebook cell that starts a
        few runs waits for no figure).
        """
        lr = self.learning_rate.value if lr is None else lr
        label = f"lr={lr:.3g}"
        self.running, self.button.disabled = True, True
        self.runs.pop(label, None)             # a rerun at the same rate becomes the latest
        self.runs[label] = losses = []
        self.progress.value, self.progress.bar_style = 0, ""
        try:
            torch.manual_seed(0)
            model = self.model_fn()
            opt = make_optimizer(self.optimizer_name, model.parameters(), lr=lr)
            batches, shown = iter(()), -math.inf
            for step in range(self.steps):
                batch = next(batches, None)
                if batch is None:
                    batches = iter(self.data.train.batches(self.batch_size, shuffle=True, seed=step))
                    batch = next(batches)
                losses.append(train_step(model, *batch, opt))
                self.progress.value = step + 1
                if live and step >= 1 and time.perf_counter() - shown >= 0.2:
                    self.request()
                    shown = time.perf_counter()
            self.status.value = f"{label}: loss {losses[0]:.3f} -> {losses[-1]:.3f}"
        except TrainingDiverged:
            losses.append(math.inf)
            self.progress.bar_style = "danger"
            self.status.value = f"{label}: the loss blew up after {len(losses) - 1} steps"
        finally:
            self.redraw()
            self.running, self.button.disabled = False, False
        return losses

    def _plot(self):
        """All runs, the newest wide and under the others; a run that blew up ends in an x."""
        from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

        runs = [(label, [v for v in losses if math.isfinite(v)], len(losses))
                for label, losses in list(self.runs.items())]      # a snapshot: training goes on
        fig, ax = new_figure(7.5, 3.6)
        for k, (label, finite, n) in enumerate(runs):
            newest, colour = k == len(runs) - 1, PALETTE[k % len(PALETTE)]
            ax.plot(range(1, len(finite) + 1), finite, label=label, color=colour,
                    ls=LINESTYLES[k % len(LINESTYLES)], lw=2.6 if newest else 1.6,
                    zorder=1.9 if newest else 2)
            if len(finite) < n:
                ax.plot(len(finite), finite[-1] if finite else 1.0, "x", ms=12, mew=3, color=colour)
        if runs:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)  # beside the runs
        else:
            ax.text(0.5, 0.5, "press Train to start a run", ha="center", va="center",
                    transform=ax.transAxes, fontsize=12, color="0.4")
        ax.set(xlabel="step", ylabel="training loss", yscale="log", xlim=(0, self.steps),
               title=f"{self.steps} steps of {self.optimizer_name}, batch size {self.batch_size}")
        ax.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        if not runs:
            return with_alt(fig, "Training loss per step: no run yet; press Train.")
        ends = [f"{label} blew up after {len(finite)} steps" if len(finite) < n else
                f"{label} ends at {number(finite[-1])}" if finite else f"{label}: no step yet"
                for label, finite, n in runs]
        return with_alt(fig, f"Training loss per step (log scale) for {len(runs)} "
                             f"learning rates: {'; '.join(ends)}.")


def learning_rate_explorer(model_fn, data, *, optimizer_name: str = "sgd", lr: float = 0.05,
                           steps: int = 100, batch_size: int = 64) -> LearningRateExplorer:
    """Train LeNet for a short, fixed budget at the chosen learning rate; compare the runs.

    model_fn builds a fresh model (e.g. ``cu.LeNet``); data is what load_mnist() returns.
    Too small a rate crawls, a good one drops fast, too large a one blows up (marked x).

    Example (notebook 05):
        >>> explorer = learning_rate_explorer(cu.LeNet, data)
    """
    if not callable(model_fn) or isinstance(model_fn, torch.nn.Module):
        raise ValueError(f"model_fn must build a fresh model, got {type(model_fn).__name__}. "
                         "Fix: learning_rate_explorer(cu.LeNet, data) (the class, not LeNet()).")
    if not hasattr(getattr(data, "train", None), "batches"):
        raise ValueError(f"data must be what load_mnist() returns, got {type(data).__name__}. "
                         "Fix: data = cu.load_mnist(); learning_rate_explorer(cu.LeNet, data).")
    optimizer_name = _checks.optimizer_name(
        optimizer_name, "learning_rate_explorer(cu.LeNet, data, optimizer_name='sgd')")
    lr = _checks.learning_rate(lr, "learning_rate_explorer(cu.LeNet, data, lr=0.05)")
    _checks.whole_number(steps, "steps", "steps=100", high=2000)
    _checks.whole_number(batch_size, "batch_size", "batch_size=64")
    return LearningRateExplorer(model_fn, data, optimizer_name, lr, steps, batch_size)


def gradient_inspector(monitor, filter_grads=None) -> Explorer:
    """Browse what a GradientMonitor recorded: a layer dropdown and a step slider.

    Left: the layer's histogram of log10 |grad| at that step. Right: the gradients of
    the first conv layer's filters at that step when ``filter_grads`` (one
    ``conv1.weight.grad.clone()`` per record) is given, else the layer's mean |grad|
    over all steps with the chosen step marked. A layer keeps its scales at every step
    (counts up to its fullest bin, colours on a symmetric log scale up to the largest filter
    gradient, so small early gradients still show), so steps compare, and dragging the step slider redraws only the bars and the filters.

    Example (notebook 03):
        >>> monitor, conv1_grads = GradientMonitor(), []
        >>> for step in range(3):
        ...     model.zero_grad(); model(x).sum().backward()
        ...     monitor.record(model); conv1_grads.append(model.conv1.weight.grad.clone())
        >>> inspector = gradient_inspector(monitor, filter_grads=conv1_grads)
        >>> inspector.figure.axes[0].get_xlabel()
        'log10 |grad|'
    """
    _checks.monitor_with_records(monitor, "monitor = cu.GradientMonitor(); record it during "
                                 "training; gradient_inspector(monitor)")
    if filter_grads is not None and len(filter_grads) != len(monitor):
        raise ValueError(f"filter_grads has {len(filter_grads)} tensors but the monitor has "
                         f"{len(monitor)} records: they must pair up. Fix: append "
                         "net.conv1.weight.grad.clone() each time you call monitor.record(net).")
    layer = W.Dropdown(options=monitor.names, value=monitor.names[0], description="layer")
    step = _slider(W.IntSlider, "record", "course-step", value=0, min=0, max=len(monitor) - 1)
    hists, edges, means = monitor.histograms, monitor.bin_edges, monitor.mean_abs
    from matplotlib.colors import SymLogNorm

    scale = max((float(g[:, :1].detach().abs().max()) for g in filter_grads or []),
                default=0.0) or 1.0
    figures = {}                          # layer -> (figure, bars, step marker), made once

    def layer_figure(k):
        """The layer's figure on scales fixed over all records; the step's parts animated."""
        fig, (left, right) = new_figure(FULL_WIDTH, 3.6, 1, 2, layout="constrained",
                                        width_ratios=(1, 1) if filter_grads is None else (2, 3))
        centres, width = (edges[:-1] + edges[1:]) / 2, float(edges[1] - edges[0])
        bars = left.bar(centres.tolist(), hists[0, k].tolist(), width=width, color=PALETTE[0])
        left.set(xlabel="log10 |grad|", ylabel="number of elements",
                 ylim=(0, 1.05 * float(hists[:, k].max())))
        if filter_grads is None:
            right.semilogy(monitor.steps, means[:, k].tolist(), color=PALETTE[1])
            marker = right.axvline(monitor.steps[0], color="k", lw=1)
            right.set(title="mean |grad| over training", xlabel="step", ylabel="mean |grad|")
        else:
            show_tiled_filters(fig, right, filter_grads[0][:, :1], "conv1 filter gradients",
                               signed=True, label="gradient (log scale)")
            marker = right.images[0]
            # symmetric log colours: a step whose gradients are 1,000x smaller than the
            # largest still shows, and every step shares the scale, so steps compare
            marker.set_norm(SymLogNorm(linthresh=scale / 1000, vmin=-scale, vmax=scale))
            marker.colorbar.set_ticks([-scale, -scale / 1000, 0, scale / 1000, scale],
                                      labels=[number(-scale), "", "0", "", number(scale)])
        for artist in (*bars, marker, left.title, *left.spines.values(), *right.spines.values()):
            artist.set_animated(True)
        return fig, bars, marker

    def draw(explorer):
        i, k = step.value, monitor.names.index(layer.value)
        if k not in figures:
            figures[k] = layer_figure(k)
        fig, bars, marker = figures[k]
        for bar, height in zip(bars, hists[i, k].tolist()):
            bar.set_height(height)
        fig.axes[0].set_title(f"{layer.value} at step {monitor.steps[i]}")
        if filter_grads is None:
            marker.set_xdata([monitor.steps[i]] * 2)
        else:
            marker.set_data(tile_filters(filter_grads[i][:, :1]))
        return with_alt(fig, f"Histogram of log10 |gradient| of {layer.value} at step "
                             f"{monitor.steps[i]} (mean |grad| {number(means[i, k].item())}), "
                             + ("beside the conv1 filter gradients of that step."
                                if filter_grads is not None else
                                "beside its mean |grad| over all steps."))

    return Explorer("gradient-inspector", [W.HBox([layer, step])], draw, watch=[layer, step])


def backward_stepper(trace) -> Explorer:
    """Step through a recorded backward pass node by node: back / next buttons and a slider.

    trace: what ``cu.trace_backward`` recorded. Each step shows the graph with the node
    that runs, where it sends gradients, the nodes that ran and the .grad filled so far,
    beside the numbers autograd computed (shapes, norms, first values).
    ``.controls`` maps "step", "back" and "next" to the controls.

    Example (notebook 03):
        >>> model.zero_grad(); loss = model(x[:1]).square().mean()
        >>> with cu.trace_backward(loss, model=model) as trace:
        ...     loss.backward()
        >>> stepper = backward_stepper(trace)
        >>> stepper.controls["next"].click(); stepper.figure.alt.split(":")[0]
        'Step 2 of 27 of the backward pass'
    """
    from .backprop import check_trace, step_figure

    trace = check_trace(trace)
    step = _slider(W.IntSlider, "step", "course-step", value=1, min=1, max=len(trace))
    back = W.Button(description="back", icon="step-backward", layout=W.Layout(width="90px"))
    forward = W.Button(description="next", icon="step-forward", layout=W.Layout(width="90px"))
    back.add_class("course-step-back")
    forward.add_class("course-step-next")
    back.on_click(lambda button: setattr(step, "value", max(step.min, step.value - 1)))
    forward.on_click(lambda button: setattr(step, "value", min(step.max, step.value + 1)))
    stepper = Explorer("backward-stepper", [W.HBox([back, step, forward])],
                       lambda explorer: step_figure(trace, step.value), watch=[step])
    stepper.controls = {"step": step, "back": back, "next": forward}
    return stepper
