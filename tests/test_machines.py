"""The stored outputs pass nbval on another CPU: simulated here by another kernel code path.

PyTorch's matrix products run in MKL, which picks its kernels by the CPU it finds (vendor and
generation); each pick changes the last bits of results, and training amplifies them. Under
MKL's compatible path the plain `pytest --nbval learner/` must pass: the cells tagged
`training-output` are compared without their numbers (tests/nbval_training.py), everything
else exactly. This is make test's strict nbval of the learner edition (its lesson cells are the
instructor's, tests/test_student.py); the instructor edition, whose claim checks read the
outputs, runs natively.

This machine costs no time (notebook 05: 30.6-36.3 s against 32.1-35.9 s natively, two runs
each). The claims sweep (`python -m tools.claims`) runs the notebooks on the most different
machine, old-cpu (ATen's scalar kernels and oneDNN at SSE4.1 besides), which makes them 45%
slower; and CI's strict nbval on the oldest and newest PyTorch (tests/torch_release.sh) runs
other releases' kernels.
"""
import os
import subprocess
import sys

import pytest

from conftest import REPO
from tools.claims import MACHINES

MACHINE = MACHINES["mkl-compatible"]


def one_step_gradients(variables: dict) -> str:
    program = ("import course_utils as cu, torch; cu.setup(seed=0); m = cu.LeNet(); "
               "x = torch.randn(64, 1, 32, 32); l = m(x).square().mean(); l.backward(); "
               "print(repr(m.conv1.weight.grad.sum().item()), repr(m.fc1.weight.grad.sum().item()))")
    return subprocess.run([sys.executable, "-c", program], env={**os.environ, **variables},
                          capture_output=True, text=True, check=True).stdout


@pytest.mark.kernel
def test_the_learner_edition_passes_nbval_on_another_mkl_code_path():
    # otherwise this proves nothing: on MKL's compatible path one LeNet step differs in its
    # last bits
    assert one_step_gradients({}) != one_step_gradients(MACHINE)
    env = {**os.environ, **MACHINE}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--nbval", "learner/"], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, f"under {MACHINE}:\n{run.stdout[-6000:]}"
