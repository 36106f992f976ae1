"""Every figure the course draws can be read from the back row (issue: figures for every reader).

Each public plotting function (and each explorer's static figure) is drawn on small
data and checked for: alt text, text of at least 10 pt as JupyterLab displays it, no two
text boxes overlapping, no twin y-axes, an opaque background, a label on every axis
that has tick labels, no two lines of one axes alike in both colour and style, no
colour panel whose scale leaves it one colour, no legend over data and no marker hidden
under another run's marker.
A plotting function without a case here fails test_every_plotting_function_has_a_case.
"""
from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
import torch
from matplotlib.collections import QuadMesh
from matplotlib.colors import to_rgba
from matplotlib.contour import ContourSet
from matplotlib.image import AxesImage
from matplotlib.markers import MarkerStyle
from matplotlib.transforms import Bbox
from matplotlib.text import Text
from PIL import Image

import course_utils as cu
from conftest import lesson_trace
from course_utils import figures, widgets
from course_utils.training import History

# JupyterLab at 1280 x 720, file browser open, shows outputs 848 px wide: a wider PNG is
# shrunk, and its 10 pt text with it
DISPLAY_PIXELS = 840
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
        "plot_filters": lambda: cu.plot_filters(net.conv1.weight, grad=net.conv1.weight.grad),
        "plot_digits": lambda: cu.plot_digits(x[:16], y[:16], predictions=net(x[:16]).argmax(1)),
        "plot_confusion_matrix": lambda: cu.plot_confusion_matrix(net, sample.test),
        "plot_saliency": lambda: cu.plot_saliency(net, x[:4]),
        "plot_graph": lambda: cu.plot_graph(loss, model=net),
        "plot_loss_vs_output": lambda: cu.plot_loss_vs_output(net(x[:1]).detach(), int(y[0])),
        "plot_trajectories": lambda: cu.plot_trajectories(
            "rosenbrock", {n: cu.trajectory("rosenbrock", n, lr=1e-3, steps=100)
                           for n in ("sgd", "momentum", "nesterov")}),
        "plot_trajectories (04's ravine: five paths, losses)": lambda: cu.plot_trajectories(
            "ravine", {n: cu.trajectory("ravine", n, lr=1.0 if n == "adam" else 0.3, steps=30)
                       for n in ("sgd", "momentum", "nesterov", "rmsprop", "adam")},
            show_losses=True),
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
                           digits=32, slice_steps=8 if directions == "pca" else 0)


def lr_explorer_figure(sample):
    explorer = widgets.learning_rate_explorer(cu.LeNet, sample, steps=20)
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


def blank_colour_panels(ax) -> list[str]:
    """Images, meshes and filled contours whose values all map to about one colour.

    Each finite value goes through the artist's own norm and colour map (and alpha, over
    the white background); a panel whose colours differ by under 10 % in every channel
    reads as a blank square (e.g. gradients of 1e-3 on a scale of +-0.33).
    """
    found = []
    for art in [*ax.images, *ax.collections]:
        if not (isinstance(art, (AxesImage, QuadMesh))
                or isinstance(art, ContourSet) and art.filled) or not art.get_visible():
            continue
        values = np.ma.masked_invalid(np.ma.asarray(art.get_array(), dtype=float))
        if values.ndim > 2 or values.count() < 2:      # RGB pictures carry their own colours
            continue
        rgba = art.to_rgba(values.compressed())
        alpha = rgba[:, 3:] * (1.0 if art.get_alpha() is None else art.get_alpha())
        rgb = rgba[:, :3] * alpha + (1 - alpha)
        if (rgb.max(0) - rgb.min(0)).max() < 0.1:
            found.append(f"a blank colour panel in {ax.get_title()!r}: its {values.count()} "
                         f"values ({values.min():.3g} to {values.max():.3g}) all show as one "
                         f"colour on its scale ({art.norm.vmin:.3g} to {art.norm.vmax:.3g})")
    return found


def data_lines(ax):
    """The lines drawn in data coordinates (not axhline / axvline), with their pixels."""
    for line in ax.lines:
        if line.get_visible() and len(line.get_xdata()) and \
                line.get_transform().contains_branch(ax.transData):
            xy = line.get_transform().transform(line.get_xydata())
            yield line, xy[np.isfinite(xy).all(1)]


def legends_over_data(fig, ax) -> list[str]:
    """A legend box (inside the axes) that a line or a marker of the data passes under."""
    found = []
    for legend in [ax.get_legend(), *fig.legends]:
        if legend is None or not legend.get_visible():
            continue
        box = Bbox.intersection(legend.get_window_extent(), ax.bbox)
        if box is None:
            continue
        box = box.expanded(1, 1).padded(-1)            # touching the frame is not hiding
        for line, xy in data_lines(ax):
            path = line.get_transform().transform_path(line.get_path())
            crosses = line.get_linestyle() not in ("None", "none", " ", "") and \
                path.intersects_bbox(box, filled=False)
            marked = line.get_marker() not in ("None", "none", " ", "", None) and \
                box.count_contains(xy) > 0
            if crosses or marked:
                found.append(f"the legend of {ax.get_title()!r} lies over the data of "
                             f"{line.get_label()!r}")
    return found


# points spread evenly over the unit disc: where a marker's face is looked for
_DISC = np.array([(r * np.cos(a), r * np.sin(a)) for r in np.linspace(0, 1, 7)[1:]
                  for a in np.linspace(0, 2 * np.pi, 16, endpoint=False)] + [(0.0, 0.0)])


