"""The loss surface: its numbers are the model's loss, and the path ends at the trained weights."""
from __future__ import annotations

import pytest
import torch
from torch.nn.utils import vector_to_parameters

import course_utils as cu
from conftest import leaves_random_stream_alone
from course_utils.surface import flat_weights, random_directions


@pytest.fixture(scope="module")
def trained(sample):
    """A LeNet trained for 2 epochs on 512 digits, its path kept every 5 steps (16 steps)."""
    cu.setup(seed=0)
    data = sample.subset(train=512, test=100)
    model = cu.LeNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    weight_path = cu.WeightPath(model, optimizer, every=5)
    cu.fit(model, data, optimizer, epochs=2, batch_size=64, progress=False)
    return model, data, weight_path


@pytest.fixture(scope="module")
def surfaces(trained):
    model, data, weight_path = trained
    return {d: cu.loss_surface(model, data.train, weight_path, directions=d, grid=5, digits=40)
            for d in ("pca", "random")}


def loss_with(model, weights, split):
    """The model's loss on split with these flat weights (the model is left as it was)."""
    model = type(model)()
    vector_to_parameters(weights, model.parameters())
    return cu.evaluate(model, split)[0]


def test_weight_path_keeps_the_start_and_every_fifth_step(trained):
    model, data, weight_path = trained
    assert weight_path.taken == 16 and weight_path.steps == [0, 5, 10, 15]
    assert len(weight_path.weights) == 4 and weight_path.weights[0].shape == (61706,)
    assert not torch.equal(weight_path.weights[0], weight_path.weights[1])


@pytest.mark.parametrize("directions", ["pca", "random"])
def test_the_origin_is_the_trained_models_loss_on_the_same_digits(trained, surfaces, directions):
    model, data, _ = trained
    surface = surfaces[directions]
    expected, _ = cu.evaluate(model, data.train.subset(40))
    assert surface.digits == 40
    assert surface.loss_at_origin == pytest.approx(expected, rel=1e-5)
    assert surface.slice_losses[surface.slice_alphas == 1].item() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("directions", ["pca", "random"])
def test_the_paths_last_point_is_the_origin(trained, surfaces, directions):
    model, _, weight_path = trained
    surface = surfaces[directions]
    assert surface.path[-1].tolist() == [0.0, 0.0]
    assert surface.path_steps == [0, 5, 10, 15, 16]      # the trained weights come last
    assert len(surface.path) == len(weight_path.weights) + 1
    assert surface.path[0].abs().sum() > 0


def test_the_pca_plane_holds_the_paths_main_directions(trained, surfaces):
    model, data, weight_path = trained
    surface = surfaces["pca"]
    trained_w = flat_weights(model)
    offsets = torch.stack(weight_path.weights + [trained_w]) - trained_w
    plane = surface.plane
    assert torch.allclose(plane @ plane.T, torch.eye(2), atol=1e-5)       # orthonormal
    assert torch.allclose(surface.path, offsets @ plane.T, atol=1e-5)     # projections
    assert (surface.path[0] <= 0).all()             # signs chosen so that training goes +x, +y
    assert surface.explained[0] >= surface.explained[1] > 0
    assert sum(surface.explained) <= 1 + 1e-6
    # the grid holds the origin and the whole path
    xs, ys = surface.xs, surface.ys
    assert (xs == 0).sum() == 1 and (ys == 0).sum() == 1
    assert xs[0] < surface.path[:, 0].min() and xs[-1] > surface.path[:, 0].max()
    assert ys[0] < surface.path[:, 1].min() and ys[-1] > surface.path[:, 1].max()


@pytest.mark.parametrize("directions", ["pca", "random"])
def test_a_corner_of_the_plane_is_the_loss_of_those_weights(trained, surfaces, directions):
    model, data, _ = trained
    surface = surfaces[directions]
    a, b = surface.xs[0].item(), surface.ys[-1].item()
    weights = flat_weights(model) + a * surface.plane[0] + b * surface.plane[1]
    expected = loss_with(model, weights, data.train.subset(40))
    assert surface.losses[-1, 0].item() == pytest.approx(expected, rel=1e-5)
    assert surface.losses[-1, 0].item() > surface.loss_at_origin


def test_the_slice_starts_at_the_initial_weights(trained, surfaces):
    model, data, weight_path = trained
    surface = surfaces["pca"]
    start = surface.slice_losses[surface.slice_alphas == 0].item()
    assert start == pytest.approx(loss_with(model, weight_path.weights[0],
                                            data.train.subset(40)), rel=1e-5)
    assert surface.slice_alphas[[0, -1]].tolist() == [-0.25, 1.25]


