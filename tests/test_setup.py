import json
import subprocess
import sys

import pytest
import torch

import course_utils as cu


def test_setup_seeds_and_fixes_threads(monkeypatch):
    monkeypatch.delenv("COURSE_THREADS", raising=False)
    device = cu.setup(seed=1)
    a = torch.randn(5)
    assert torch.get_num_threads() == cu.DEFAULT_THREADS
    cu.setup(seed=1)
    assert torch.equal(a, torch.randn(5))
    assert device == torch.device("cpu")  # COURSE_DEVICE=cpu in tests


def test_get_device_order_and_override(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else (
        "mps" if torch.backends.mps.is_available() else "cpu")
    assert cu.get_device().type == expected
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert cu.get_device().type == "cpu"
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="COURSE_DEVICE=cpu"):
        cu.get_device()


def test_bad_seed():
    with pytest.raises(ValueError, match="setup\\(seed=0\\)"):
        cu.setup(seed="0")


def test_public_api_is_explicit_and_loads():
    for name in cu.__all__:
        assert getattr(cu, name) is not None, name
    with pytest.raises(AttributeError):
        cu.no_such_thing  # noqa: B018


PROBE = """
import json, socket, sys, os
def no_network(*a, **k):
    raise AssertionError("import touched the network")
socket.socket.connect = no_network
before = set(os.listdir("."))
import torch
loaded = set(sys.modules)
import course_utils
heavy = ("ipywidgets", "torchvision", "IPython", "tqdm", "mlxtend")  # matplotlib loads: the
# explicit imports of course_utils/__init__.py bring the figures (benchmarks/import_time.py)
print(json.dumps({"heavy": sorted(m for m in heavy if m in set(sys.modules) - loaded),
                  "new_files": sorted(set(os.listdir(".")) - before)}))
"""


@pytest.mark.process
def test_import_is_light_offline_and_writes_nothing(tmp_path):
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result == {"heavy": [], "new_files": []}
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("env", ["0", "-2", "1.5", "many"])
def test_bad_thread_count_names_the_fix_and_changes_nothing(monkeypatch, env):
    monkeypatch.setenv("COURSE_THREADS", "2")
    cu.setup(seed=0)
    state = torch.get_rng_state()
    monkeypatch.setenv("COURSE_THREADS", env)
    with pytest.raises(ValueError, match=r"positive int.*Fix: set COURSE_THREADS=1"):
        cu.setup(seed=5)
    assert torch.get_num_threads() == 2 and torch.equal(torch.get_rng_state(), state)


def test_threads_from_environment(monkeypatch):
    monkeypatch.setenv("COURSE_THREADS", "2")
    cu.setup(seed=0)
    assert torch.get_num_threads() == 2


def test_asking_for_a_missing_gpu_names_the_fix(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    with pytest.raises(ValueError, match=r"no CUDA.*Fix: set COURSE_DEVICE=cpu"):
        cu.setup(seed=0)
    monkeypatch.setenv("COURSE_DEVICE", "cuda:0")
    with pytest.raises(ValueError, match="no CUDA"):
        cu.get_device()
