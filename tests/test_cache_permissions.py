"""Cache folders the learner cannot write: checked before the network, and shared caches read only.

A lab or hub admin fills one MNIST cache and points COURSE_DATA at it, read-only for learners.
The shared-cache tests run load_mnist in a process that really cannot write there: as root,
without capabilities (setpriv), so file permissions apply as to any learner; as a learner, as is.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import time

import pytest

import course_utils as cu
from course_utils.machinery import cache
from course_utils import data as data_mod
from test_data import write_cache


@pytest.fixture
def no_network(monkeypatch):
    """load_mnist may not even look for a mirror: any attempt fails the test."""
    def reachable(urls, timeout):
        raise AssertionError(f"load_mnist went to the network ({urls}) before checking the folder")
    monkeypatch.setattr(cache, "reachable", reachable)
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)


def test_a_root_that_cannot_be_a_folder_fails_at_once(tmp_path, no_network):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    root = blocker / "cache"
    start = time.monotonic()
    with pytest.raises(data_mod.MNISTCacheError) as err:
        cu.load_mnist(root, source="torchvision")
    assert time.monotonic() - start < 2
    message = str(err.value)
    assert str(root) in message and f"{blocker} is a file" in message
    assert "COURSE_DATA" in message and "root=" in message
    assert not (root / "MNIST").exists()


def test_write_problem_looks_at_the_deepest_existing_folder(tmp_path):
    assert data_mod.write_problem(tmp_path / "not" / "yet") is None  # can be made: fine
    (tmp_path / "file").write_text("")
    assert data_mod.write_problem(tmp_path / "file" / "x") == f"{tmp_path / 'file'} is a file, not a folder"


def test_auto_without_a_cache_in_an_unwritable_folder_uses_the_sample(tmp_path, no_network):
    (tmp_path / "a-file").write_text("")
    with pytest.warns(UserWarning, match="embedded sample.*COURSE_DATA"):
        data = cu.load_mnist(tmp_path / "a-file", verbose=False)
    assert data.source == "sample"


# --- a shared cache, read-only for the learner --------------------------------------------

LEARNER = """
import json, os, sys
cache = os.environ["COURSE_DATA"]
writes = []
def audit(event, args):  # every attempt to create, change or delete a file under the cache
    if event == "open" and isinstance(args[0], str) and args[0].startswith(cache):
        if args[1] is not None and any(m in args[1] for m in "wax+"):
            writes.append(args[0])
    elif event in ("os.mkdir", "os.remove", "os.rename", "shutil.rmtree", "os.chmod"):
        if str(args[0]).startswith(cache):
            writes.append(f"{event} {args[0]}")
sys.addaudithook(audit)
import course_utils as cu
from course_utils import data
from course_utils.machinery import cache as cache_module
cache_module.reachable = lambda urls, timeout: sys.exit("went to the network")
result = {"can_write": os.access(cache, os.W_OK), "uid": os.getuid()}
try:
    mnist = cu.load_mnist()
    result.update(source=mnist.source, train=len(mnist.train) + len(mnist.val))
except data.MNISTCacheError as err:
    result.update(error=str(err))
result["writes"] = writes
print(json.dumps(result))
"""


def as_learner() -> list[str]:
    """The command prefix that runs a program without root's power over file permissions."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.fail("running as root, this test needs setpriv (util-linux) to drop root's "
                    "capabilities. Fix: apt-get install util-linux, or run the tests as a user.")
    return ["setpriv", "--bounding-set=-all", "--inh-caps=-all"]


@pytest.fixture
def shared_cache(tmp_path):
    """A complete cache (real digits) whose folders are then made read-only."""
    root = tmp_path / "shared"
    write_cache(root)
    yield root
    for folder in (root, root / "MNIST", root / "MNIST" / "raw"):
        folder.chmod(0o755)


def read_only(root):
    for folder in (root / "MNIST" / "raw", root / "MNIST", root):
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH
                     | stat.S_IXOTH)


def load_as_learner(root) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "COURSE_OFFLINE"}
    env["COURSE_DATA"] = str(root)
    done = subprocess.run([*as_learner(), sys.executable, "-c", LEARNER], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["can_write"] is False, "the learner could write: this test would prove nothing"
    return result


@pytest.mark.process
def test_a_complete_read_only_shared_cache_loads_without_writing(shared_cache):
    read_only(shared_cache)
    result = load_as_learner(shared_cache)
    assert result.get("error") is None
    assert (result["source"], result["train"]) == ("cache", 50)
    assert result["writes"] == []


@pytest.mark.process
def test_an_incomplete_read_only_shared_cache_fails_clearly(shared_cache):
    (shared_cache / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").unlink()
    read_only(shared_cache)
    result = load_as_learner(shared_cache)
    message = result["error"]
    assert f"cache in {shared_cache} cannot be filled" in message
    assert "t10k-labels-idx1-ubyte is missing" in message
    assert "you cannot write in" in message and "make data" in message
    assert "COURSE_DATA" in message
    assert result["writes"] == []