def hidden_markers(ax) -> list[str]:
    """A marker of one line of which less than a quarter shows under later, filled markers.

    Markers are taken as discs: the face a marker shows has the diameter of its size less
    its edge, the face it covers its size plus its edge (the white rim covers too).
    Markers of the same line may overlap (one run's epochs); another run's must not, unless
    it is over twice the size: a start, a minimum or the trained weights, marked on purpose
    over the small dots of a path.
    """
    found, pixels = [], ax.figure.dpi / 72
    box = ax.bbox
    marked = [(line, xy[(xy >= box.p0).all(1) & (xy <= box.p1).all(1)])  # clipped: not drawn
              for line, xy in data_lines(ax)
              if line.get_marker() not in ("None", "none", " ", "", None)]
    order = {id(line): (line.get_zorder(), k) for k, (line, _) in enumerate(marked)}
    for line, xy in marked:
        size, edge = line.get_markersize() * pixels, line.get_markeredgewidth() * pixels
        above = [(other, oxy, (other.get_markersize() * pixels
                               + other.get_markeredgewidth() * pixels) / 2)
                 for other, oxy in marked if order[id(other)] > order[id(line)] and len(oxy)
                 and other.get_markersize() <= 2 * line.get_markersize()
                 and MarkerStyle(other.get_marker()).is_filled()
                 and other.get_markerfacecolor() not in ("none", "None")]
        for centre in xy:
            face = centre + _DISC * max(size - edge, 1) / 2
            shown = np.ones(len(face), bool)
            for other, oxy, radius in above:
                near = np.linalg.norm(face[:, None] - oxy[None], axis=2) < radius
                shown &= ~near.any(1)
                if shown.mean() < 0.25:
                    found.append(f"a marker of {line.get_label()!r} at pixel "
                                 f"({centre[0]:.0f}, {centre[1]:.0f}) is hidden under "
                                 f"{other.get_label()!r} in {ax.get_title()!r}")
                    break
    return found


def problems(fig) -> list[str]:
    found = []
    if not getattr(fig, "alt", "").strip():
        found.append("no alt text")
    image = Image.open(io.BytesIO(figures.png_bytes(fig, tight=True))).convert("RGBA")
    if np.asarray(image)[..., 3].min() < 255:
        found.append("transparent background")
    if image.width > DISPLAY_PIXELS:
        found.append(f"{image.width} px wide: JupyterLab at 1280 x 720 would shrink it "
                     f"(and its text) to {DISPLAY_PIXELS} px")
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
        found += blank_colour_panels(ax) + legends_over_data(fig, ax) + hidden_markers(ax)
    return found


@pytest.mark.parametrize("name", sorted(plotting_functions())
                         + ["plot_loss_surface (random plane, no slice)",
                            "plot_trajectories (04's ravine: five paths, losses)"])
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


def test_the_checks_catch_what_hides_the_data():
    """Past findings: the inspector's filter gradients (about 1e-3) on a scale of +-0.33
    were blank white squares; in 04's loss curves one run's end marker lay under another's."""
    fig, (image, legend, markers) = figures.new_figure(8, 2.5, 1, 3)
    grads = 1e-3 * np.random.default_rng(0).standard_normal((5, 30))
    image.imshow(grads, cmap="RdBu_r", vmin=-0.33, vmax=0.33)
    legend.plot([0, 1], [1, 0], label="a falling line")
    legend.legend(loc="upper left")                  # the line runs under the box...
    legend.plot([0.95], [0.05], "o", label="a point")  # ...and this one does not
    markers.plot([0, 1], [0, 1], "o-", ms=8, label="sgd")
    markers.plot([1], [1], "o", ms=8, label="adam")  # the same end, drawn over sgd's
    markers.plot([0], [0.3], "s", ms=4, label="small, beside")
    for ax in (image, legend, markers):
        ax.set(xlabel="x", ylabel="y")
    found = problems(figures.with_alt(fig, "three bad panels"))
    assert sum("blank colour panel" in p for p in found) == 1, found
    assert [p for p in found if "legend" in p] == [
        "the legend of '' lies over the data of 'a falling line'"], found
    assert [p for p in found if "hidden" in p] == [
        "a marker of 'sgd' at pixel (" + found[-1].split("(")[1].split(")")[0]
        + ") is hidden under 'adam' in ''"], found
    image.images[0].set_clim(-3e-3, 3e-3)            # a scale that fits the values
    assert not blank_colour_panels(image)


def test_an_optimizer_keeps_its_look_from_figure_to_figure():
    """04 draws the optimizers as paths and as loss curves, from dicts of other members and
    orders: each one's colour and line style follow its name, not its place in the dict."""
    paths = cu.plot_trajectories("ravine", {n: cu.trajectory("ravine", n, lr=0.1, steps=5)
                                            for n in ("adam", "sgd", "nesterov")})
    curves = cu.plot_loss_curves({"nesterov": history(0.9), "rmsprop": history(0.9),
                                  "adam": history(0.9), "mine": history(0.9)})
    path_look = {line.get_label().split(" (")[0]: (line.get_color(), line.get_linestyle())
                 for line in paths.axes[0].lines if line.get_visible() and "(lr" in line.get_label()}
    curve_look = {line.get_label(): (line.get_color(), line.get_linestyle())
                  for line in curves.axes[1].lines}
    assert set(path_look) == {"adam", "sgd", "nesterov"}
    for name in ("adam", "nesterov"):
        assert path_look[name] == curve_look[name], name
    assert len({colour for colour, _ in curve_look.values()}) == 4   # "mine" takes a free one
    playground = widgets.optimizer_playground("ravine", optimizer_names=["adam"])
    [adam] = [line for line in playground.figure.axes[0].lines if line.get_label().startswith("Adam")]
    assert adam.get_color() == path_look["adam"][0]
