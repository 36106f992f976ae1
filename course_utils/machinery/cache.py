"""The MNIST cache on disk: torchvision's files (root/MNIST/raw), checked, written, fetched.

load_mnist (data.py) reads the cache through torchvision; this module decides whether a
cache is complete (``cache_problem``) and whether a folder can hold one (``write_problem``,
checked before any network access), downloads one with a bounded wait (``_download``;
torchvision checks each file's checksum) and writes one from tensors (``write_cache``, for
tests, benchmarks and offline machines). Used in: notebooks 02 to 05 (through load_mnist).
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

import torch

RAW_FILES = {  # IDX file name -> (magic number, bytes per item)
    "train-images-idx3-ubyte": (2051, 28 * 28),
    "train-labels-idx1-ubyte": (2049, 1),
    "t10k-images-idx3-ubyte": (2051, 28 * 28),
    "t10k-labels-idx1-ubyte": (2049, 1),
}


class MNISTCacheError(RuntimeError):
    """The MNIST cache cannot be used or written, with the fix in the message."""


def cache_problem(root: Path) -> str | None:
    """None when root/MNIST/raw holds a complete, consistent MNIST; else what is wrong.

    Checks each IDX file's header and size, and that images and labels agree in number.
    """
    raw = Path(root) / "MNIST" / "raw"
    counts = {}
    for name, (magic, item_bytes) in RAW_FILES.items():
        path = raw / name
        if not path.exists():
            return f"{path} is missing"
        size = path.stat().st_size
        header = 16 if magic == 2051 else 8
        with open(path, "rb") as f:
            head = f.read(header)
        if len(head) < header or int.from_bytes(head[:4], "big") != magic:
            return f"{path} is not an IDX file (bad header)"
        n = int.from_bytes(head[4:8], "big")
        if size != header + n * item_bytes:
            return f"{path} has {size} bytes, expected {header + n * item_bytes} (truncated?)"
        counts[name] = n
    for prefix in ("train", "t10k"):
        if counts[f"{prefix}-images-idx3-ubyte"] != counts[f"{prefix}-labels-idx1-ubyte"]:
            return f"{prefix} images and labels differ in number"
    return None


def idx_bytes(tensor: torch.Tensor) -> bytes:
    """The IDX encoding (MNIST's file format) of uint8 labels (N,) or images (N, 28, 28).

    Example:
        >>> len(idx_bytes(torch.zeros(3, 28, 28, dtype=torch.uint8)))  # 16-byte header
        2368
    """
    magic = 2049 if tensor.dim() == 1 else 2051
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in tensor.shape)
    return header + tensor.to("cpu").numpy().astype("uint8").tobytes()


def write_cache(root, train: tuple[torch.Tensor, torch.Tensor],
                test: tuple[torch.Tensor, torch.Tensor]) -> Path:
    """Write (pixels, labels) pairs as the MNIST cache load_mnist reads (root/MNIST/raw).

    For tests, benchmarks and offline machines: e.g. the embedded digits in MNIST's
    own file layout. Pixels are uint8 N x 28 x 28, labels N class indices.
    """
    raw = Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, (pixels, labels) in (("train", train), ("t10k", test)):
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(idx_bytes(pixels))
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_bytes(labels))
    return Path(root)


WRITE_FIX = ("Fix: pass load_mnist(root='a/folder/you/can/write') or set the COURSE_DATA "
             "environment variable to one; COURSE_OFFLINE=1 uses the embedded sample instead.")


def write_problem(folder: Path) -> str | None:
    """None when files could be created in folder (made if need be); else why not.

    Writes nothing: looks at the deepest part of folder that exists, which must be a
    folder you may write in (a shared, read-only cache is fine to read, not to fill).
    """
    existing = Path(folder)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"you cannot write in {existing}"
    return None


def reachable(urls: list[str], timeout: float) -> bool:
    """True when some url's host accepts a TCP connection within timeout seconds, DNS included.

    All hosts are tried at once in daemon threads, so a dead network costs at most
    ``timeout`` seconds in total, even where DNS itself hangs.
    """
    answered = threading.Event()

    def connect(url):
        parsed = urlparse(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            socket.create_connection((parsed.hostname, port), timeout=timeout).close()
            answered.set()
        except OSError:
            pass

    for url in urls:
        threading.Thread(target=connect, args=(url,), daemon=True).start()
    return answered.wait(timeout)


def _download(root: Path, timeout: float) -> None:
    """Fetch MNIST with torchvision into root; raise ConnectionError when that fails."""
    from torchvision.datasets import MNIST as TorchvisionMNIST

    if not reachable(TorchvisionMNIST.mirrors, timeout):
        raise ConnectionError(f"no MNIST mirror answered within {timeout:g} s")
    shutil.rmtree(Path(root) / "MNIST" / "raw", ignore_errors=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)  # urllib waits this long for each answer
    try:
        for train in (True, False):
            TorchvisionMNIST(str(root), train=train, download=True)
    except Exception as err:  # torchvision raises RuntimeError after trying all mirrors
        raise ConnectionError(f"download failed: {err}") from None
    finally:
        socket.setdefaulttimeout(previous)
    problem = cache_problem(root)
    if problem:
        raise ConnectionError(f"the download is incomplete: {problem}")
