"""Interactive explorers, each an ``Explorer`` (machinery/explorer.py) that keeps its figure and
moves new data into it; CSS classes ``course-*`` name the parts. Used in: notebooks 03 to 05.
"""
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


def _slider(cls, description: str, css: str, *, live: bool = True, **kwargs):
    return cls(description=description, continuous_update=live, _dom_classes=[css],
               style={"description_width": "110px"}, layout=W.Layout(width="420px"), **kwargs)


def _rate_slider(lr: float, low: float, high: float, **kwargs):
    low, high = min(low, math.floor(math.log10(lr))), max(high, math.ceil(math.log10(lr)))
    return _slider(W.FloatLogSlider, "learning rate", "course-learning-rate", value=lr, base=10,
                   min=low, max=high, readout_format=".4f", **kwargs)


def optimizer_playground(function: str = "ravine", *,
                         optimizer_names=("sgd", "momentum", "adam"), lr: float | None = None,
                         steps: int = 50) -> Explorer:
    """Optimizer paths on a 2-D test function; ``.controls``, ``.optimizers`` (name -> checkbox)
    and ``.trajectories`` (label -> Trajectory, the paths drawn last).

    Example (notebook 04):
        >>> playground = optimizer_playground("rosenbrock", lr=0.003)
    """
    from .landscapes import FUNCTIONS, TrajectoryFigure, quick_trajectory

    _checks.one_of(function, tuple(FUNCTIONS), "function", "optimizer_playground('ravine')")
    chosen = [_checks.optimizer_name(name, "optimizer_playground(optimizer_names=['sgd', 'adam'])")
              for name in optimizer_names]
    lr = _checks.learning_rate(FUNCTIONS[function].lr if lr is None else lr,
                               "optimizer_playground(lr=0.01)")
    _checks.whole_number(steps, "steps", "steps=50", low=5, high=300)
    fn = W.Dropdown(options=list(FUNCTIONS), value=function, description="function")
    boxes = {name: W.Checkbox(value=name in chosen, description=OPTIMIZER_LABELS[name],
                              indent=False, layout=W.Layout(width="110px"))
             for name in OPTIMIZER_NAMES}
    rate = _rate_slider(lr, -4, 0.5, step=0.05)
    momentum = _slider(W.FloatSlider, "momentum", "course-momentum", value=0.9, min=0.0, max=0.99,
                       step=0.01)
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

    def new_function(change):             # the function's usual rate, and one redraw
        if math.isclose(rate.value, FUNCTIONS[fn.value].lr):
            playground.request()
        else:
            rate.value = FUNCTIONS[fn.value].lr

    playground = Explorer("optimizer-playground", [W.HBox([fn, *boxes.values()]),
                                                   W.HBox([rate, momentum])],
                          draw, watch=[*boxes.values(), rate, momentum])
    fn.observe(new_function, names="value")
    playground.controls = {"function": fn, "learning rate": rate, "momentum": momentum}
    playground.optimizers = boxes
    return playground


