"""The explorers' update logic: change a control programmatically, check the figure's data."""
from __future__ import annotations

import base64
import io
import math
import threading
import types

import numpy as np
import pytest
import torch
from PIL import Image

import course_utils as cu
from conftest import lesson_trace
from course_utils import widgets
from course_utils.machinery.explorer import quick_png
from course_utils.landscapes import FUNCTIONS, trajectory


def lines_data(fig):
    return [(tuple(line.get_xdata()), tuple(line.get_ydata())) for ax in fig.axes for line in ax.lines]


def check_redrawn(explorer, before_png: bytes, before_draws: int):
    assert explorer.draws == before_draws + 1, "one change, one redraw"
    assert explorer.image.value != before_png, "the image shown did not change"


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_explorer_stores_a_static_png_for_headless_runs(sample):
    explorer = widgets.learning_rate_explorer(cu.LeNet, sample, steps=3)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG") and png == explorer.image.value
    assert "course-explorer" in explorer._dom_classes
    assert "course-figure" in explorer.image._dom_classes


# -- optimizer_playground ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def playground():
    return widgets.optimizer_playground("ravine", optimizer_names=["sgd", "adam"], steps=20)


def paths_drawn(fig):
    """The (x, y) polylines with one point per step, as plot_trajectories draws them."""
    return [tuple(line.get_ydata()) for ax in fig.axes for line in ax.lines
            if line.get_visible() and len(line.get_xdata()) > 1]


def test_playground_draws_each_ticked_optimizer_at_the_slider_rate(playground):
    assert list(playground.trajectories) == ["SGD", "Adam"]
    lr = playground.controls["learning rate"].value
    assert lr == pytest.approx(FUNCTIONS["ravine"].lr)
    assert all(t.hparams["lr"] == lr for t in playground.trajectories.values())
    assert paths_drawn(playground.figure) == [
        pytest.approx(t.path[:, 1].tolist()) for t in playground.trajectories.values()]


def test_moving_the_learning_rate_redraws_the_paths(playground):
    png, draws = playground.image.value, playground.draws
    contours = playground.figure.axes[0].collections[:]
    old_sgd = playground.trajectories["SGD"].path
    playground.controls["learning rate"].value = 0.05
    check_redrawn(playground, png, draws)
    assert list(playground.figure.axes[0].collections) == contours, "the contours were drawn again"
    sgd = playground.trajectories["SGD"]
    assert sgd.hparams["lr"] == pytest.approx(0.05) and not torch.equal(sgd.path, old_sgd)
    expected = trajectory("ravine", "sgd", steps=20, lr=0.05).path
    assert torch.allclose(sgd.path, expected)
    assert paths_drawn(playground.figure)[0] == pytest.approx(expected[:, 1].tolist())


def test_ticking_optimizers_and_momentum_changes_the_paths(playground):
    playground.optimizers["nesterov"].value = True
    playground.optimizers["sgd"].value = False
    assert list(playground.trajectories) == ["Nesterov", "Adam"]
    assert len(paths_drawn(playground.figure)) == 2
    playground.controls["momentum"].value = 0.5
    assert playground.trajectories["Nesterov"].hparams["momentum"] == 0.5


def test_choosing_a_function_resets_the_rate_and_draws_once():
    playground = widgets.optimizer_playground("ravine", optimizer_names=["adam"], steps=10)
    ravine, draws = playground.figure, playground.draws
    playground.controls["function"].value = "rosenbrock"
    assert playground.controls["learning rate"].value == pytest.approx(FUNCTIONS["rosenbrock"].lr)
    assert playground.trajectories["Adam"].function == "rosenbrock"
    assert playground.figure.axes[0].get_title() == "rosenbrock"
    assert playground.draws == draws + 1, "one change, one redraw"
    playground.controls["function"].value = "ravine"
    assert playground.figure is ravine, "each function's contours are drawn once"


