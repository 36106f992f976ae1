"""`python -m course_utils doctor` / `cu.doctor()`: one screen, problems with fixes, exit code."""
import os
import subprocess
import sys

import pytest
import torch

import course_utils as cu
from course_utils.machinery import diagnostics
from conftest import REPO
from test_cache_permissions import as_learner, read_only
from test_data import write_cache


def test_the_report_on_this_machine(capsys):
    found, problems = diagnostics.check()
    assert problems == []
    assert found["torch"] == torch.__version__
    assert found["torchvision"] == __import__("torchvision").__version__
    assert found["device"] == "cpu"
    assert found["data"] == "embedded sample (COURSE_OFFLINE=1)"  # as the tests run
    assert found["widgets"] == "ipywidgets importable"
    cu.doctor()
    screen = capsys.readouterr().out.splitlines()
    assert screen[0].startswith("course_utils doctor") and "collect_env" in screen[0]
    assert screen[-1] == "OK: nothing blocks the course." and len(screen) <= 12


@pytest.mark.process
def test_the_command_exits_0_when_all_is_well():
    done = subprocess.run([sys.executable, "-m", "course_utils", "doctor"], capture_output=True,
                          text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: nothing blocks the course." in done.stdout


def test_the_command_without_doctor_prints_its_usage(capsys):
    from course_utils.machinery import diagnostics

    assert diagnostics.main([]) == 2 and "python -m course_utils doctor" in capsys.readouterr().out


@pytest.mark.process
def test_the_doctor_stays_out_of_import_course_utils():
    probe = ("import sys, course_utils as cu; f = cu.doctor; "
             "print(sorted(m for m in ('ipywidgets', 'torchvision') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def problems_with(monkeypatch, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    found, problems = diagnostics.check()
    assert problems and all("Fix:" in p for p in problems), problems
    assert f"{len(problems)} problem(s) block the course:" in diagnostics.text(found, problems)
    return " ".join(problems)


def test_unusable_settings_are_problems(monkeypatch):
    assert "device must be one of" in problems_with(monkeypatch, COURSE_DEVICE="tpu")


def test_a_torchvision_that_cannot_be_imported_is_a_problem(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # import fails, as with a mismatched build
    found = problems_with(monkeypatch)
    assert "torchvision cannot be imported" in found and "do not reinstall torch" in found


def test_missing_widgets_are_a_problem(monkeypatch):
    real = diagnostics.importlib.util.find_spec
    monkeypatch.setattr(diagnostics.importlib.util, "find_spec",
                        lambda name: None if name == "ipywidgets" else real(name))
    assert "pip install ipywidgets" in problems_with(monkeypatch)


def test_the_data_line_names_the_cache(monkeypatch, tmp_path):
    write_cache(tmp_path)
    monkeypatch.delenv("COURSE_OFFLINE")
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    assert diagnostics.check()[0]["data"] == f"cache {tmp_path}"
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "empty"))
    assert diagnostics.check()[0]["data"].startswith(f"download into {tmp_path / 'empty'}")


@pytest.fixture
def incomplete_shared_cache(tmp_path):
    root = tmp_path / "shared"
    write_cache(root)
    (root / "MNIST" / "raw" / "train-images-idx3-ubyte").unlink()
    read_only(root)
    yield root
    for folder in (root, root / "MNIST", root / "MNIST" / "raw"):
        folder.chmod(0o755)


@pytest.mark.process
def test_an_incomplete_read_only_cache_fails_the_command(incomplete_shared_cache):
    env = {k: v for k, v in os.environ.items() if k != "COURSE_OFFLINE"}
    env["COURSE_DATA"] = str(incomplete_shared_cache)
    done = subprocess.run([*as_learner(), sys.executable, "-m", "course_utils", "doctor"],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"The MNIST cache in {incomplete_shared_cache} is incomplete" in done.stdout
    assert "Fix: set COURSE_DATA" in done.stdout


def test_a_gpu_is_named(monkeypatch):
    monkeypatch.setattr(cu, "get_device", lambda: torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "NVIDIA Stand-in 80GB")
    assert diagnostics.check()[0]["device"] == "cuda (NVIDIA Stand-in 80GB)"
    monkeypatch.setattr(cu, "get_device", lambda: torch.device("mps"))
    assert diagnostics.check()[0]["device"] == "mps"
