"""Checks for the exercises of notebooks/02_loss_functions.ipynb."""
from __future__ import annotations

from . import checker, say, tensor_problem  # noqa: F401

__all__: list[str] = []
