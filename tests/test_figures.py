"""Every figure the course draws can be read from the back row (issue: figures for every reader).

Each public plotting function (and each explorer's static figure) is drawn on small
data and checked for: alt text, text of at least 10 pt as JupyterLab displays it, no two
text boxes overlapping, no twin y-axes, an opaque background, a label on every axis
that has tick labels, and no two lines of one axes alike in both colour and style.
A plotting function without a case here fails test_every_plotting_function_has_a_case.
"""
from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgba
from matplotlib.text import Text
from PIL import Image

import course_utils as cu
from conftest import lesson_trace
from course_utils import figures, widgets
from course_utils.training import History

EXPLORERS = ("optimizer_playground", "gradient_inspector", "learning_rate_explorer",
             "backward_stepper")


@pytest.fixture(scope="module")
def trained(sample):
    """A LeNet after 60 steps, a monitor of them, its conv1 gradients and a batch."""
    cu.setup(seed=0)
    net, monitor, grads = cu.LeNet(), cu.GradientMonitor(every=20), []
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    for step, (x, y) in zip(range(60), sample.train.batches(64, shuffle=True)):
        cu.train_step(net, x, y, optimizer, monitor=monitor)
        if step % 20 == 0:
            grads.append(net.conv1.weight.grad.clone())
    return net, monitor, grads, (x, y)


def history(final_acc: float, steps: int = 40) -> History:
    losses = [2.3 * 0.95 ** k + 0.05 * (k % 3) for k in range(steps)]
    return History(train_loss=losses, val_loss=[1.0, 0.6], val_acc=[0.7, final_acc],
                   steps_per_epoch=steps // 2)


def live_plot_figure():
    class Screen:
        def update(self, data, raw=True):
            pass

    plot = cu.LivePlot(display=lambda *a, **k: Screen())
    for k in range(30):
        plot.update(train_loss=2.3 * 0.9 ** k)
        if k % 10 == 9:
            plot.update(val_loss=1.0 / (k + 1), val_acc=0.5 + k / 100)
    plot.close()
    return plot.figure


def cases(sample, trained):
    net, monitor, grads, (x, y) = trained
    loss = torch.nn.functional.cross_entropy(net(x[:2]), y[:2])
    return {
        "plot_loss_curves": lambda: cu.plot_loss_curves(
            {"sgd": history(0.91), "momentum": history(0.93), "adam": history(0.92)}),
        "plot_gradient_flow": lambda: cu.plot_gradient_flow(monitor),
        "plot_gradient_histograms": lambda: cu.plot_gradient_histograms(monitor),
        "plot_filters": lambda: cu.plot_filters(net.conv1.weight, grad=True),
        "plot_digits": lambda: cu.plot_digits(x[:16], y[:16], predictions=net(x[:16])),
        "plot_confusion_matrix": lambda: cu.plot_confusion_matrix(net, sample.test),
        "plot_saliency": lambda: cu.plot_saliency(net, x[:4]),
        "plot_graph": lambda: cu.plot_graph(loss, model=net),
        "plot_loss_vs_output": lambda: cu.plot_loss_vs_output(net(x[:1]).detach(), int(y[0])),
        "plot_trajectories": lambda: cu.plot_trajectories(
            "rosenbrock", {n: {"lr": 1e-3} for n in ("sgd", "momentum", "nesterov")},
            steps=100),
        "LivePlot": live_plot_figure,
        "optimizer_playground": lambda: widgets.optimizer_playground("saddle").figure,
        "gradient_inspector": lambda: widgets.gradient_inspector(monitor, grads).figure,
        "learning_rate_explorer": lambda: lr_explorer_figure(sample),
        "plot_backward_steps": lambda: cu.plot_backward_steps(lesson_trace()[1]),
        "backward_stepper": lambda: stepper_figure(),
        "plot_loss_surface": lambda: cu.plot_loss_surface(surface(sample, "pca")),
        "plot_loss_surface (random plane, no slice)": lambda: cu.plot_loss_surface(
            surface(sample, "random")),
    }


def stepper_figure():
    stepper = widgets.backward_stepper(lesson_trace()[1])
    stepper.controls["step"].value = 19          # conv2d #2: three arrows, a long text
    return stepper.figure


def surface(sample, directions):
    cu.setup(seed=0)
    data = sample.subset(train=256, test=64)
    model = cu.LeNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    weight_path = cu.WeightPath(model, optimizer, every=2)
    cu.fit(model, data, optimizer, epochs=1, progress=False)
    return cu.loss_surface(model, data.train, weight_path, directions=directions, grid=5,
                           digits=32, slice_steps=4 if directions == "pca" else 0)


def lr_explorer_figure(sample):
    explorer = widgets.learning_rate_explorer(cu.LeNet, sample, steps=20, background=False)
    for lr in (1e-4, 0.05, 3.0):
        explorer.train(lr)
    return explorer.figure


def plotting_functions() -> set[str]:
    return {n for n in cu.__all__ if n.startswith("plot_")} | {"LivePlot", *EXPLORERS}


def test_every_plotting_function_has_a_case(sample, trained):
    assert {name.split(" (")[0] for name in cases(sample, trained)} == plotting_functions()


# -- the checks ------------------------------------------------------------------------

def undrawn_tick_labels(fig) -> set[int]:
    """Tick labels outside their axis' view: matplotlib keeps them but does not draw them."""
    hidden = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            slack = 1e-9 * max(abs(low), abs(high), 1)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - slack <= tick.get_loc() <= high + slack:
                    hidden |= {id(tick.label1), id(tick.label2)}
    return hidden


def visible_texts(fig) -> list[Text]:
    hidden = undrawn_tick_labels(fig)
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
            and id(t) not in hidden
            and (t.axes is None or t.axes.get_visible())]


