import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

import course_utils as cu


@pytest.fixture
def lenet_loss():
    torch.manual_seed(0)
    net = cu.LeNet()
    loss = nn.MSELoss()(net(torch.randn(2, 1, 32, 32)), torch.randn(2, 10))
    return net, loss


def test_walker_finds_every_lenet_parameter_exactly_once_in_forward_order(lenet_loss):
    net, loss = lenet_loss
    graph = cu.autograd_graph(loss, model=net)
    assert graph.param_names == [name for name, _ in net.named_parameters()]
    shapes = {n.label: n.shape for n in graph.nodes if n.kind == "param"}
    assert shapes == {name: tuple(p.shape) for name, p in net.named_parameters()}
    assert graph.ops == ["conv2d", "relu", "maxpool2d", "conv2d", "relu", "maxpool2d", "view",
                         "linear", "relu", "linear", "relu", "linear", "MSELoss"]
    # every edge points forward: a node comes after all of its inputs
    assert all(i < j for i, j in graph.edges)
    assert graph.nodes[-1].label == "loss"


def test_print_graph_reads_like_the_lesson(lenet_loss, capsys):
    net, loss = lenet_loss
    cu.print_graph(loss, model=net)
    text = capsys.readouterr().out
    chain = " -> ".join(line.strip().removeprefix("-> ") for line in text.splitlines()[:2])
    assert chain == ("input -> conv2d -> relu -> maxpool2d -> conv2d -> relu -> maxpool2d -> "
                     "view -> linear -> relu -> linear -> relu -> linear -> MSELoss -> loss")
    assert "conv2d #1  <- conv1.weight [6, 1, 5, 5], conv1.bias [6]" in text
    assert "linear #3  <- fc3.weight [10, 84], fc3.bias [10]" in text
    assert "MSELoss #1 <- target" in text
    assert max(len(line) for line in text.splitlines()) <= 88


def test_cross_entropy_shows_its_two_steps_and_unnamed_leaves():
    net = cu.LeNet()
    loss = nn.functional.cross_entropy(net(torch.randn(3, 1, 32, 32)), torch.tensor([1, 2, 3]))
    graph = cu.autograd_graph(loss)
    assert graph.ops[-2:] == ["log_softmax", "NLLLoss"]
    assert len(graph.param_names) == 10 and set(graph.param_names) == {"leaf"}


def test_shared_leaf_and_constants_on_a_tiny_graph():
    holder = nn.Module()
    a = holder.a = nn.Parameter(torch.tensor(2.0))
    c = (a * 3) ** 2 + a
    graph = cu.autograd_graph(c, model=holder)
    assert graph.param_names == ["a"]                       # used twice, one node
    assert [n.label for n in graph.nodes].count("a") == 1
    assert "add #1 <- a" in graph.text()


def test_errors_say_what_and_how_to_fix():
    with pytest.raises(ValueError, match="requires_grad=True"):
        cu.autograd_graph(torch.randn(3))
    with pytest.raises(ValueError, match="leaf"):
        cu.print_graph(torch.randn(3, requires_grad=True))
    with pytest.raises(ValueError, match="got list"):
        cu.autograd_graph([1.0])
    with pytest.raises(ValueError, match="model=net"):
        loss = (torch.randn(3, requires_grad=True) * 2).sum()
        cu.autograd_graph(loss, model=[1])


def test_draw_graph_returns_a_figure_with_one_box_per_node(lenet_loss):
    net, loss = lenet_loss
    graph = cu.autograd_graph(loss, model=net)
    fig = cu.plot_graph(loss, model=net)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    texts = [t.get_text() for t in fig.axes[0].texts]
    labels = [t for t in texts if t]
    assert len(labels) == len(graph.nodes)              # one box per node
    assert texts.count("") == len(graph.edges)          # one arrow per edge
    assert "conv1.weight [6, 1, 5, 5]" in labels
    assert plt.get_fignums() == []                     # pyplot holds nothing to close
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_two_boxes_of_the_graph_overlap(lenet_loss):
    """Each parameter's box stands clear of its neighbour's (conv2.weight's long shape too)."""
    net, loss = lenet_loss
    fig = cu.plot_graph(loss, model=net)
    fig._repr_png_()  # lays the text out
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_bbox_patch().get_window_extent(renderer))
             for t in fig.axes[0].texts if t.get_bbox_patch() is not None]
    assert len(boxes) == len(cu.autograd_graph(loss, model=net).nodes)
    overlapping = [(a, b) for k, (a, box) in enumerate(boxes) for b, other in boxes[k + 1:]
                   if box.overlaps(other)]
    assert not overlapping
    inside = fig.bbox
    assert all(inside.x0 <= box.x0 and box.x1 <= inside.x1 for _, box in boxes), "a box is cut off"
