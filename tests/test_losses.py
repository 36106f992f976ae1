"""course_utils.losses: the plotted loss curves are the losses computed directly."""
import math

import pytest
import torch
import torch.nn.functional as F

import course_utils as cu


def scores_of_one_image(seed=0):
    return torch.randn(1, 10, generator=torch.Generator().manual_seed(seed)) * 3


def test_cross_entropy_of_equal_scores_is_log_of_the_class_count():
    fig = cu.plot_loss_vs_output(torch.zeros(1, 10), 3)
    curve = fig.axes[0].lines[0]
    middle = abs(torch.as_tensor(curve.get_xdata())).argmin()   # the target's score at 0 too
    assert curve.get_ydata()[middle] == pytest.approx(math.log(10))  # unsure: every class 1/10


@pytest.mark.parametrize("label", [0, 7])
def test_plotted_curves_equal_the_losses_computed_directly(label):
    scores = scores_of_one_image(label)
    values = torch.linspace(-8, 8, 161)
    fig = cu.plot_loss_vs_output(scores, label)
    ce_axes, mse_axes = fig.axes[:2]
    wrong = int(torch.cat([scores[0, :label], torch.tensor([-1e9]), scores[0, label + 1:]])
                .argmax())
    one_hot = F.one_hot(torch.tensor([label]), 10).float()
    for ax, loss in ((ce_axes, lambda s: F.cross_entropy(s, torch.tensor([label]))),
                     (mse_axes, lambda s: F.mse_loss(s, one_hot))):
        curves = [line for line in ax.lines if len(line.get_xdata()) == len(values)]
        assert len(curves) == 2  # the target class's score and the highest wrong one
        for line, index in zip(curves, (label, wrong)):
            assert str(index) in line.get_label()
            expected = []
            for value in values:
                changed = scores.clone()
                changed[0, index] = value
                expected.append(loss(changed).item())
            assert line.get_xdata() == pytest.approx(values.tolist())
            assert line.get_ydata() == pytest.approx(expected, abs=1e-5)
    assert "CrossEntropyLoss" in ce_axes.get_title() and "MSELoss" in mse_axes.get_title()


def test_cross_entropy_keeps_falling_as_the_right_score_grows():
    fig = cu.plot_loss_vs_output(torch.zeros(10), 3)
    right = fig.axes[0].lines[0].get_ydata()
    assert all(a > b for a, b in zip(right, right[1:]))


def test_plot_returns_a_png_figure_not_held_by_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig = cu.plot_loss_vs_output(scores_of_one_image(), 1)
    assert plt.get_fignums() == before
    assert fig._repr_png_().startswith(b"\x89PNG")


@pytest.mark.parametrize("output, label, fix", [
    ([0.1] * 10, 3, "torch.Tensor"),
    (torch.zeros(4, 10), 3, "(1, 10)"),
    (torch.zeros(1, 1, 10), 3, "(1, 10)"),
    (torch.zeros(1, 10, dtype=torch.long), 3, "output.float()"),
    (torch.zeros(1, 10), 10, "label=3"),
    (torch.zeros(1, 10), F.one_hot(torch.tensor(3), 10), "not a one-hot"),
    (torch.zeros(1, 10), 3.0, "not a float"),
])
def test_bad_input_names_the_fix(output, label, fix):
    with pytest.raises(ValueError) as err:
        cu.plot_loss_vs_output(output, label)
    message = str(err.value)
    assert fix in message and ("got" in message or " has " in message)  # says what it got

