"""Shared fixtures. Tests are hermetic: offline unless a test serves data itself."""
from __future__ import annotations

import gzip
import hashlib
import http.server
import socket
import threading
from pathlib import Path

import matplotlib
import pytest

# COURSE_OFFLINE=1, COURSE_PROGRESS=0, COURSE_DEVICE=cpu: set by the repository's conftest.py
matplotlib.use("Agg")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sample():
    import course_utils as cu
    return cu.load_mnist(source="sample", verbose=False)


def leaves_random_stream_alone(action) -> bool:
    """Does action() leave torch's global random stream where it was (a notebook's numbers)?"""
    import torch

    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    action()
    return torch.equal(torch.rand(3), expected)


def lesson_loss(seed: int = 0):
    """The lesson's setup (notebook 03): LeNet, one random image, a float target, MSE loss."""
    import torch

    import course_utils as cu

    torch.manual_seed(seed)
    net, image, target = cu.LeNet(), torch.randn(1, 1, 32, 32), torch.randn(1, 10)
    return net, image, target, torch.nn.functional.mse_loss(net(image), target)


def lesson_trace(seed: int = 0):
    """lesson_loss's backward pass recorded by cu.trace_backward: (net, trace)."""
    import course_utils as cu

    net, _, _, loss = lesson_loss(seed)
    with cu.trace_backward(loss, model=net) as trace:
        loss.backward()
    return net, trace


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_mnist_gz(folder: Path, n_train: int = 300, n_test: int = 100) -> list[tuple[str, str]]:
    """Write gzipped IDX files of real digits (from the embedded sample) like MNIST's mirrors.

    Returns torchvision-style resources: (file name, md5) pairs.
    """
    from course_utils.cache import idx_bytes
    from course_utils.data import load_sample_pixels

    pixels, labels = load_sample_pixels()
    order = list(range(0, len(labels), 7))  # a spread of all ten classes
    train, test = order[:n_train], order[n_train:n_train + n_test]
    files = {
        "train-images-idx3-ubyte.gz": pixels[train], "train-labels-idx1-ubyte.gz": labels[train],
        "t10k-images-idx3-ubyte.gz": pixels[test], "t10k-labels-idx1-ubyte.gz": labels[test],
    }
    folder.mkdir(parents=True, exist_ok=True)
    resources = []
    for name, tensor in files.items():
        blob = gzip.compress(idx_bytes(tensor), mtime=0)
        (folder / name).write_bytes(blob)
        resources.append((name, hashlib.md5(blob).hexdigest()))
    return resources


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def mnist_server(tmp_path, monkeypatch):
    """Serve MNIST-format files on 127.0.0.1 and point torchvision's mirrors at them."""
    from torchvision.datasets import MNIST

    folder = tmp_path / "mirror"
    resources = write_mnist_gz(folder)
    handler = lambda *a, **k: _QuietHandler(*a, directory=str(folder), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    monkeypatch.setattr(MNIST, "mirrors", [url])
    monkeypatch.setattr(MNIST, "resources", resources)
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