def test_the_random_plane_is_filter_normalised_and_misses_the_path(trained, surfaces):
    model, _, _ = trained
    surface = surfaces["random"]
    assert torch.equal(surface.plane, random_directions(model, seed=0))
    assert surface.xs.tolist() == surface.ys.tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert sum(surface.explained) < 0.01        # a random plane catches almost none of it


def test_random_directions_are_filter_normalised_and_leave_the_random_stream_alone():
    model = cu.LeNet()
    d = random_directions(model, seed=3)
    assert torch.equal(d, random_directions(model, seed=3))
    assert not torch.equal(d[0], d[1])
    start = 0
    for name, p in model.named_parameters():
        part = d[0, start:start + p.numel()].view(p.shape)
        start += p.numel()
        if p.dim() == 1:
            assert not part.any(), name                    # biases do not move
        else:
            assert torch.allclose(part.flatten(1).norm(dim=1), p.detach().flatten(1).norm(dim=1),
                                  rtol=1e-4), name
    assert leaves_random_stream_alone(lambda: random_directions(model, seed=1))


def test_plot_draws_the_surfaces_path_and_slice(surfaces):
    surface = surfaces["pca"]
    fig = cu.plot_loss_surface(surface)
    plane, line = fig.axes[0], fig.axes[1]   # (fig.axes[2] is the colour bar)
    path = [l for l in plane.lines if len(l.get_xdata()) == len(surface.path)]
    assert path and path[0].get_xdata().tolist() == pytest.approx(surface.path[:, 0].tolist())
    assert line.lines[0].get_ydata().tolist() == pytest.approx(surface.slice_losses.tolist())
    assert f"{surface.loss_at_origin:.4g}" in fig.alt and "5 by 5 grid" in fig.alt
    assert "40 digits" in fig.alt


def test_mistakes_get_a_fix(trained):
    model, data, weight_path = trained
    with pytest.raises(ValueError, match="WeightPath"):
        cu.loss_surface(model, data.train)                 # pca needs the path
    with pytest.raises(ValueError, match=r"one of \('pca', 'random'\)"):
        cu.loss_surface(model, data.train, weight_path, directions="pcs")
    with pytest.raises(ValueError, match="data.train"):
        cu.loss_surface(model, data, weight_path)
    with pytest.raises(ValueError, match="grid"):
        cu.loss_surface(model, data.train, weight_path, grid=2)
    with pytest.raises(ValueError, match="another model"):
        cu.WeightPath(cu.LeNet(), torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="loss_surface"):
        cu.plot_loss_surface({"losses": []})


def test_a_straight_path_still_gets_a_plane(sample):
    """A path along one line has no second direction: the plane still shows it, finite."""
    cu.setup(seed=0)
    model = cu.LeNet()
    weight_path = cu.WeightPath(model, torch.optim.SGD(model.parameters(), lr=0.01))
    trained, step = flat_weights(model), torch.randn(61706, generator=torch.Generator()) * 0.01
    weight_path.weights = [trained + 2 * step, trained + step, trained]
    weight_path.steps = [0, 1, 2]
    surface = cu.loss_surface(model, sample.train, weight_path, grid=3, digits=8)
    assert surface.explained[0] == pytest.approx(1.0, abs=1e-5) and surface.explained[1] < 1e-5
    assert torch.isfinite(surface.plane).all() and torch.isfinite(surface.losses).all()
    assert surface.ys[-1] - surface.ys[0] > 0.1 * (surface.xs[-1] - surface.xs[0])
    assert surface.path[:, 0].tolist() == pytest.approx([-2 * step.norm().item(),
                                                         -step.norm().item(), 0.0], rel=1e-4)
    unmoved = cu.WeightPath(model, torch.optim.SGD(model.parameters(), lr=0.01))
    with pytest.raises(ValueError, match="never moved"):
        cu.loss_surface(model, sample.train, unmoved, directions="random", grid=3, digits=8)


def test_slice_steps_0_keeps_the_path_without_the_slice(trained):
    """Notebook 05's random plane: the path projected on it, no 1-D slice beside it."""
    model, data, weight_path = trained
    surface = cu.loss_surface(model, data.train, weight_path, directions="random", grid=3,
                              digits=8, slice_steps=0)
    assert surface.slice_losses is None and len(surface.path) == len(weight_path.weights) + 1
    fig = cu.plot_loss_surface(surface)
    assert len(fig.axes) == 2 and "training path" in fig.alt and "Right:" not in fig.alt
