"""Checks for the exercises of notebooks/01_define_the_network.ipynb."""
from __future__ import annotations

from . import checker, say, tensor_problem  # noqa: F401

__all__: list[str] = []
