"""The stored outputs pass nbval on other CPUs: simulated here by other kernel code paths.

PyTorch picks ATen's vector kernels, oneDNN's convolutions and MKL's matrix products by the
CPU it finds; each pick changes the last bits of results, and training amplifies them. Under
the most different of tools/claims.py's machines (no vector kernels, oneDNN at SSE4.1, MKL's
compatible path) the plain `pytest --nbval learner/` must pass: the cells tagged
`training-output` are compared without their numbers (tests/nbval_training.py), everything
else exactly. This is make test's strict nbval of the learner edition (its lesson cells are the
instructor's, tests/test_student.py); the instructor edition, whose claim checks read the
outputs, runs natively, and the claims sweep (`python -m tools.claims`) runs those checks on the
simulated machines over seeds.
"""
import os
import subprocess
import sys

import pytest

from conftest import REPO
from tools.claims import MACHINES


def one_step_gradients(variables: dict) -> str:
    program = ("import course_utils as cu, torch; cu.setup(seed=0); m = cu.LeNet(); "
               "x = torch.randn(64, 1, 32, 32); l = m(x).square().mean(); l.backward(); "
               "print(repr(m.conv1.weight.grad.sum().item()), repr(m.fc1.weight.grad.sum().item()))")
    return subprocess.run([sys.executable, "-c", program], env={**os.environ, **variables},
                          capture_output=True, text=True, check=True).stdout


@pytest.mark.kernel
def test_the_learner_edition_passes_nbval_without_vector_kernels():
    # otherwise this proves nothing: under old-cpu one LeNet step differs in its last bits
    assert one_step_gradients({}) != one_step_gradients(MACHINES["old-cpu"])
    env = {**os.environ, **MACHINES["old-cpu"]}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--nbval", "learner/"], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, f"under {MACHINES['old-cpu']}:\n{run.stdout[-6000:]}"
