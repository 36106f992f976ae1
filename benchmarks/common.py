"""What every benchmark shares: side-by-side timing, the textbook pipeline, a bare loop, goals.

Measurements of one comparison run in one process and interleave (A, B, A, B, ...),
so a noisy, shared machine slows both sides alike; we report medians and ratios.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import torch
import torch.nn.functional as F

import course_utils as cu
from course_utils.data import SAMPLE_TEST_EVERY, VAL_EVERY, load_sample_pixels, spread

REPO = Path(__file__).resolve().parent.parent

# The optimizer and batch size of every training benchmark (course_utils.make_optimizer
# names; "momentum" is SGD with momentum 0.9), chosen by batch_size.py (see README.md).
OPTIMIZER, LR, BATCH = "momentum", 0.05, 64


@dataclass(frozen=True)
class Budget:
    """How much work each benchmark does: the full run or a smoke test."""

    epochs: int = 3          # passes over the training digits per run
    repeats: int = 5         # runs of each side, interleaved
    n_train: int = 3500      # training digits (the embedded sample has 3,500)


FULL, QUICK = Budget(), Budget(epochs=1, repeats=1, n_train=256)
SAMPLE_SIZE = 5000  # digits in the embedded sample


@dataclass(frozen=True)
class Goal:
    """One line of the final summary: what was measured against what the issue asks."""

    name: str
    measured: str
    target: str
    passed: bool

    def line(self) -> str:
        return f"  {'PASS' if self.passed else 'MISS'}  {self.name}: {self.measured} (goal {self.target})"


def interleave(candidates: dict[str, Callable[[int], dict]], repeats: int) -> dict[str, list[dict]]:
    """Run each candidate(run_index) in turn, repeats times: A0 B0 A1 B1 ... ; collect results."""
    results: dict[str, list[dict]] = {name: [] for name in candidates}
    for run in range(repeats):
        for name, candidate in candidates.items():
            results[name].append(candidate(run))
    return results


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def paired_ratio(a: list[dict], b: list[dict], key: str = "samples_per_s") -> float:
    """Median over repetitions of a[i] / b[i]: runs side by side share the machine's mood."""
    return statistics.median(x[key] / y[key] for x, y in zip(a, b))


def show_runs(title: str, results: dict[str, list[dict]], key: str = "samples_per_s") -> None:
    """Print one line per candidate: median samples/s, accuracy, and every run."""
    print(title)
    width = max(map(len, results)) + 2
    for name, runs in results.items():
        acc = f"  val acc {100 * median(runs, 'accuracy'):5.1f}%" if "accuracy" in runs[0] else ""
        each = " ".join(f"{r[key]:,.0f}" for r in runs)
        print(f"    {name:<{width}} median {median(runs, key):>9,.0f} samples/s{acc}   runs: {each}")


def course_data(budget: Budget) -> cu.MNIST:
    """The embedded digits with budget.n_train training digits spread over all classes."""
    return cu.load_mnist(source="sample", verbose=False).subset(train=budget.n_train)


def new_model(seed: int, optimizer: str = OPTIMIZER, lr: float = LR
              ) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    """LeNet with seeded weights and its optimizer (the benchmarks' default settings)."""
    torch.manual_seed(seed)
    model = cu.LeNet()
    return model, cu.make_optimizer(optimizer, model.parameters(), lr=lr)


def timed_fit(data: cu.MNIST, budget: Budget, batch_size: int = BATCH,
              extras: Callable[[], dict] = dict, optimizer: str = OPTIMIZER,
              lr: float = LR) -> Callable:
    """A candidate: train a fresh LeNet with course_utils.fit; samples/s and final validation accuracy.

    extras() gives more keyword arguments for fit, made fresh for each run (live=, monitor=).
    """
    def run(seed: int) -> dict:
        model, step_rule = new_model(seed, optimizer, lr)
        kwargs = extras()
        start = time.perf_counter()
        history = cu.fit(model, data, step_rule, budget.epochs, batch_size=batch_size,
                         progress=False, seed=seed, **kwargs)
        seconds = time.perf_counter() - start
        return {"samples_per_s": history.samples / seconds, "accuracy": history.val_acc[-1]}
    return run


