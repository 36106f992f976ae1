"""pytest defaults for everything under the repository, the notebooks included.

So that the plain commands pass with no environment variables: `pytest`,
`pytest --nbval notebooks/`, `pytest --nbval notebooks/05_training_on_mnist.ipynb`.
Under pytest (and in the kernels nbval starts, which inherit this environment) the
course is offline (the embedded sample, as in the stored outputs), without progress
bars, on the CPU unless COURSE_DEVICE says otherwise; nbval runs the notebooks in
this Python and sanitises their outputs with tests/nbval_sanitize.cfg.
"""
import os
from pathlib import Path

SANITIZE = Path(__file__).resolve().parent / "tests" / "nbval_sanitize.cfg"

os.environ["COURSE_OFFLINE"] = "1"
os.environ["COURSE_PROGRESS"] = "0"
os.environ.setdefault("COURSE_DEVICE", "cpu")


def pytest_configure(config):
    option = config.option
    if getattr(option, "nbval_sanitize_with", "absent") is None:  # nbval is installed, no file given
        option.nbval_sanitize_with = str(SANITIZE)
    if hasattr(option, "nbval_current_env") and not (option.nbval_kernel_name
                                                     or option.current_env):
        option.nbval_current_env = True