def learning_rate_explorer(model_fn, data, *, optimizer_name: str = "sgd", lr: float = 0.05,
                           steps: int = 100) -> Explorer:
    """Train fresh ``model_fn()``s at the slider's rate; ``.runs``: label -> losses; ``.train(lr)``.

    Example (notebook 05):
        >>> explorer = learning_rate_explorer(cu.LeNet, data)
    """
    _checks.expect(callable(model_fn) and not isinstance(model_fn, torch.nn.Module), "model_fn",
                   "what builds a fresh model", model_fn, "cu.LeNet (the class, not LeNet())")
    _checks.expect(hasattr(getattr(data, "train", None), "batches"), "data",
                   "what load_mnist() returns", data, "data = cu.load_mnist()")
    optimizer_name = _checks.optimizer_name(
        optimizer_name, "learning_rate_explorer(cu.LeNet, data, optimizer_name='sgd')")
    lr = _checks.learning_rate(lr, "learning_rate_explorer(cu.LeNet, data, lr=0.05)")
    _checks.whole_number(steps, "steps", "steps=100", high=2000)
    rate = _rate_slider(lr, -4, 1, step=0.1, live=False)
    button = W.Button(description="Train", icon="play", button_style="primary",
                      _dom_classes=["course-train"])
    runs = {}

    def click() -> None:
        if explorer.running:
            return                       # a second run must not start while one is going
        explorer.running, button.disabled = True, True
        explorer.thread = threading.Thread(target=explorer.train, kwargs={"live": True},
                                           daemon=True)
        explorer.thread.start()

    def train(lr: float | None = None, *, live: bool = False) -> list[float]:
        """The loss of each step of a fresh model_fn(); live: drawn at most 5 times a second."""
        lr = rate.value if lr is None else lr
        label = f"lr={lr:.3g}"
        explorer.running, button.disabled = True, True
        runs.pop(label, None)                  # a rerun at the same rate becomes the latest
        runs[label] = losses = []
        try:
            torch.manual_seed(0)
            model = model_fn()
            opt = make_optimizer(optimizer_name, model.parameters(), lr=lr)
            batches, shown = iter(()), -math.inf
            for step in range(steps):
                batch = next(batches, None)
                if batch is None:
                    batches = iter(data.train.batches(64, shuffle=True, seed=step))
                    batch = next(batches)
                losses.append(train_step(model, *batch, opt))
                if live and step >= 1 and time.perf_counter() - shown >= 0.2:
                    explorer.request()
                    shown = time.perf_counter()
        except TrainingDiverged:
            losses.append(math.inf)            # drawn as an x where it blew up
        finally:
            explorer.request()
            explorer.wait()
            explorer.running, button.disabled = False, False
        return losses

    def draw(explorer):
        shown = [(label, [v for v in losses if math.isfinite(v)], len(losses))
                 for label, losses in list(runs.items())]      # a snapshot: training goes on
        fig, ax = new_figure(7.5, 3.6)
        top = 1.5 * max((finite[0] for _, finite, _ in shown if finite), default=2.0)
        off = [next((i + 1 for i, v in enumerate(finite) if v > top),  # where it leaves the axis
                    len(finite) if len(finite) < n else None) for _, finite, n in shown]
        for k, (label, finite, n) in enumerate(shown):
            newest, colour = k == len(shown) - 1, PALETTE[k % len(PALETTE)]
            ax.plot(range(1, len(finite) + 1), finite, color=colour,
                    label=label + (" (x: off the top)" if off[k] else ""),
                    ls=LINESTYLES[k % len(LINESTYLES)], lw=2.6 if newest else 1.6,
                    zorder=1.9 if newest else 2)
            if off[k]:                   # the axis stops a little above the start: x marks the exit
                ax.plot(off[k], top, "x", ms=12, mew=3, color=colour, clip_on=False)
        if shown:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)  # beside the runs
        seen = [v for (_, f, _), k in zip(shown, off) for v in f[:k - 1 if k else None]]
        ax.set(xlabel="step", ylabel="training loss", yscale="log", xlim=(0, steps),
               ylim=(0.7 * min(seen, default=top / 2), top))
        ax.set_title(f"{steps} steps of {optimizer_name}, batch size 64", pad=14)  # over the x
        ax.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        if not shown:
            return with_alt(fig, "Training loss per step: no run yet; press Train.")
        ends = [label + f" leaves the top ({number(top)}) at step {k}," * bool(k) + (
                f" blew up after {len(finite)} steps" if len(finite) < n else
                f" ends at {number(finite[-1])}" if finite else ": no step yet")
                for (label, finite, n), k in zip(shown, off)]
        return with_alt(fig, f"Training loss per step (log scale) for {len(shown)} "
                             f"learning rates: {'; '.join(ends)}.")

    explorer = Explorer("learning-rate-explorer", [W.HBox([rate, button])], draw, watch=[])
    explorer.runs, explorer.running, explorer.thread, explorer.button = runs, False, None, button
    explorer.train, explorer.click, explorer.learning_rate = train, click, rate
    button.on_click(lambda b: explorer.click())
    return explorer


