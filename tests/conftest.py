"""Shared fixtures. Tests are hermetic: offline unless a test serves data itself."""
from __future__ import annotations

import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import matplotlib
import pytest

from browser_lab import free_port  # noqa: F401  (tests import it from here)

# COURSE_OFFLINE=1, COURSE_PROGRESS=0, COURSE_DEVICE=cpu: set by the repository's conftest.py
matplotlib.use("Agg")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _kernels_and_browsers_only_when_marked(request, monkeypatch):
    """`make test-fast` leaves out tests marked kernel or browser: a test that starts a
    Jupyter kernel or Chromium without its mark fails here, naming the mark to add."""
    marks = {mark.name for mark in request.node.iter_markers()}
    if "kernel" not in marks:
        from jupyter_client.provisioning.local_provisioner import LocalProvisioner

        async def refuse(*args, **kwargs):
            raise RuntimeError(f"{request.node.nodeid} starts a Jupyter kernel: mark it "
                               "@pytest.mark.kernel (make test-fast leaves those out).")
        monkeypatch.setattr(LocalProvisioner, "launch_kernel", refuse)
    if "browser" not in marks:
        import browser_lab as jupyterlab

        def refuse_browser(*args, **kwargs):
            raise RuntimeError(f"{request.node.nodeid} starts Chromium: mark it "
                               "@pytest.mark.browser (make test-fast leaves those out).")
        monkeypatch.setattr(jupyterlab, "launch_chromium", refuse_browser)


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


def write_mnist_gz(folder: Path, n_train: int = 300, n_test: int = 100) -> list[tuple[str, str]]:
    """Write gzipped IDX files of real digits (from the embedded sample) like MNIST's mirrors.

    Returns torchvision-style resources: (file name, md5) pairs.
    """
    from benchmarks.common import idx_bytes
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
    # polled every 10 ms: shutdown() waits for a poll, half a second at the default
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
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


def pytest_terminal_summary(terminalreporter):
    """Print the latencies the browser test measured (record_property("latency", ...))."""
    lines = [value for outcome in ("passed", "failed")
             for report in terminalreporter.stats.get(outcome, [])
             for name, value in report.user_properties if name == "latency"]
    if lines:
        terminalreporter.write_sep("-", "explorer latency")
        for line in lines:
            terminalreporter.write_line(line)


# --- exercise checks: one line, tiered, never the solution ---------------------------------

def _solution_secrets() -> set[str]:
    """The solution lines of the notebooks that their code shows nowhere else, squeezed
    (no spaces, no comment, no leading `return`): what no feedback line may contain."""
    import re

    import nbformat

    def squeeze(line: str) -> str:
        line = re.sub(r"\s#.*$", "", line.strip())
        return re.sub(r"^return", "", re.sub(r"\s+", "", line))

    solutions, outside = [], set()
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        for source in (c.source for c in nbformat.read(path, as_version=4).cells
                       if c.cell_type == "code"):
            for block in re.findall(r"# BEGIN SOLUTION\n(.*?)\n\s*# END SOLUTION", source, re.S):
                solutions += block.splitlines()
            outside |= {squeeze(line) for line in re.sub(
                r"# BEGIN SOLUTION.*?# END SOLUTION", "", source, flags=re.S).splitlines()}
    return {s for s in map(squeeze, solutions) if len(s) >= 8 and s not in outside
            and not s.startswith("#")}


SOLUTION_SECRETS = _solution_secrets()


def feedback(check, *args, hint=1, **kwargs):
    """Run a check with this hint level: (Verdict, its output). The output must be one line
    that gives away no solution line of the notebooks."""
    import contextlib
    import io
    import re

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        verdict = check(*args, hint=hint, **kwargs)
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n"), f"not one line: {text!r}"
    squeezed = re.sub(r"\s+", "", text)
    leaked = [s for s in SOLUTION_SECRETS if s in squeezed]
    assert not leaked, f"the feedback gives the solution away ({leaked}): {text}"
    return verdict, text


def assert_tiers(check, args, kwargs, first: str, second: str) -> None:
    """A wrong answer: hint=1 says what is off (`first`) and how to ask for more;
    hint=2 says the same and more (`second`), never the solution."""
    verdict, one = feedback(check, *args, hint=1, **kwargs)
    assert verdict.correct is False and one.startswith("Not yet: "), one
    assert first in one, f"hint=1 should say {first!r}: {one}"
    verdict, two = feedback(check, *args, hint=2, **kwargs)
    assert verdict.correct is False and first in two, two
    if second:
        assert second not in one, f"hint=1 already says {second!r}: {one}"
        assert "hint=2" in one and f"Hint: " in two and second in two, two


@pytest.fixture(scope="module")
def grader_alone():
    """The grading and sandbox tests share the grader user and /var/tmp's sandbox folders, and
    each checks that nothing of its own is left there: one such module at a time (its
    module-scoped fixtures grade too), also when pytest-xdist runs them on two workers."""
    import fcntl

    with open("/tmp/course-grader-tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
