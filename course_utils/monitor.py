"""GradientMonitor: per-layer gradient statistics, read from ``p.grad`` (no hooks).
Used in: notebook 03.
"""
import torch
from torch import nn

from . import _checks


class GradientMonitor:
    """Record mean |grad|, max |grad| and a histogram per parameter.

    Call ``record(model)`` after each ``loss.backward()`` (``fit(..., monitor=m)`` does it
    for you). Only every ``every``-th call is recorded (every=10 costs a tenth: benchmarks/).

    Attributes (R records, L parameter tensors, B bins; rows follow ``names``):
        names: parameter names in the model's order (``conv1.weight``, ``conv1.bias``, ...)
        numels: number of elements of each parameter
        steps: R ints, the call count (1, 2, ...) of each record
        mean_abs, max_abs, zero_fraction: R x L float tensors
        histograms: R x L x B tensor of counts
        bin_edges: B + 1 edges in log10 |grad| units

    Example (notebook 03):
        >>> monitor = GradientMonitor()
        >>> net = LeNet(); net(torch.randn(2, 1, 32, 32)).sum().backward()
        >>> monitor.record(net)
        >>> monitor.mean_abs.shape, monitor.names[:2]  # (records, parameter tensors)
        (torch.Size([1, 10]), ['conv1.weight', 'conv1.bias'])
    """

    log10_range = (-10.0, 1.0)

    def __init__(self, bins: int = 30, every: int = 1):
        _checks.whole_number(bins, "bins", "GradientMonitor(bins=30)", low=2)
        _checks.whole_number(every, "every", "GradientMonitor(every=1) records after every backward")
        self.bins, self.every = bins, every
        self.bin_edges = torch.linspace(*self.log10_range, bins + 1)
        self.calls = 0
        self.steps: list[int] = []
        self.names: list[str] = []
        self.numels: list[int] = []
        self.mean_abs = self.max_abs = self.zero_fraction = torch.empty(0, 0)  # R x L each
        self.histograms = torch.empty(0, 0, bins)  # R x L x B

    def record(self, model: nn.Module) -> None:
        """Read the gradients now in ``model``'s parameters (call after loss.backward())."""
        self.calls += 1
        if (self.calls - 1) % self.every:
            return
        grads = {n: p.grad for n, p in model.named_parameters() if p.requires_grad}
        if all(g is None for g in grads.values()):
            raise ValueError("No gradients to record: every parameter's .grad is None. "
                             "Fix: call loss.backward() first, then monitor.record(model).")
        if not self.names:
            self.names = list(grads)
            self.numels = [p.numel() for n, p in model.named_parameters() if n in grads]
        low, high = self.log10_range
        stats, hists = [], []
        for name in self.names:
            grad = grads.get(name)
            if grad is None:  # no gradient this time: marked, not counted as zeros
                stats.append(torch.full((3,), float("nan")))
                hists.append(torch.zeros(self.bins))
                continue
            a = grad.detach().abs().flatten().float()
            stats.append(torch.stack([a.mean(), a.max(), (a == 0).float().mean()]).cpu())
            # log10(0) = -inf: clamped into the first bin, as values above the range into the last
            hists.append(torch.histc(a.log10().clamp_(low, high), self.bins, low, high).cpu())
        row = torch.stack(stats)[None]  # 1 x L x 3: one more row of each statistic
        self.mean_abs, self.max_abs, self.zero_fraction = (
            torch.cat([old.reshape(-1, len(self.names)), row[..., k]])
            for k, old in enumerate((self.mean_abs, self.max_abs, self.zero_fraction)))
        self.histograms = torch.cat([self.histograms.reshape(-1, len(self.names), self.bins),
                                     torch.stack(hists)[None]])
        self.steps.append(self.calls)

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return (f"GradientMonitor({len(self)} records of {len(self.names)} parameter tensors, "
                f"every={self.every}, bins={self.bins})")
