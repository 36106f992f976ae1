"""The MNIST cache on disk (torchvision's files in root/MNIST/raw): checked and fetched.
Used in: notebooks 02 to 05 (load_mnist).
"""
import contextlib
import os
import shutil
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

RAW_FILES = {  # IDX file name -> (magic number, header bytes, bytes per item)
    "train-images-idx3-ubyte": (2051, 16, 28 * 28),
    "train-labels-idx1-ubyte": (2049, 8, 1),
    "t10k-images-idx3-ubyte": (2051, 16, 28 * 28),
    "t10k-labels-idx1-ubyte": (2049, 8, 1),
}
WRITE_FIX = ("Fix: pass load_mnist(root='a/folder/you/can/write') or set the COURSE_DATA "
             "environment variable to one; COURSE_OFFLINE=1 uses the embedded sample instead.")


class MNISTCacheError(RuntimeError):
    """The MNIST cache cannot be used or written, with the fix in the message."""


def cache_problem(root: Path) -> str | None:
    """None when root/MNIST/raw holds a complete MNIST (headers, sizes, counts), else why not."""
    counts = []
    for name, (magic, header, item_bytes) in RAW_FILES.items():
        path = Path(root) / "MNIST" / "raw" / name
        if not path.exists():
            return f"{path} is missing"
        with open(path, "rb") as f:
            head = f.read(header)
        if len(head) < header or int.from_bytes(head[:4], "big") != magic:
            return f"{path} is not an IDX file (bad header)"
        size, expected = path.stat().st_size, header + int.from_bytes(head[4:8], "big") * item_bytes
        if size != expected:
            return f"{path} has {size} bytes, expected {expected} (truncated?)"
        counts.append(int.from_bytes(head[4:8], "big"))
    if counts[0] != counts[1] or counts[2] != counts[3]:
        return f"{'train' if counts[0] != counts[1] else 't10k'} images and labels differ in number"
    return None


def write_problem(folder: Path) -> str | None:
    """None when files could be created in folder (made if need be), else why not."""
    existing = Path(folder)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"you cannot write in {existing}"
    return None


def reachable(urls: list[str], timeout: float) -> bool:
    """True when some url's host accepts a TCP connection within timeout seconds (DNS too).
    All are tried at once: a refused connection answers at once, a dead network costs timeout."""
    answered = []

    def connect(url):
        parsed = urlparse(url)
        with contextlib.suppress(OSError):
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
            socket.create_connection((parsed.hostname, port), timeout=timeout).close()
            answered.append(url)

    workers = [threading.Thread(target=connect, args=(url,), daemon=True) for url in urls]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + timeout  # done at the first answer, or when all have failed
    while not answered and any(w.is_alive() for w in workers) and time.monotonic() < deadline:
        time.sleep(0.01)
    return bool(answered)


def _download(root: Path, timeout: float) -> None:
    """Fetch MNIST with torchvision (checksums checked) into root, else a ConnectionError."""
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
    if problem := cache_problem(root):
        raise ConnectionError(f"the download is incomplete: {problem}")
