"""Run a notebook in a kernel of this environment: the one place the course calls nbclient.

Used by `make notebooks` (tools/run_notebooks.py), the claims sweep and the notebook
benchmark. use_test_settings() gives a command the environment nbval
runs the notebooks in, without importing the tests' conftest.py.
"""
from __future__ import annotations

import os
from pathlib import Path

from nbclient import NotebookClient

KERNEL_NAME = "python3"


def use_test_settings() -> None:
    """Make this process, and the kernels it starts, run the notebooks as nbval does (the root
    conftest.py sets the same): offline on the embedded digits, without progress bars, on the
    CPU unless COURSE_DEVICE says otherwise. Stored outputs come from these settings."""
    os.environ.update(COURSE_OFFLINE="1", COURSE_PROGRESS="0")
    os.environ.setdefault("COURSE_DEVICE", "cpu")


def execute_notebook(nb, folder: Path, *, timeout: int = 600, allow_errors: bool = True):
    """Execute nb (an nbformat notebook, changed in place) as if it sat in folder; return it.

    allow_errors=True runs every cell and leaves errors in the outputs (read them with
    errors()); False stops at the first error by raising nbclient's CellExecutionError.
    """
    NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=timeout, allow_errors=allow_errors,
                   record_timing=False, resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def errors(nb) -> list[tuple[int, object]]:
    """(code cell index, output) for every error output and stderr stream in nb."""
    found = []
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    for i, cell in enumerate(code):
        for output in cell.get("outputs", []):
            if output.output_type == "error" or output.get("name") == "stderr":
                found.append((i, output))
    return found
