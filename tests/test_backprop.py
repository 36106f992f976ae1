"""trace_backward: the numbers of each step are autograd's own, from one real backward()."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import course_utils as cu
from conftest import lesson_loss
from course_utils.backprop import RUNNING
from course_utils.widgets import backward_stepper


@pytest.fixture(scope="module")
def traced():
    net, image, target, loss = lesson_loss()
    with cu.trace_backward(loss, model=net) as trace:
        loss.backward()
    return net, image, target, trace


def step_named(trace, name):
    (step,) = [s for s in trace.steps if s.name == name]
    return step


def test_each_parameters_grad_is_what_its_node_received_and_what_was_sent_to_it(traced):
    net, _, _, trace = traced
    for name, p in net.named_parameters():
        assert torch.equal(step_named(trace, f"{name}.grad").received, p.grad), name
        senders = [g for s in trace.steps for where, g in s.sent if where == f"{name}.grad"]
        assert len(senders) == 1 and torch.equal(senders[0], p.grad), name
    # nn.Linear stores its weight transposed in the graph: the t node receives W.grad.T
    assert torch.equal(step_named(trace, "t (fc1.weight)").received, net.fc1.weight.grad.T)


def test_gradients_between_layers_equal_a_separate_autograd_computation(traced):
    """What flows between operations (not only into .grad) matches torch.autograd.grad."""
    net, image, target, trace = traced
    a1 = net.conv1(image)                                   # LeNet's forward, written out
    x = F.max_pool2d(F.relu(net.conv2(F.max_pool2d(F.relu(a1), 2))), 2)
    flat = torch.flatten(x, 1)
    scores = net.fc3(F.relu(net.fc2(F.relu(net.fc1(flat)))))
    loss = nn.MSELoss()(scores, target)
    d_scores, d_flat, d_a1 = torch.autograd.grad(loss, [scores, flat, a1])
    close = dict(rtol=1e-6, atol=1e-10)
    assert torch.allclose(step_named(trace, "MSELoss").sent[0][1], d_scores, **close)
    assert torch.allclose(step_named(trace, "linear #3").received, d_scores, **close)
    assert torch.allclose(step_named(trace, "view").received, d_flat, **close)
    assert torch.allclose(step_named(trace, "conv2d #1").received, d_a1, **close)
    assert not torch.allclose(step_named(trace, "relu #1").received, d_a1, **close)


def test_the_pass_runs_from_the_loss_to_the_first_layer_every_node_once(traced):
    net, _, _, trace = traced
    first = trace[1]
    assert (first.name, first.function) == ("MSELoss", "MseLossBackward0")
    assert torch.equal(first.received, torch.tensor(1.0))          # d loss / d loss
    assert [where for where, _ in first.sent] == ["linear #3", "target"]
    assert first.sent[1][1] is None                                 # the target needs none
    ops = [s.name.split(" #")[0] for s in trace.steps if s.function.endswith("Backward0")
           and not s.name.startswith("t (")]
    assert ops == list(reversed(trace.graph.ops))                   # backwards, each once
    assert len(trace) == 13 + 3 + 10                                # ops, transposes, .grad
    fills = [s.filled for s in trace.steps]
    assert fills[0] == [] and all(a == b[:len(a)] for a, b in zip(fills, fills[1:]))
    assert fills[-1][:2] == ["fc3.bias", "fc3.weight"]             # the last layer first
    assert fills[-1][-2:] == ["conv1.weight", "conv1.bias"]        # the first layer last
    assert sorted(fills[-1]) == sorted(name for name, _ in net.named_parameters())


def test_a_step_says_what_it_receives_and_sends(traced):
    _, _, _, trace = traced
    text = trace.text(2)
    step = trace[2]
    assert text.splitlines()[0] == "step 2 of 26: linear #3 (AddmmBackward0)"
    assert f"receives shape [1, 10], norm {step.received.norm():.4f}" in text
    for where, g in step.sent:
        assert f"sends to {where}: shape {list(g.shape)}, norm {g.norm():.4f}" in text
    assert "relu #4" in text and ".grad filled so far (0 of 10): none" in text
    assert trace.text(len(trace)).count(".grad") >= 2
    assert "conv2d #2" in str(trace) and len(str(trace).splitlines()) == len(trace) + 1


def test_hooks_are_removed_after_the_block():
    net, _, _, loss = lesson_loss(1)
    with cu.trace_backward(loss, model=net) as trace:
        loss.backward(retain_graph=True)
    steps = len(trace)
    loss.backward()                      # a second pass outside the block is not recorded
    assert len(trace) == steps


def test_mistakes_get_a_fix():
    net, _, _, loss = lesson_loss(2)
    with pytest.raises(RuntimeError, match="loss.backward()"):
        with cu.trace_backward(loss, model=net):
            pass                         # forgot to call backward
    loss.backward()
    net2, image, target, _ = lesson_loss(3)
    net2.conv1.bias.grad = torch.zeros(6)
    with pytest.raises(ValueError, match=r"conv1.bias already has a .grad.*zero_grad"):
        cu.trace_backward(nn.MSELoss()(net2(image), target), model=net2)
    with pytest.raises(ValueError, match="no grad_fn"):
        cu.trace_backward(torch.tensor(1.0), model=net)
    with pytest.raises(ValueError, match="trace_backward"):
        cu.plot_backward_steps("trace")


def test_step_numbers_are_checked(traced):
    trace = traced[3]
    for bad in (0, 27, 1.5):
        with pytest.raises(ValueError, match="from 1 to 26"):
            trace[bad]


def running_labels(ax):
    return [t.get_text() for t in ax.texts
            if t.get_bbox_patch() is not None
            and tuple(t.get_bbox_patch().get_facecolor()[:3]) == pytest.approx(
                tuple(int(RUNNING[k:k + 2], 16) / 255 for k in (1, 3, 5)))]


def test_the_strip_highlights_the_node_each_step_runs(traced):
    trace = traced[3]
    fig = cu.plot_backward_steps(trace)
    chosen = [int(ax.get_title().split()[1]) for ax in fig.axes]
    first_fill = next(s.number for s in trace.steps if s.filled)
    assert chosen[0] == 1 and first_fill in chosen and chosen[-1] == len(trace)
    expected = {"MSELoss": "MSELoss", "fc3.bias.grad": "b", "view": "view",
                "conv1.bias.grad": "b"}
    for ax, n in zip(fig.axes, chosen):
        assert running_labels(ax) == [expected.get(trace[n].name, trace[n].name.split(" #")[0])]
    assert "10 of 10 parameters have their .grad" in fig.alt


def test_the_steppers_figure_prints_the_steps_numbers(traced):
    trace = traced[3]
    stepper = backward_stepper(trace)
    stepper.controls["step"].value = 7
    fig = stepper.figure
    assert trace.text(7) in [t.get_text() for t in fig.axes[1].texts]
    assert running_labels(fig.axes[0]) == ["linear"]
