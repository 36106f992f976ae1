import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

import course_utils as cu
from course_utils import curves


@pytest.fixture(autouse=True)
def nothing_left_in_pyplot():
    yield
    assert plt.get_fignums() == []   # figures are never registered with pyplot


@pytest.fixture
def net_with_grads():
    torch.manual_seed(0)
    net = cu.LeNet()
    nn.functional.cross_entropy(net(torch.randn(8, 1, 32, 32)), torch.arange(8)).backward()
    return net


def dots(ax, marker):
    """The |grad| values (x) of the dots drawn with this marker ("o": mean, "^": max)."""
    (line,) = [line for line in ax.lines if line.get_marker() == marker]
    return list(line.get_xdata())


def recorded(net):
    monitor = cu.GradientMonitor()
    monitor.record(net)
    return monitor


def test_gradient_flow_bars_equal_the_gradient_statistics(net_with_grads):
    fig = cu.plot_gradient_flow(recorded(net_with_grads))
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    grads = [p.grad.abs() for p in net_with_grads.parameters()]
    assert dots(ax, "o") == pytest.approx([g.mean().item() for g in grads])
    assert dots(ax, "^") == pytest.approx([g.max().item() for g in grads])
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == [n for n, _ in net_with_grads.named_parameters()]
    assert ax.get_yticks()[0] > ax.get_yticks()[-1]                # the first layer on top
    assert ax.get_xscale() == "log"
    assert ax.get_xlim()[1] >= max(g.max().item() for g in grads)   # nothing clipped
    assert "conv1.weight" in fig.alt and "Mean |grad|" in fig.alt


def test_gradient_flow_from_a_monitor_uses_the_last_record(net_with_grads):
    monitor = cu.GradientMonitor()
    monitor.record(net_with_grads)
    for p in net_with_grads.parameters():
        p.grad *= 10
    monitor.record(net_with_grads)
    ax = cu.plot_gradient_flow(monitor).axes[0]
    assert dots(ax, "o") == pytest.approx(monitor.mean_abs[1].tolist())
    assert "step 2" in ax.get_title()


def test_gradient_flow_explains_missing_gradients():
    with pytest.raises(ValueError, match=r"got LeNet. Fix: monitor = cu.GradientMonitor\(\)"):
        cu.plot_gradient_flow(cu.LeNet())
    with pytest.raises(ValueError, match="no records"):
        cu.plot_gradient_flow(cu.GradientMonitor())
    with pytest.raises(ValueError, match="got str"):
        cu.plot_gradient_flow("net")


def test_gradient_histograms_one_heatmap_per_weight_with_a_row_of_exact_zeros(net_with_grads):
    net_with_grads.fc1.weight.grad[:60] = 0                 # as if 60 of fc1's units were off
    monitor = cu.GradientMonitor(bins=16)
    for _ in range(3):
        monitor.record(net_with_grads)
    fig = cu.plot_gradient_histograms(monitor)
    heatmaps = [ax for ax in fig.axes if ax.images and ax.get_title()]
    weights = [n for n in monitor.names if n.endswith("weight")]
    assert [ax.get_title().split("\n")[0] for ax in heatmaps] == [n[:-7] for n in weights]
    zeros = (net_with_grads.fc1.weight.grad == 0).float().mean().item()  # ReLU's and ours
    assert zeros >= 0.5 and monitor.zero_fraction[:, monitor.names.index("fc1.weight")].tolist() \
        == pytest.approx([zeros] * 3)
    assert heatmaps[2].get_title() == f"fc1\n{100 * zeros:.0f}% are 0"
    image = heatmaps[2].images[0].get_array()
    assert image.shape == (17, 3)                         # (zeros + 16 bins) x records
    assert image.sum(0).tolist() == pytest.approx([1.0, 1.0, 1.0])   # fractions of elements
    assert image[0].tolist() == pytest.approx([zeros] * 3)          # the exact-zero row
    assert f"fc1.weight {100 * zeros:.0f}%" in fig.alt
    # empty bins draw as the scale's darkest colour, so the white line above the zero row shows
    empty = heatmaps[2].images[0].to_rgba(np.ma.masked_equal([[0.0]], 0.0))[0, 0]
    (line,) = heatmaps[2].lines
    assert line.get_color() == "white" and empty[3] == 1 and sum(empty[:3]) < 1.0, empty
    with pytest.raises(ValueError, match="GradientMonitor"):
        cu.plot_gradient_histograms(net_with_grads)


