"""GradientMonitor: per-layer gradient statistics recorded after each backward.

It reads ``p.grad`` after ``loss.backward()``; it installs no backward hooks (full
backward hooks break on in-place operations such as ``relu(inplace=True)``). To
list the layers in the order the forward pass runs them, it watches the next
forward call with cheap forward pre-hooks, then removes them.

Used in: notebook 03 (recorded by hand in a short loop; ``fit(..., monitor=m)`` records too).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import _checks


class GradientMonitor:
    """Record mean |grad|, max |grad|, the gradient norm and a histogram per parameter.

    Call ``record(model)`` after each ``loss.backward()`` (``fit(..., monitor=m)``
    does it for you). Only every ``every``-th call is recorded: every=1 for a
    hand-written loop of a few dozen steps (notebook 03); for whole runs with fit,
    every=10 still gives one column per 10 steps at a tenth of the cost (a record
    takes about 0.6 ms against about 10 ms for a LeNet step; see benchmarks/).

    The histogram counts log10 |grad| in ``bins`` fixed bins over ``log10_range``;
    smaller values (zeros included) go into the first bin and larger ones into the
    last, so each histogram sums to the parameter's number of elements.

    Attributes (R records, L parameter tensors, B bins; rows follow ``names``):
        names: parameter names in forward order (``conv1.weight``, ``conv1.bias``, ...)
        numels: number of elements of each parameter
        steps: R ints, the call count (1, 2, ...) of each record
        mean_abs, max_abs, norm, zero_fraction: R x L float tensors
        histograms: R x L x B tensor of counts
        bin_edges: B + 1 edges in log10 |grad| units

    Example (notebook 03):
        >>> monitor = GradientMonitor()
        >>> net = LeNet(); net(torch.randn(2, 1, 32, 32)).sum().backward()
        >>> monitor.record(net)
        >>> monitor.mean_abs.shape        # (records, parameter tensors)
        torch.Size([1, 10])
    """

    def __init__(self, bins: int = 30, every: int = 1, log10_range: tuple[float, float] = (-10.0, 1.0)):
        _checks.whole_number(bins, "bins", "GradientMonitor(bins=30)", low=2)
        _checks.whole_number(every, "every", "GradientMonitor(every=1) records after every backward")
        low, high = log10_range
        if not low < high:
            raise ValueError(f"log10_range must be (low, high) with low < high, got "
                             f"{log10_range!r}. Fix: log10_range=(-10, 1).")
        self.bins, self.every, self.log10_range = bins, every, (float(low), float(high))
        self.bin_edges = torch.linspace(low, high, bins + 1)
        self.calls = 0
        self.steps: list[int] = []
        self._keys: list[str] = []      # names in the order of the stored rows
        self._order: list[int] = []     # row indices in forward order
        self._numels: list[int] = []
        self._stats: list[torch.Tensor] = []   # per record: L x 4 (mean, max, norm, zeros)
        self._hists: list[torch.Tensor] = []   # per record: L x B
        self._hooks: list = []
        self._row_offsets: np.ndarray | None = None  # histogram row of each element

    # -- recording -------------------------------------------------------------------
    def record(self, model: nn.Module) -> None:
        """Read the gradients now in ``model``'s parameters (call after loss.backward()).

        Example (notebook 03):
            >>> net = LeNet(); monitor = GradientMonitor()
            >>> net(torch.randn(2, 1, 32, 32)).sum().backward(); monitor.record(net)
            >>> monitor.names[:2]
            ['conv1.weight', 'conv1.bias']
        """
        if not isinstance(model, nn.Module):
            raise ValueError(f"record expects the model (an nn.Module), got "
                             f"{type(model).__name__}. Fix: monitor.record(model) after "
                             "loss.backward().")
        self.calls += 1
        if (self.calls - 1) % self.every:
            return
        named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        if all(p.grad is None for _, p in named):
            raise ValueError("No gradients to record: every parameter's .grad is None. "
                             "Fix: call loss.backward() first, then monitor.record(model).")
        if not self._keys:
            self._keys = [n for n, _ in named]
            self._numels = [p.numel() for _, p in named]
            self._order = list(range(len(named)))
            self._watch_forward_order(model)
        grads = dict(named)
        tensors = [grads[k].grad if k in grads else None for k in self._keys]
        missing = [g is None for g in tensors]
        device = next(p.grad for _, p in named if p.grad is not None).device
        flat = torch.cat([torch.zeros(n, device=device) if g is None else
                          g.detach().reshape(-1).float() for g, n in zip(tensors, self._numels)])
        stats, hists = self._summarise(flat.abs_())  # flat is ours: in place is safe
        if any(missing):
            gone = torch.tensor(missing)
            stats[gone], hists[gone] = float("nan"), 0
        self._stats.append(stats)
        self._hists.append(hists)
        self.steps.append(self.calls)

    def _summarise(self, a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """|grad| of all parameters, concatenated -> (L x 4 stats, L x B counts) on the CPU.

        One pass over all elements in NumPy (its log10 is several times faster than
        torch's on the CPU): per-tensor sums and maxima by reduceat, and the histogram
        bin of each element, offset by its tensor's row, counted by a single bincount.
        """
        x = a.cpu().numpy()
        if self._row_offsets is None:
            self._starts = np.cumsum([0, *self._numels[:-1]])
            self._row_offsets = np.repeat(np.arange(len(self._numels)) * self.bins,
                                          self._numels)
        numels = np.asarray(self._numels)
        stats = np.stack([np.add.reduceat(x, self._starts) / numels,
                          np.maximum.reduceat(x, self._starts),
                          np.sqrt(np.add.reduceat(x * x, self._starts, dtype=np.float64)),
                          np.add.reduceat(x == 0, self._starts) / numels], 1)
        low, high = self.log10_range
        np.maximum(x, 10.0 ** low, out=x)
        np.log10(x, out=x)
        x -= low
        x *= self.bins / (high - low)
        np.clip(x, 0, self.bins - 1, out=x)
        index = x.astype(np.int64) + self._row_offsets
        hists = np.bincount(index, minlength=len(self._numels) * self.bins)
        return (torch.from_numpy(stats.astype(np.float32)),
                torch.from_numpy(hists.reshape(-1, self.bins).astype(np.float32)))

    def _watch_forward_order(self, model: nn.Module) -> None:
        """Hook the next forward call once to learn the order the layers run in."""
        seen: list[str] = []
        owners = [(name, m) for name, m in model.named_modules()
                  if any(True for _ in m.parameters(recurse=False))]

        def pre_hook(name):
            return lambda module, args: seen.append(name) if name not in seen else None

        def done(module, args, output):
            self._apply_forward_order(seen)
            for h in self._hooks:
                h.remove()
            self._hooks.clear()

        self._hooks = [m.register_forward_pre_hook(pre_hook(n)) for n, m in owners]
        self._hooks.append(model.register_forward_hook(done))

    def _apply_forward_order(self, modules: list[str]) -> None:
        rank = {name: k for k, name in enumerate(modules)}

        def key(row):
            owner = self._keys[row].rpartition(".")[0]
            return (rank.get(owner, len(rank)), row)

        self._order = sorted(range(len(self._keys)), key=key)

    # -- reading ---------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [self._keys[i] for i in self._order]

    @property
    def numels(self) -> list[int]:
        return [self._numels[i] for i in self._order]

    def _column(self, k: int) -> torch.Tensor:
        if not self._stats:
            return torch.empty(0, len(self._keys))
        return torch.stack(self._stats)[:, self._order, k]

    @property
    def mean_abs(self) -> torch.Tensor:
        return self._column(0)

    @property
    def max_abs(self) -> torch.Tensor:
        return self._column(1)

    @property
    def norm(self) -> torch.Tensor:
        return self._column(2)

    @property
    def zero_fraction(self) -> torch.Tensor:
        """R x L: the share of each tensor's gradient elements that are exactly 0."""
        return self._column(3)

    @property
    def histograms(self) -> torch.Tensor:
        if not self._hists:
            return torch.empty(0, len(self._keys), self.bins)
        return torch.stack(self._hists)[:, self._order]

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return (f"GradientMonitor({len(self)} records of {len(self._keys)} parameter tensors, "
                f"every={self.every}, bins={self.bins})")
