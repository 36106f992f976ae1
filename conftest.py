"""pytest configuration for the whole repository.

The docstring examples of course_utils run as tests (``--doctest-modules``): each sees
the public API (``LeNet``, ``fit``, ``plot_digits`` ...), ``torch`` and ``nn``, and a
small ``data`` (the embedded digits), a ``model`` with its ``optimizer`` and one
batch ``x, y``, as a notebook would have them.
"""
from __future__ import annotations

import functools
import os

import pytest


@functools.cache
def _example_data():
    """The examples' data, loaded once: examples read it, none changes it."""
    import course_utils as cu

    return cu.load_mnist(verbose=False).subset(train=256, test=100)


@pytest.fixture(autouse=True)
def _doctest_names(request):
    if not isinstance(request.node, pytest.DoctestItem):
        yield
        return
    import matplotlib
    import torch
    from torch import nn

    import course_utils as cu
    from course_utils.data import Split

    matplotlib.use("Agg")
    offline = os.environ.get("COURSE_OFFLINE")
    os.environ["COURSE_OFFLINE"] = "1"
    cu.setup(seed=0)
    data = _example_data()
    model = cu.LeNet()
    namespace = request.getfixturevalue("doctest_namespace")
    namespace.update({name: getattr(cu, name) for name in cu.__all__})
    namespace.update(cu=cu, torch=torch, nn=nn, Split=Split, data=data, model=model,
                     optimizer=torch.optim.SGD(model.parameters(), lr=0.05),
                     x=data.train.images[:16], y=data.train.labels[:16])
    yield
    if offline is None:
        os.environ.pop("COURSE_OFFLINE", None)
    else:
        os.environ["COURSE_OFFLINE"] = offline