def problems(fig) -> list[str]:
    found = []
    if not getattr(fig, "alt", "").strip():
        found.append("no alt text")
    image = Image.open(io.BytesIO(figures.png_bytes(fig, tight=True))).convert("RGBA")
    if np.asarray(image)[..., 3].min() < 255:
        found.append("transparent background")
    if image.width > figures.DISPLAY_PIXELS:
        found.append(f"{image.width} px wide: JupyterLab at 1280 x 720 would shrink it "
                     f"(and its text) to {figures.DISPLAY_PIXELS} px")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # texts below are placed as drawn
    scale = 1.0  # shown at 100 %: the width check above makes sure of it
    texts = visible_texts(fig)
    for t in texts:
        if t.get_fontsize() * scale < 9.95:
            found.append(f"{t.get_text()!r} is {t.get_fontsize() * scale:.1f} pt as displayed")
    boxes = [(t, t.get_window_extent(renderer)) for t in texts]
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        w = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        h = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        if w > 1 and h > 1:
            found.append(f"{a.get_text()!r} overlaps {b.get_text()!r}")
    shown = [ax for ax in fig.axes if ax.get_visible()]
    for a, b in itertools.combinations(shown, 2):
        if np.allclose(a.get_position().bounds, b.get_position().bounds) and (
                a.get_shared_x_axes().joined(a, b) or a.get_shared_y_axes().joined(a, b)):
            found.append("twin axes")
    for ax in shown:
        for axis, label in ((ax.xaxis, ax.get_xlabel()), (ax.yaxis, ax.get_ylabel())):
            ticks = [t for t in axis.get_ticklabels() if t.get_visible() and t.get_text()]
            if ticks and axis.get_visible() and ax.axison and not label.strip():
                found.append(f"an axis with ticks {ticks[0].get_text()!r}... but no label "
                             f"(axes {ax.get_title()!r})")
        seen = {}
        for line in ax.lines:
            if not line.get_visible() or len(line.get_xdata()) < 2:
                continue
            key = (to_rgba(line.get_color(), line.get_alpha()), line.get_linestyle(),
                   line.get_marker())
            if key in seen:
                found.append(f"two lines alike in colour and style in {ax.get_title()!r}: "
                             f"{seen[key]!r} and {line.get_label()!r}")
            seen[key] = line.get_label()
    return found


@pytest.mark.parametrize("name", sorted(plotting_functions())
                         + ["plot_loss_surface (random plane, no slice)"])
def test_figure_reads_from_the_back_row(name, sample, trained):
    fig = cases(sample, trained)[name]()
    found = problems(fig)
    assert not found, f"{name}:\n" + "\n".join(found)


def test_the_checks_catch_what_they_look_for():
    """A deliberately bad figure fails each check (so a passing figure means something)."""
    fig, ax = figures.new_figure(4, 3)
    ax.plot([0, 1], [0, 1], color="C0")
    ax.plot([0, 1], [1, 0], color="C0")
    ax.text(0.5, 0.5, "tiny", fontsize=6)
    ax.text(0.5, 0.5, "on top")
    ax.twinx()
    fig.patch.set_alpha(0)
    found = "\n".join(problems(fig))
    wide, ax = figures.new_figure(12, 2)
    ax.set(xlabel="x", ylabel="y")
    assert any("px wide" in p for p in problems(figures.with_alt(wide, "a wide figure")))
    for words in ("no alt text", "transparent", "6.0 pt", "overlaps", "twin axes",
                  "no label", "alike in colour"):
        assert words in found, words