def test_a_live_redraw_shows_what_a_fresh_figure_shows():
    """Paths move over a kept image of the contours: none of the old paths may remain (the
    dragged image is exactly a fresh figure's live image), at the stored figure's size give
    or take 5 pixels. (Live and stored images are drawn differently, a full savefig against
    a kept background, and differ in a few per cent of their anti-aliased pixels.)"""
    dragged = widgets.optimizer_playground("rosenbrock", optimizer_names=["sgd", "adam"])
    for lr in (0.0005, 0.003, 0.002):
        dragged.controls["learning rate"].value = lr
    fresh = widgets.optimizer_playground("rosenbrock", optimizer_names=["sgd", "adam"], lr=0.002)
    stored = pixels(fresh.image.value)          # the compact PNG of a full draw
    live = pixels(quick_png(fresh.figure))
    assert np.array_equal(pixels(dragged.image.value), live), "an old path is left in the image"
    assert all(abs(a - b) <= 5 for a, b in zip(stored.shape, live.shape)), (stored.shape, live.shape)
    dragged.figure.axes[0].lines[0].set_visible(False)     # a path missing: the test sees it
    hidden = pixels(quick_png(dragged.figure))
    assert shifted_difference(live, hidden, 0, 0) > 0.005, "the test cannot see a missing path"