def test_loss_curves_accepts_history_dict_and_list():
    h = cu.History(train_loss=[2.0, 1.5, 1.0, 0.8, 0.7], val_loss=[1.2, 0.7], val_acc=[0.5, 0.8],
                   steps_per_epoch=2)                   # 2 epochs, then a step of a third
    fig = cu.plot_loss_curves(h)
    loss_ax, acc_ax = fig.axes
    raw, smooth, val, kept = loss_ax.lines       # kept: the lowest validation loss, filled
    assert list(raw.get_ydata()) == h.train_loss
    assert list(smooth.get_ydata()) == pytest.approx(curves.smoothed(h.train_loss))
    assert list(val.get_xdata()) == [2, 4] and list(val.get_ydata()) == h.val_loss
    assert list(acc_ax.lines[0].get_xdata()) == [2, 4]
    assert list(acc_ax.lines[0].get_ydata()) == [50, 80]
    assert list(kept.get_xdata()) == [4] and list(acc_ax.lines[1].get_ydata()) == [80]
    assert acc_ax.get_ylim() == (40, 100)        # from a round number below the lowest accuracy
    key = ["train loss, each step", "train loss, smoothed", "validation, at the step measured",
           "lowest validation loss: the epoch kept"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == key
    fig = cu.plot_loss_curves({"sgd": h, "adam": cu.History(train_loss=[1.0, 0.5])})
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 7   # raw, smoothed, val per run
    key[2] += " (hollow: one shape per run)"                    # and sgd's kept epoch
    assert [t.get_text() for t in fig.legends[0].get_texts()] == key
    runs = fig.legends[1]                               # which run is which: colour and marker
    assert [t.get_text() for t in runs.get_texts()] == ["sgd", "adam"]
    assert [line.get_marker() for line in runs.get_lines()] == ["o", "v"]
    with pytest.raises(ValueError, match="got str. Fix: history = cu.fit"):
        cu.plot_loss_curves("history")
    with pytest.raises(ValueError, match="got list for 'adam'. Fix"):
        cu.plot_loss_curves({"adam": [1.0, 0.5]})
    with pytest.raises(ValueError, match="empty dict"):
        cu.plot_loss_curves({})


def test_coinciding_validation_points_stay_where_measured_and_all_show():
    h = cu.History(train_loss=[2.0, 1.0, 0.5, 0.4], val_loss=[1.0, 0.5], val_acc=[0.5, 0.8],
                   steps_per_epoch=2)
    fig = cu.plot_loss_curves({"sgd": h, "adam": h})    # equal numbers: the points coincide
    first, second = fig.axes[0].lines[2], fig.axes[0].lines[6]   # each run: raw, smoothed, val, kept
    assert list(first.get_xdata()) == list(second.get_xdata()) == [2, 4]   # no dodging
    assert first.get_marker() != second.get_marker()
    assert first.get_markerfacecolor() == second.get_markerfacecolor() == "none"  # hollow


def test_a_diverging_run_turns_the_loss_axis_to_a_log_scale():
    def losses(*values):
        return cu.History(train_loss=list(values))

    fig = cu.plot_loss_curves({"sgd": losses(2.3, 2.0, 1.5), "adam": losses(2.3, 40.0, 2.2)})
    assert fig.axes[0].get_yscale() == "log" and "log" in fig.axes[0].get_ylabel()
    assert cu.plot_loss_curves(losses(2.3, 4.0, 1.5)).axes[0].get_yscale() == "linear"


def test_show_filters_centres_the_gradient_colormap(net_with_grads):
    w = net_with_grads.conv2.weight
    fig = cu.plot_filters(w, grad=w.grad)
    assert len(fig.axes) == 4                        # weights, gradients and two colorbars
    weights, grads = fig.axes[0].images[0], fig.axes[1].images[0]
    assert weights.get_array().shape == (6 * 6 - 1, 16 * 6 - 1)   # 6 x 16 kernels, 1 px gaps
    vmin, vmax = grads.get_clim()
    assert vmin == -vmax == pytest.approx(-w.grad.abs().max().item())
    assert len(cu.plot_filters(net_with_grads.conv1.weight).axes) == 2
    with pytest.raises(ValueError, match=r"got \(120, 400\). Fix: plot_filters\(net.conv1"):
        cu.plot_filters(net_with_grads.fc1.weight)
    with pytest.raises(ValueError, match=r"got \(6, 1, 5, 5\). Fix: call loss.backward"):
        cu.plot_filters(w, grad=net_with_grads.conv1.weight.grad)


def test_show_digits_marks_wrong_predictions(sample):
    x, y = sample.test.images[:6], sample.test.labels[:6]
    wrong = y.clone()
    wrong[2] = (y[2] + 1) % 10
    fig = cu.plot_digits(x, y, predictions=wrong)
    assert len(fig.axes) == 6
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[2] == f"{int(wrong[2])} (true {int(y[2])})"
    assert titles[0] == str(int(y[0]))
    assert len(cu.plot_digits(x[0], None).axes) == 1
    with pytest.raises(ValueError, match=r"6 images need 6 labels, one class each, got \[0, 0\]. Fix"):
        cu.plot_digits(x, y[:2])
    with pytest.raises(ValueError, match=r"got \(6, 3, 32, 32\). Fix"):
        cu.plot_digits(x.expand(6, 3, 32, 32), y)
    with pytest.raises(ValueError, match=r"predictions, one class each, got \[\[0"):
        cu.plot_digits(x, y, predictions=torch.zeros(6, 10))   # scores, not classes


def test_show_digits_with_nothing_to_show_says_so(sample):
    # a model that gets every test digit right leaves an empty "misclassified" selection
    none = torch.tensor([], dtype=torch.int64)
    fig = cu.plot_digits(sample.test.images[none], sample.test.labels[none], none)
    assert fig.axes == [] and [t.get_text() for t in fig.texts] == ["no digits to show"]
    assert fig._repr_png_().startswith(b"\x89PNG")


def test_confusion_matrix_counts_every_digit_once(sample):
    torch.manual_seed(0)
    net = cu.LeNet()
    fig = cu.plot_confusion_matrix(net, sample.test)
    counts = torch.as_tensor(fig.axes[0].images[0].get_array())
    assert counts.sum() == len(sample.test)
    assert counts.sum(1).tolist() == torch.bincount(sample.test.labels, minlength=10).tolist()
    _, accuracy = cu.evaluate(net, sample.test)
    assert counts.trace().item() / len(sample.test) == pytest.approx(accuracy)
    assert len(fig.axes) == 1 and f"{accuracy:.1%}" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match=r"got list. Fix: plot_confusion_matrix\(model, data.test\)"):
        cu.plot_confusion_matrix(net, [1, 2])