def gradient_inspector(monitor, filter_grads) -> Explorer:
    """A layer's log10 |grad| histogram and conv1's ``filter_grads`` (one per record) at a step.

    Example (notebook 03):
        >>> gradient_inspector(GradientMonitor(), filter_grads=[])
        Traceback (most recent call last):
        ValueError: The GradientMonitor has no records yet. Fix: ...
    """
    from matplotlib.colors import SymLogNorm

    _checks.monitor_with_records(monitor, "monitor = cu.GradientMonitor(); record it during "
                                 "training; gradient_inspector(monitor, filter_grads)")
    paired = isinstance(filter_grads, (list, tuple)) and len(filter_grads) == len(monitor)
    _checks.expect(paired, "filter_grads", f"one tensor per monitor record ({len(monitor)})",
                   filter_grads, "append net.conv1.weight.grad.clone() at each monitor.record(net)")
    layer = W.Dropdown(options=monitor.names, value=monitor.names[0], description="layer")
    step = _slider(W.IntSlider, "record", "course-step", value=0, min=0, max=len(monitor) - 1)
    hists, edges, means = monitor.histograms, monitor.bin_edges, monitor.mean_abs
    scale = max(float(g[:, :1].detach().abs().max()) for g in filter_grads) or 1.0
    figures = {}                          # layer -> (figure, bars, filter image), made once

    def draw(explorer):
        i, k = step.value, monitor.names.index(layer.value)
        if k not in figures:              # the layer's figure, made at its first draw
            fig, (left, right) = new_figure(FULL_WIDTH, 3.6, 1, 2, layout="constrained",
                                            width_ratios=(2, 3))
            centres, width = (edges[:-1] + edges[1:]) / 2, float(edges[1] - edges[0])
            bars = left.bar(centres.tolist(), hists[0, k].tolist(), width=width, color=PALETTE[0])
            left.set(xlabel="log10 |grad|", ylabel="number of elements",
                     ylim=(0, 1.05 * float(hists[:, k].max())))
            show_tiled_filters(fig, right, filter_grads[0][:, :1], "conv1 filter gradients",
                               signed=True, label="gradient (log scale)")
            image = right.images[0]       # symmetric log colours: 1,000x smaller still shows
            image.set_norm(SymLogNorm(linthresh=scale / 1000, vmin=-scale, vmax=scale))
            image.colorbar.set_ticks([-scale, -scale / 1000, 0, scale / 1000, scale],
                                     labels=[number(-scale), "", "0", "", number(scale)])
            for artist in (*bars, image, left.title, *left.spines.values(), *right.spines.values()):
                artist.set_animated(True)
            figures[k] = fig, bars, image
        fig, bars, image = figures[k]
        for bar, height in zip(bars, hists[i, k].tolist()):
            bar.set_height(height)
        fig.axes[0].set_title(f"{layer.value} at step {monitor.steps[i]}")
        image.set_data(tile_filters(filter_grads[i][:, :1]))
        return with_alt(fig, f"Histogram of log10 |gradient| of {layer.value} at step "
                             f"{monitor.steps[i]} (mean |grad| {number(means[i, k].item())}), "
                             "beside the conv1 filter gradients of that step.")

    return Explorer("gradient-inspector", [W.HBox([layer, step])], draw, watch=[layer, step])


def backward_stepper(trace) -> Explorer:
    """Step through what ``cu.trace_backward`` recorded; ``.controls``: "step", "back", "next".

    Example (notebook 03):
        >>> backward_stepper([])
        Traceback (most recent call last):
        ValueError: trace must be a BackwardTrace, got list. Fix: ...
    """
    from .backprop import _describe, _draw_column, _legend, _sends, check_trace

    trace = check_trace(trace)
    step = _slider(W.IntSlider, "step", "course-step", value=1, min=1, max=len(trace))
    back = W.Button(description="back", icon="step-backward", layout=W.Layout(width="90px"))
    forward = W.Button(description="next", icon="step-forward", layout=W.Layout(width="90px"))
    for button, css, move in ((back, "course-step-back", -1), (forward, "course-step-next", 1)):
        button.add_class(css)
        button.on_click(lambda b, move=move: setattr(step, "value", step.value + move))

    def draw(explorer):                   # the graph column beside the step's numbers
        n, now = step.value, trace[step.value]
        fig, (left, right) = new_figure(7.6, 0.3 * len(trace.graph.chain) + 1.4, 1, 2,
                                        layout="constrained", width_ratios=[1, 1.6])
        _draw_column(left, trace, n)
        right.axis("off")
        right.text(0.0, 1.0, trace.text(n), family="monospace", fontsize=10, va="top",
                   ha="left", transform=right.transAxes)
        _legend(fig)
        return with_alt(fig, f"Step {n} of {len(trace)} of the backward pass: {now.name} "
                             f"({now.function}) receives {_describe(now.received)} and "
                             f"{_sends(now)}; {len(now.filled)} of {len(trace.params)} "
                             "parameters have their .grad filled.")

    stepper = Explorer("backward-stepper", [W.HBox([back, step, forward])], draw, watch=[step])
    stepper.controls = {"step": step, "back": back, "next": forward}
    return stepper
