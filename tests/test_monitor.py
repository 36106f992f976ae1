import pytest
import torch
from torch import nn

import course_utils as cu


def backward(model, x, y):
    model.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()


def test_statistics_and_histograms_match_the_gradients():
    torch.manual_seed(0)
    net = cu.LeNet()
    monitor = cu.GradientMonitor(bins=20)
    backward(net, torch.randn(8, 1, 32, 32), torch.arange(8))
    monitor.record(net)
    grads = {n: p.grad for n, p in net.named_parameters()}
    assert monitor.names == list(grads)
    for k, name in enumerate(monitor.names):
        g = grads[name].abs()
        assert monitor.mean_abs[0, k].item() == pytest.approx(g.mean().item(), rel=1e-6)
        assert monitor.max_abs[0, k].item() == pytest.approx(g.max().item(), rel=1e-6)
    # every element lands in exactly one bin: each histogram sums to the parameter count
    assert monitor.histograms.shape == (1, 10, 20)
    assert monitor.histograms[0].sum(1).tolist() == [p.numel() for p in net.parameters()]
    assert monitor.numels == [p.numel() for p in net.parameters()]
    assert len(monitor.bin_edges) == 21


def test_histogram_bins_put_each_value_where_it_belongs():
    layer = nn.Linear(2, 2, bias=False)
    layer.weight.grad = torch.tensor([[0.0, 1e-12], [1e-3, 50.0]])
    monitor = cu.GradientMonitor(bins=11)   # over (-10, 1): one bin per decade
    monitor.record(layer)
    counts = monitor.histograms[0, 0]
    assert counts[0] == 2           # 0 and 1e-12: below the range, first bin
    assert counts[7] == 1           # 1e-3: log10 = -3 -> bin 7
    assert counts[10] == 1          # 50 is above 10: last bin


def test_every_skips_calls_between_records():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Linear(4, 2))
    monitor = cu.GradientMonitor(every=2)
    x, y = torch.randn(5, 3), torch.tensor([0, 1, 0, 1, 1])
    for _ in range(5):
        backward(model, x, y)
        monitor.record(model)
    assert monitor.names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert monitor.steps == [1, 3, 5] and monitor.calls == 5
    assert monitor.mean_abs.shape == (3, 4)
    assert monitor.mean_abs[-1, 0].item() == pytest.approx(model[0].weight.grad.abs().mean().item())


def test_works_with_fit(sample):
    torch.manual_seed(0)
    net = cu.LeNet()
    monitor = cu.GradientMonitor(every=10)
    small = sample.subset(train=640, val=100)
    history = cu.fit(net, small, torch.optim.SGD(net.parameters(), lr=0.01), epochs=1,
                     monitor=monitor, progress=False)
    assert len(history.train_loss) == 10 and monitor.steps == [1]
    assert monitor.calls == 10


def test_errors_name_the_fix():
    with pytest.raises(ValueError, match="loss.backward"):
        cu.GradientMonitor().record(cu.LeNet())
    with pytest.raises(ValueError, match="every=1"):
        cu.GradientMonitor(every=0)


def test_parameters_without_gradients_are_marked_not_counted():
    net = cu.LeNet()
    net.fc3.weight.grad = torch.ones(10, 84)
    monitor = cu.GradientMonitor()
    monitor.record(net)
    row = monitor.names.index("fc3.weight")
    assert monitor.mean_abs[0, row] == 1.0
    others = [k for k in range(10) if k != row]
    assert torch.isnan(monitor.mean_abs[0, others]).all()
    assert monitor.histograms[0, others].sum() == 0