def test_saliency_is_the_input_gradient_and_leaves_model_grads_alone(sample):
    torch.manual_seed(0)
    net = cu.LeNet()
    fig = cu.plot_saliency(net, sample.test.images[:3])
    assert len(fig.axes) == 7                                  # 2 x 3 images and a colour bar
    x = sample.test.images[:1].clone().requires_grad_(True)
    scores = net(x)
    scores[0, scores.argmax()].backward()
    heat = np.asarray(fig.axes[3].images[0].get_array())   # bottom row, first image
    expected = x.grad.abs()[0, 0].numpy()
    np.testing.assert_allclose(heat, expected, rtol=1e-4, atol=1e-4 * expected.max())
    net.zero_grad()
    assert len(cu.plot_saliency(net, sample.test.images[:1]).axes) == 3
    assert all(p.grad is None for p in net.parameters())


def test_figures_render_png_for_jupyter(net_with_grads):
    png = cu.plot_gradient_flow(recorded(net_with_grads))._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 200_000


class Predicts(nn.Module):
    """A model whose prediction for each image is the number in its first pixel."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return nn.functional.one_hot(x[:, 0, 0, 0].long(), 10).float()


def split(pairs):
    """A Split of (true digit, predicted digit) pairs, for Predicts."""
    true, predicted = torch.tensor(pairs).T
    return cu.data.Split(predicted.float().view(-1, 1, 1, 1).expand(-1, 1, 32, 32), true)


def test_alt_texts_say_how_many_mistakes_and_list_every_one():
    right = [(d, d) for d in range(10)] * 5
    alt = cu.plot_confusion_matrix(Predicts(), split(right + [(1, 2), (3, 8), (7, 9)])).alt
    assert "3 different mistakes, each made once" in alt and "1 times" not in alt, alt
    alt = cu.plot_confusion_matrix(Predicts(), split(right + [(1, 2), (4, 9), (4, 9)])).alt
    assert "the most frequent mistake is a 4 taken for a 9 (2 times)" in alt, alt
    labels, predictions = list(range(10)), [(d + 1) % 10 for d in range(10)]  # all 10 wrong
    alt = cu.plot_digits(torch.zeros(10, 1, 32, 32), labels, predictions).alt
    assert alt.count(" for a ") == 10 and "10 wrong" in alt, alt
