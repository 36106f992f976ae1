"""pytest defaults for everything under the repository, the notebooks included.

So that the plain commands pass with no environment variables: `pytest`,
`pytest --nbval notebooks/`, `pytest --nbval notebooks/05_training_on_mnist.ipynb`.
Under pytest (and in the kernels nbval starts, which inherit this environment) the
course is offline (the embedded sample, as in the stored outputs), without progress
bars, on the CPU unless COURSE_DEVICE says otherwise; nbval runs the notebooks in
this Python and sanitises their outputs with tests/nbval_sanitize.cfg.

The docstring examples of course_utils run as tests too (``--doctest-modules``): each
sees the public API (``LeNet``, ``fit``, ``plot_digits`` ...), ``torch`` and ``nn``, and
a small ``data`` (the embedded digits), a ``model`` with its ``optimizer`` and one batch
``x, y``, as a notebook would have them.
"""
from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path

import pytest

SANITIZE = Path(__file__).resolve().parent / "tests" / "nbval_sanitize.cfg"
# the learner edition's solution files are exercise cells, run in a notebook, not modules to import
collect_ignore_glob = ["learner/solutions/*"]

os.environ["COURSE_OFFLINE"] = "1"
os.environ["COURSE_PROGRESS"] = "0"
os.environ.setdefault("COURSE_DEVICE", "cpu")


# The slowest modules and notebooks, slowest first (a browser session, nbval under a
# simulated CPU, a term of grading, a hub; then the notebooks that train and the tests that
# set up an environment, 15 to 30 s each). `make test` runs modules and notebooks whole on two
# workers (--dist loadscope); pytest-xdist would start the modules with the most tests first
# and leave these for last, where one runs alone while the other worker idles. Started first,
# they leave the quick unit tests for the end, and the two workers end together.
SLOWEST_FIRST = ["tests/test_browser.py", "tests/test_machines.py",
                 "tests/test_classroom_grading.py", "tests/test_classroom_hub.py",
                 "notebooks/05_training_on_mnist.ipynb", "notebooks/04_optimizers.ipynb",
                 "tests/test_without_make.py", "tests/test_classroom_sandbox.py",
                 "tests/test_platforms.py", "notebooks/03_backpropagation.ipynb"]


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        path = item.nodeid.split("::")[0]
        return SLOWEST_FIRST.index(path) if path in SLOWEST_FIRST else len(SLOWEST_FIRST)

    items.sort(key=rank)  # stable: every other test keeps its order


def pytest_configure(config):
    option = config.option
    if hasattr(option, "loadscopereorder"):  # pytest-xdist: keep the order above
        option.loadscopereorder = False
    if getattr(option, "nbval_sanitize_with", "absent") is None:  # nbval is installed, no file given
        option.nbval_sanitize_with = str(SANITIZE)
    if hasattr(option, "nbval_current_env") and not (option.nbval_kernel_name
                                                     or option.current_env):
        option.nbval_current_env = True


@functools.cache
def _example_data():
    """The examples' data, loaded once: examples read it, none changes it."""
    import course_utils as cu

    return cu.load_mnist(verbose=False).subset(train=256, val=100, test=100)


@pytest.fixture(autouse=True)
def _doctest_names(request):
    """The names a docstring example may use, as a notebook would have them."""
    if not isinstance(request.node, pytest.DoctestItem):
        return
    import matplotlib
    import torch
    from torch import nn

    import course_utils as cu
    from course_utils.data import Split

    matplotlib.use("Agg")
    cu.setup(seed=0)
    data = _example_data()
    model = cu.LeNet()
    namespace = request.getfixturevalue("doctest_namespace")
    namespace.update({name: getattr(cu, name) for name in cu.__all__})
    namespace.update(cu=cu, torch=torch, nn=nn, Split=Split, data=data, model=model,
                     optimizer=torch.optim.SGD(model.parameters(), lr=0.05),
                     x=data.train.images[:16], y=data.train.labels[:16])


if importlib.util.find_spec("nbval"):  # output that training moves: compared without its numbers
    from tests.nbval_training import install as _install_training_rule
    _install_training_rule()
