import math

import matplotlib.pyplot as plt
import pytest
import torch

import course_utils as cu
from course_utils import landscapes


def test_functions_have_their_known_minima_and_saddle():
    for name, f in landscapes.FUNCTIONS.items():
        assert f.name == name
        for point in f.minima + ((f.saddle_point,) if f.saddle_point else ()):
            xy = torch.tensor(point, dtype=torch.float64, requires_grad=True)
            f.fn(xy).backward()
            assert xy.grad.abs().max() < 1e-9, name          # gradient 0 at the marked points
    saddle = landscapes.FUNCTIONS["saddle"]
    assert saddle.fn(torch.tensor([0.0, 0.0])) == 0
    assert saddle.fn(torch.tensor([0.0, math.sqrt(2)])).item() == pytest.approx(-1.0)
    grid = torch.zeros(4, 5, 2)
    assert landscapes.FUNCTIONS["rosenbrock"].fn(grid).shape == (4, 5)   # vectorised over a grid


def test_sgd_on_the_ravine_equals_the_closed_form():
    lr, steps = 0.3, 12
    t = cu.trajectory("ravine", "sgd", steps=steps, lr=lr)     # from (-5, -2)
    k = torch.arange(steps + 1, dtype=torch.float64)
    # f = 0.1 x^2 + 2 y^2: x_k = (1 - 0.2 lr)^k x_0, y_k = (1 - 4 lr)^k y_0
    expected = torch.stack([-5.0 * (1 - 0.2 * lr) ** k, -2.0 * (1 - 4 * lr) ** k], 1)
    torch.testing.assert_close(t.path, expected)
    torch.testing.assert_close(t.losses, 0.1 * expected[:, 0] ** 2 + 2 * expected[:, 1] ** 2)
    assert not t.diverged


def grad_of(f, p):
    p = p.clone().requires_grad_(True)
    f.fn(p).backward()
    return p.grad