def hand_loop(train_loader: Callable[[int], Iterable], val_batches: Callable[[], Iterable],
              budget: Budget) -> Callable:
    """A candidate: the PyTorch examples' loop written out by hand over any batches.

    train_loader(seed) is made once per run and yields (images, labels) each epoch, in
    a new order each time (a DataLoader with a seeded generator, as fit draws them);
    val_batches() too; the loop trains, then measures validation accuracy after every
    epoch, as fit does.
    """
    def run(seed: int) -> dict:
        model, optimizer = new_model(seed)
        loader = train_loader(seed)
        samples, start = 0, time.perf_counter()
        for epoch in range(budget.epochs):
            model.train()
            for x, y in loader:
                optimizer.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                optimizer.step()
                samples += len(y)
            model.eval()
            correct = total = 0
            with torch.no_grad():
                for x, y in val_batches():
                    correct += (model(x).argmax(1) == y).sum().item()
                    total += len(y)
        seconds = time.perf_counter() - start
        return {"samples_per_s": samples / seconds, "accuracy": correct / total}
    return run


def seeded_loader(dataset, seed: int, batch_size: int = BATCH, workers: int = 0):
    """DataLoader(shuffle=True) with a generator seeded once: the batch order fit uses."""
    from torch.utils.data import DataLoader

    return DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=workers,
                      generator=torch.Generator().manual_seed(seed))


def bare_loop(data: cu.MNIST, budget: Budget, batch_size: int = BATCH) -> Callable:
    """The hand-written loop over load_mnist's in-memory tensors (what fit does, minus fit)."""
    from torch.utils.data import TensorDataset

    train = TensorDataset(data.train.images, data.train.labels)
    return hand_loop(lambda seed: seeded_loader(train, seed, batch_size),
                     lambda: data.val.batches(1000), budget)


def idx_bytes(tensor: torch.Tensor) -> bytes:
    """The IDX encoding (MNIST's file format) of uint8 labels (N,) or images (N, 28, 28)."""
    magic = 2049 if tensor.dim() == 1 else 2051
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in tensor.shape)
    return header + tensor.to("cpu").numpy().astype("uint8").tobytes()


def write_raw_cache(root: Path, train, test) -> Path:
    """Write the embedded digits picked by train / test (indices, masks or slices) as the MNIST
    cache load_mnist reads (root/MNIST/raw, extracted IDX files); for tests too."""
    pixels, labels = load_sample_pixels()
    raw = Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, part in (("train", train), ("t10k", test)):
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(idx_bytes(pixels[part]))
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_bytes(labels[part]))
    return Path(root)


def write_torchvision_mnist(root: Path, n_train: int) -> Path:
    """The embedded digits as torchvision's MNIST cache, split as load_mnist splits them
    (every 5th digit held out for testing, one in 8 of the rest for validation), so both
    pipelines train on the same digits; the cache's test files hold the validation digits,
    which both sides measure after each epoch."""
    is_test = torch.arange(SAMPLE_SIZE) % SAMPLE_TEST_EVERY == 0
    train_part = (~is_test).nonzero()[:, 0]
    is_val = torch.zeros(len(train_part), dtype=torch.bool)
    is_val[spread(len(train_part), len(train_part) // VAL_EVERY)] = True
    train = train_part[~is_val]
    return write_raw_cache(root, train[spread(len(train), n_train)], train_part[is_val])


def write_full_size_cache(root: Path, n_train: int = 60_000, n_test: int = 10_000) -> Path:
    """A stand-in for full MNIST in load_mnist's cache: MNIST's sizes and file layout,
    filled with the embedded digits repeated in a seeded order. Its test digits repeat
    training digits: for timings and runs without network, not for accuracy."""
    order = torch.Generator().manual_seed(0)
    train, test = (torch.randperm(n, generator=order) % SAMPLE_SIZE for n in (n_train, n_test))
    return write_raw_cache(root, train, test)


def textbook_loop(root: Path, budget: Budget, workers: int = 0) -> Callable:
    """The PyTorch examples' pipeline: torchvision MNIST, per-item transforms, a DataLoader.

    The loader shuffles with a generator seeded once per run, as fit does: both sides
    then see the same batches, so their validation accuracies compare run by run.
    """
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    transform = transforms.Compose([transforms.ToTensor(), transforms.Pad(2),
                                    transforms.Normalize((0.1307,), (0.3081,))])
    train = datasets.MNIST(str(root), train=True, download=False, transform=transform)
    val = datasets.MNIST(str(root), train=False, download=False, transform=transform)  # see above
    return hand_loop(lambda seed: seeded_loader(train, seed, workers=workers),
                     lambda: DataLoader(val, batch_size=1000), budget)


def pinned_threads(n: int, candidate: Callable) -> Callable:
    """The same candidate run with torch.set_num_threads(n) (the previous count restored)."""
    def run(seed: int) -> dict:
        before = torch.get_num_threads()
        torch.set_num_threads(n)
        try:
            return candidate(seed)
        finally:
            torch.set_num_threads(before)
    return run