def shifted_difference(a: np.ndarray, b: np.ndarray, dy: int, dx: int) -> float:
    """The fraction of 3 x 3 pixel blocks that differ clearly between a and b moved by (dy, dx).

    Blocks, not pixels: savefig's tight box may start a fraction of a pixel off, which
    changes every anti-aliased edge a little but moves no line."""
    a = a[max(dy, 0):, max(dx, 0):]
    b = b[max(-dy, 0):, max(-dx, 0):]
    h, w = min(a.shape[0], b.shape[0]) // 3 * 3, min(a.shape[1], b.shape[1]) // 3 * 3
    blocks = lambda x: x[:h, :w].reshape(h // 3, 3, w // 3, 3, -1).mean((1, 3))  # noqa: E731
    return float((np.abs(blocks(a) - blocks(b)).sum(-1) > 60).mean())


def test_requests_during_a_draw_merge_into_one_draw_of_the_latest_values(monkeypatch):
    """While a slider is dragged in a kernel, stale values never queue up."""
    playground = widgets.optimizer_playground("ravine", optimizer_names=["sgd"], steps=10)
    playground.threaded = True                  # as in a kernel: draws on a thread of their own
    rate, real_draw = playground.controls["learning rate"], playground._draw
    drawn, started, release = [], threading.Event(), threading.Event()

    def slow_draw(explorer):
        drawn.append(rate.value)
        started.set()
        release.wait(10)
        return real_draw(explorer)

    monkeypatch.setattr(playground, "_draw", slow_draw)
    rate.value = 0.01
    assert started.wait(10), "the first change started no draw"
    for lr in (0.02, 0.03, 0.04, 0.05):         # arrive while 0.01 is being drawn
        rate.value = lr
    release.set()
    assert playground.wait(10)
    assert drawn == [0.01, 0.05], "stale values were drawn"
    assert playground.trajectories["SGD"].hparams["lr"] == 0.05


def test_the_drawing_thread_ends_when_idle_and_comes_back():
    playground = widgets.optimizer_playground("ravine", optimizer_names=["sgd"], steps=10)
    playground.threaded = True
    for lr in (0.1, 0.2):
        playground.controls["learning rate"].value = lr
        assert playground.wait(10)
        thread = playground._thread
        if thread is not None:
            thread.join(5)
        assert playground._thread is None, "an idle drawing thread stayed"
        assert playground.trajectories["SGD"].hparams["lr"] == lr


def test_playground_without_optimizers_says_what_to_do():
    playground = widgets.optimizer_playground("saddle", optimizer_names=["sgd"], steps=5)
    playground.optimizers["sgd"].value = False
    assert playground.trajectories == {}
    assert "none; tick at least one optimizer" in playground.figure.alt


@pytest.mark.parametrize("kwargs, words", [
    (dict(function="himmelblau"), "function must be one of"),
    (dict(optimizer_names="adagrad"), "optimizer_name must be one of"),
    (dict(optimizer_names=["sgd", "adagrad"]), "optimizer_name must be one of"),
    (dict(lr=-1), "learning rate must be a positive"),
    (dict(steps=1000), "steps must be an int"),
])
def test_playground_explains_bad_input(kwargs, words):
    with pytest.raises(ValueError, match=words):
        widgets.optimizer_playground(**kwargs)


# -- learning_rate_explorer ---------------------------------------------------------------
@pytest.fixture
def lr_explorer(sample):
    return widgets.learning_rate_explorer(cu.LeNet, sample, steps=12)


def press_train(explorer):
    """Click Train and wait for the run's end."""
    explorer.button.click()
    explorer.thread.join(60)


def test_train_button_adds_a_run_at_the_slider_rate(lr_explorer):
    assert lr_explorer.runs == {} and lines_data(lr_explorer.figure) == []
    png = lr_explorer.image.value
    lr_explorer.learning_rate.value = 0.1
    press_train(lr_explorer)
    assert list(lr_explorer.runs) == ["lr=0.1"]
    losses = lr_explorer.runs["lr=0.1"]
    assert len(losses) == 12 and all(math.isfinite(v) for v in losses)
    assert lr_explorer.image.value != png
    (xs, ys), = lines_data(lr_explorer.figure)
    assert list(ys) == pytest.approx(losses)
    assert not lr_explorer.button.disabled


def test_a_run_is_drawn_from_its_second_step_then_five_times_a_second(lr_explorer, monkeypatch):
    clock, drawn = types.SimpleNamespace(now=0.0), []   # drawn: the runs' lengths at each draw
    clock.perf_counter = lambda: clock.now
    monkeypatch.setattr(widgets, "time", clock)
    real_step, real_show = widgets.train_step, lr_explorer._show

    def step_of_an_eighth_of_a_second(*args):       # exact in binary: no rounding
        clock.now += 0.125
        return real_step(*args)

    monkeypatch.setattr(widgets, "train_step", step_of_an_eighth_of_a_second)
    monkeypatch.setattr(lr_explorer, "_show", lambda quick=True: (
        drawn.append([len(v) for v in lr_explorer.runs.values()]), real_show(quick)))
    press_train(lr_explorer)
    assert drawn == [[2], [4], [6], [8], [10], [12], [12]]   # the last: the run's end


def test_a_run_started_from_code_draws_once_at_its_end(lr_explorer, monkeypatch):
    drawn = []
    real_show = lr_explorer._show
    monkeypatch.setattr(lr_explorer, "_show", lambda quick=True: (drawn.append(1), real_show(quick)))
    lr_explorer.train(0.05)                  # a notebook cell starting runs waits for no figure
    assert len(drawn) == 1 and list(lr_explorer.runs) == ["lr=0.05"]


def test_second_run_is_drawn_next_to_the_first(lr_explorer):
    lr_explorer.train(0.01)
    lr_explorer.learning_rate.value = 0.1
    press_train(lr_explorer)
    assert list(lr_explorer.runs) == ["lr=0.01", "lr=0.1"]
    drawn = [ys for _, ys in lines_data(lr_explorer.figure)]
    assert drawn == [pytest.approx(lr_explorer.runs[k]) for k in lr_explorer.runs]
    widths = [line.get_linewidth() for line in lr_explorer.figure.axes[0].lines]
    assert widths[1] > widths[0], "the latest run should stand out"


def test_button_is_disabled_and_ignores_clicks_while_training(lr_explorer, monkeypatch):
    seen, runs_started = [], []
    real_step = widgets.train_step
    real_train = lr_explorer.train

    def counting_train(lr=None, **kwargs):
        runs_started.append(lr)
        return real_train(lr, **kwargs)

    def step_and_click_again(*args):
        seen.append(lr_explorer.button.disabled)
        lr_explorer.button.click()            # a second click during the run
        return real_step(*args)

    monkeypatch.setattr(lr_explorer, "train", counting_train)
    monkeypatch.setattr(widgets, "train_step", step_and_click_again)
    press_train(lr_explorer)
    assert runs_started == [None], "a click during a run started a second run"
    assert seen == [True] * 12
    assert not lr_explorer.button.disabled and not lr_explorer.running


def test_background_run_finishes_and_reenables_the_button(sample):
    explorer = widgets.learning_rate_explorer(cu.LeNet, sample, steps=4)
    explorer.button.click()
    assert explorer.thread is not None, "the click started no run"
    explorer.button.click()                    # ignored: a run is going
    explorer.thread.join(timeout=60)
    assert not explorer.thread.is_alive()
    assert not explorer.running and not explorer.button.disabled
    assert list(explorer.runs) == ["lr=0.05"] and len(explorer.runs["lr=0.05"]) == 4


def test_a_diverged_run_is_marked(lr_explorer, monkeypatch):
    losses_seen = iter([2.3, 5.0, 40.0])

    def diverging_step(*args):
        value = next(losses_seen, None)
        if value is None:
            raise cu.TrainingDiverged("the loss became nan")
        return value

    monkeypatch.setattr(widgets, "train_step", diverging_step)
    losses = lr_explorer.train(10.0)
    assert losses == [2.3, 5.0, 40.0, math.inf]
    # the axis stops at 1.5 x the first loss: the run leaves it at step 2 (5.0), marked there
    assert "lr=10 leaves the top (3.45) at step 2, blew up after 3 steps" in lr_explorer.figure.alt
    markers = [line for line in lr_explorer.figure.axes[0].lines if line.get_marker() == "x"]
    assert len(markers) == 1 and markers[0].get_xydata()[0] == pytest.approx([2, 3.45])
    assert lr_explorer.figure.axes[0].get_ylim()[1] == pytest.approx(3.45)


@pytest.mark.parametrize("kwargs, words", [
    (dict(model_fn=cu.LeNet(), data=None), "fresh model"),
    (dict(model_fn=cu.LeNet, data=[1, 2]), "load_mnist"),
])
def test_learning_rate_explorer_explains_bad_input(kwargs, words):
    with pytest.raises(ValueError, match=words):
        widgets.learning_rate_explorer(**kwargs)


@pytest.mark.parametrize("kwargs, words", [
    (dict(optimizer_name="adagrad"), "optimizer_name must be one of"),
    (dict(lr=0), "learning rate must be a positive"),
    (dict(steps=0), "steps must be an int"),
])
def test_learning_rate_explorer_explains_bad_settings(sample, kwargs, words):
    with pytest.raises(ValueError, match=words):
        widgets.learning_rate_explorer(cu.LeNet, sample, **kwargs)


# -- gradient_inspector ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def recorded():
    """Three training steps of LeNet with the monitor and conv1's gradient after each."""
    torch.manual_seed(0)
    net, monitor, grads = cu.LeNet(), cu.GradientMonitor(bins=20), []
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    x, y = torch.randn(8, 1, 32, 32), torch.arange(8)
    for _ in range(3):
        cu.train_step(net, x, y, opt, monitor=monitor)
        grads.append(net.conv1.weight.grad.clone())
    return monitor, grads


def bar_heights(fig):
    return [patch.get_height() for patch in fig.axes[0].patches]


def test_inspector_step_slider_shows_that_steps_histogram(recorded):
    monitor, grads = recorded
    inspector = widgets.gradient_inspector(monitor, grads)
    k = monitor.names.index(inspector.children[0].children[0].value)
    assert bar_heights(inspector.figure) == monitor.histograms[0, k].tolist()
    png, draws, figure = inspector.image.value, inspector.draws, inspector.figure
    inspector.children[0].children[1].value = 2
    check_redrawn(inspector, png, draws)
    assert inspector.figure is figure, "a new figure for each step: slow to drag"
    assert bar_heights(inspector.figure) == monitor.histograms[2, k].tolist()
    assert "step 3" in inspector.figure.axes[0].get_title()


def test_inspector_layer_dropdown_switches_layer(recorded):
    monitor, grads = recorded
    inspector = widgets.gradient_inspector(monitor, grads)
    layer = inspector.children[0].children[0]
    layer.value = "fc3.weight"
    k = monitor.names.index("fc3.weight")
    assert bar_heights(inspector.figure) == monitor.histograms[0, k].tolist()
    assert sum(bar_heights(inspector.figure)) == monitor.numels[k]


def test_inspector_shows_the_filter_gradients_of_the_chosen_step(recorded):
    monitor, grads = recorded
    inspector = widgets.gradient_inspector(monitor, filter_grads=grads)
    step = inspector.children[0].children[1]
    for i in (0, 2):
        step.value = i
        shown = torch.as_tensor(inspector.figure.axes[1].images[0].get_array().data,
                                dtype=torch.float32)
        assert torch.allclose(shown[:, :5], grads[i][0, 0]), f"filter 0 at record {i}"
        assert torch.allclose(shown[:, 6:11], grads[i][1, 0]), f"filter 1 at record {i}"


def test_inspector_filter_colours_show_gradients_far_smaller_than_the_largest(recorded):
    """A step whose filter gradients are 1,000x below the largest step's is not blank white."""
    monitor, grads = recorded
    small = [g * (1e-3 if i == 0 else 1.0) for i, g in enumerate(grads)]
    inspector = widgets.gradient_inspector(monitor, filter_grads=small)
    image = inspector.figure.axes[1].images[0]
    for i in range(len(small)):
        inspector.children[0].children[1].value = i
        inspector.wait()
        strongest = float(small[i][:, :1].abs().max())
        colour = float(image.norm(strongest))  # 0.5 is the white centre of RdBu_r
        assert colour > 0.6, f"record {i}: its largest gradient {strongest:.1e} shows as white"


def test_inspector_explains_bad_input(recorded):
    monitor, grads = recorded
    with pytest.raises(ValueError, match="expected a GradientMonitor, got LeNet"):
        widgets.gradient_inspector(cu.LeNet(), grads)
    with pytest.raises(ValueError, match="no records"):
        widgets.gradient_inspector(cu.GradientMonitor(), grads)
    with pytest.raises(ValueError, match=r"one tensor per monitor record \(3\), got list"):
        widgets.gradient_inspector(monitor, filter_grads=grads[:1])
    with pytest.raises(ValueError, match="got NoneType"):
        widgets.gradient_inspector(monitor, None)


def test_a_figure_saved_meanwhile_does_not_spoil_the_next_live_image():
    playground = widgets.optimizer_playground("saddle", optimizer_names=["momentum"], steps=30)
    playground.controls["momentum"].value = 0.8
    before = pixels(playground.image.value)
    playground.figure._repr_png_()                # e.g. the figure shown on its own: savefig
    playground.controls["momentum"].value = 0.5
    playground.controls["momentum"].value = 0.8
    assert np.array_equal(pixels(playground.image.value), before)


def test_inspector_keeps_a_layers_scales_so_steps_compare(recorded):
    monitor, grads = recorded
    inspector = widgets.gradient_inspector(monitor, filter_grads=grads)
    left, right = inspector.figure.axes[:2]
    k = monitor.names.index("conv1.weight")
    top = 1.05 * float(monitor.histograms[:, k].max())
    largest = max(float(g[:, :1].abs().max()) for g in grads)
    step = inspector.children[0].children[1]
    for i in (1, 2, 0):
        step.value = i
        assert left.get_ylim() == pytest.approx((0, top))
        assert right.images[0].get_clim() == pytest.approx((-largest, largest))
    moved = pixels(inspector.image.value)      # drawn over the kept image of step 0's figure
    fresh = widgets.gradient_inspector(monitor, filter_grads=grads)
    assert np.array_equal(moved, pixels(quick_png(fresh.figure)))


# -- backward_stepper -------------------------------------------------------------------------
def test_stepper_buttons_walk_the_backward_pass_and_stop_at_its_ends():
    _, trace = lesson_trace()
    stepper = widgets.backward_stepper(trace)
    step, back, forward = (stepper.controls[k] for k in ("step", "back", "next"))
    assert "course-backward-stepper" in stepper._dom_classes
    assert "course-step-next" in forward._dom_classes and "course-step-back" in back._dom_classes
    assert step.value == 1 and stepper.figure.alt.startswith("Step 1 of 26")
    back.click()                                   # nothing before the first step
    assert step.value == 1
    png, draws = stepper.image.value, stepper.draws
    forward.click()
    check_redrawn(stepper, png, draws)
    assert step.value == 2 and trace.text(2) in [t.get_text() for t in stepper.figure.texts
                                                  + stepper.figure.axes[1].texts]
    step.value = len(trace)
    forward.click()                                # nothing after the last
    assert step.value == 26 and "10 of 10 parameters" in stepper.figure.alt
    with pytest.raises(ValueError, match="trace_backward"):
        widgets.backward_stepper(trace.steps)