def test_momentum_and_adam_match_a_hand_written_update():
    f = landscapes.FUNCTIONS["rosenbrock"]
    start, lr, steps = torch.tensor([-1.5, 2.0], dtype=torch.float64), 1e-3, 5
    p, v = start.clone(), torch.zeros(2, dtype=torch.float64)
    path = [p]
    for _ in range(steps):
        v = 0.9 * v + grad_of(f, p)                      # torch's SGD momentum
        p = p - lr * v
        path.append(p)
    got = cu.trajectory("rosenbrock", "momentum", steps=steps, lr=lr, momentum=0.9)
    torch.testing.assert_close(got.path, torch.stack(path))

    lr, (b1, b2), eps = 0.05, (0.9, 0.999), 1e-8
    p, m, s = start.clone(), torch.zeros(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
    path = [p]
    for t in range(1, steps + 1):
        g = grad_of(f, p)
        m, s = b1 * m + (1 - b1) * g, b2 * s + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / ((s / (1 - b2 ** t)).sqrt() + eps)
        path.append(p)
    got = cu.trajectory("rosenbrock", "adam", steps=steps, lr=lr)
    torch.testing.assert_close(got.path, torch.stack(path))


def test_trajectory_rejects_bad_input():
    with pytest.raises(ValueError, match="one of"):
        cu.trajectory("ravine", "lbfgs")
    with pytest.raises(TypeError, match="learning_rate"):
        cu.trajectory("ravine", "sgd", learning_rate=0.1)
    with pytest.raises(ValueError, match="'ravine'.*got 'himmelblau'"):
        cu.trajectory("himmelblau")


def test_divergence_is_reported_not_hidden():
    t = cu.trajectory("ravine", "sgd", steps=40, lr=0.6)     # 1 - 4 lr = -1.4: y blows up
    assert t.losses[-1] > t.losses[0]
    fig = cu.plot_trajectories("ravine", {"big step": t})
    assert "big step (lr 0.6)" in [x.get_text() for x in fig.axes[0].get_legend().get_texts()]


def test_a_run_that_overflows_stops_and_says_so():
    t = cu.trajectory("rosenbrock", "sgd", steps=300, lr=0.1)  # inf within a few steps
    assert t.diverged and t.path.shape == (301, 2) and t.losses.shape == (301,)
    stopped = int(torch.isfinite(t.losses).sum())
    assert 0 < stopped < 20 and torch.isnan(t.path[-1]).all() and torch.isnan(t.losses[-1])
    assert "diverged" in cu.plot_trajectories("rosenbrock", {"sgd": t}).alt


def test_plot_trajectories_draws_one_path_per_run():
    runs = {"sgd": cu.trajectory("ravine", "sgd", steps=10, lr=0.3),
            "momentum": cu.trajectory("ravine", "momentum", steps=10, lr=0.3, momentum=0.5),
            "mine": cu.trajectory("ravine", "adam", steps=10, lr=0.5)}
    fig = cu.plot_trajectories("ravine", runs)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    paths = [line for line in ax.lines if len(line.get_xdata()) > 1]
    assert len(paths) == 3
    assert list(paths[0].get_xdata()) == cu.trajectory("ravine", "sgd", steps=10,
                                                       lr=0.3).path[:, 0].tolist()
    assert len(ax.collections) > 0                            # the contours
    assert len(cu.plot_trajectories("saddle", {"sgd": runs["sgd"]}, show_losses=True).axes) == 2
    with pytest.raises(ValueError, match="got list.*Fix"):
        cu.plot_trajectories("ravine", ["sgd"])
    assert plt.get_fignums() == []


@pytest.mark.parametrize("name", list(landscapes.FUNCTIONS))
def test_gradient_formulas_match_autograd(name):
    f = landscapes.FUNCTIONS[name]
    for point in torch.rand(5, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 4 - 2:
        torch.testing.assert_close(torch.tensor(f.grad(*point.tolist()), dtype=torch.float64),
                                   grad_of(f, point))


@pytest.mark.parametrize("name", list(landscapes.FUNCTIONS))
def test_quick_trajectory_is_the_torch_optim_path(name):
    """The playground's fast paths are torch.optim's, for every optimizer and surface."""
    for optimizer_name in ("sgd", "momentum", "nesterov", "rmsprop", "adam"):
        real = cu.trajectory(name, optimizer_name, steps=60, momentum=0.8)
        quick = landscapes.quick_trajectory(name, optimizer_name, steps=60, momentum=0.8,
                                            lr=landscapes.FUNCTIONS[name].lr)
        torch.testing.assert_close(quick.path, real.path, rtol=1e-9, atol=1e-12)
        torch.testing.assert_close(quick.losses, real.losses, rtol=1e-9, atol=1e-12)
        assert quick.hparams == real.hparams and quick.optimizer_name == optimizer_name
    for optimizer_name in ("sgd", "momentum"):       # and diverges where torch.optim does
        assert landscapes.quick_trajectory("rosenbrock", optimizer_name, steps=40, lr=0.05,
                                           momentum=0.9).diverged


def test_a_trajectory_figure_moves_its_paths_and_hides_the_rest():
    figure = landscapes.TrajectoryFigure("saddle", lines=3)
    contours = list(figure.ax.collections)
    runs = {name: cu.trajectory("saddle", name, steps=8) for name in ("sgd", "adam")}
    figure.show(runs)
    figure.show({"Adam": runs["adam"]})
    assert list(figure.ax.collections) == contours
    assert [line.get_visible() for line in figure.paths] == [True, False, False]
    assert list(figure.paths[0].get_ydata()) == runs["adam"].path[:, 1].tolist()
    assert [t.get_text() for t in figure.ax.get_legend().get_texts()] == [
        "Adam (lr 0.05)", "start", "end of a path", "minima (the valleys)", "saddle point"]
