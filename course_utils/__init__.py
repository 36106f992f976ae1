"""course_utils: the tested helpers behind the notebooks of the course.

Every notebook starts with::

    import course_utils as cu
    device = cu.setup(seed=0)

The public names below are loaded on first use, so ``import course_utils``
stays light: matplotlib, ipywidgets and torchvision load only when a function
that needs them is called.
"""
from __future__ import annotations

import importlib
import os
import random

import numpy as np
import torch

from . import _checks

__version__ = "0.1.0"

# public name -> module that defines it (loaded lazily, see __getattr__)
_LAZY = {
    "LeNet": "models",
    "check_image_batch": "models",
    "eval_mode": "models",
    "load_mnist": "data",
    "MNIST": "data",
    "Split": "data",
    "train_step": "training",
    "evaluate": "training",
    "fit": "training",
    "History": "training",
    "TrainingDiverged": "training",
    "make_optimizer": "training",
    "GradientMonitor": "monitor",
    "LivePlot": "live",
    "plot_loss_curves": "curves",
    "plot_gradient_flow": "plots",
    "plot_gradient_histograms": "plots",
    "plot_filters": "plots",
    "plot_digits": "plots",
    "plot_confusion_matrix": "plots",
    "plot_saliency": "plots",
    "autograd_graph": "graph",
    "print_graph": "graph",
    "plot_graph": "graph",
    "trace_backward": "backprop",
    "plot_backward_steps": "backprop",
    "loss_vs_output": "losses",
    "plot_loss_vs_output": "losses",
    "trajectory": "landscapes",
    "plot_trajectories": "landscapes",
    "WeightPath": "surface",
    "loss_surface": "surface",
    "plot_loss_surface": "surface",
    "course_image": "assets",
    "doctor": "diagnostics",
}

_SUBMODULES = {"models", "data", "training", "monitor", "live", "figures", "curves", "plots",
               "graph", "losses", "landscapes", "widgets", "exercises", "assets", "diagnostics",
               "backprop", "surface"}

__all__ = ["setup", "get_device", "DEFAULT_THREADS", *_LAZY]

# Chosen from benchmarks/threads.py (table in benchmarks/README.md): for LeNet on 2 cores a
# second thread trains 1.3-1.5x faster alone but about 0.5x as fast beside one busy process (and
# far slower on a loaded machine), so one thread has the best worst case.
DEFAULT_THREADS = 1


def get_device(prefer: str | None = None) -> torch.device:
    """The fastest device here: cuda, then mps, then cpu. COURSE_DEVICE=cpu forces one.

    Example:
        >>> get_device("cpu")
        device(type='cpu')
    """
    prefer = prefer or os.environ.get("COURSE_DEVICE") or None
    if prefer is not None:
        valid = ("cpu", "cuda", "mps")
        if str(prefer).split(":")[0] not in valid:
            raise ValueError(f"device must be one of {valid}, got {prefer!r}. "
                             "Fix: set COURSE_DEVICE=cpu (or leave it unset to pick the best).")
        device = torch.device(prefer)
        if device.type != "cpu" and not _available(device.type):
            raise ValueError(f"device {prefer!r} was asked for, but this machine has no "
                             f"{device.type.upper()} that PyTorch can use. Fix: "
                             "setup(device='cpu') or unset COURSE_DEVICE.")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _available("mps"):
        return torch.device("mps")
    return torch.device("cpu")


def _available(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def _thread_count(threads) -> int:
    """threads, else COURSE_THREADS, else DEFAULT_THREADS; a clear error unless a positive int."""
    source = "threads"
    if threads is None:
        threads, source = os.environ.get("COURSE_THREADS", DEFAULT_THREADS), "COURSE_THREADS"
    try:
        count = int(threads)
    except (TypeError, ValueError):
        count = 0
    if isinstance(threads, (bool, float)) or count < 1:
        raise ValueError(f"{source} must be a positive whole number, got {threads!r}. "
                         "Fix: setup(seed=0, threads=1) (or unset COURSE_THREADS).")
    return count


def setup(seed: int = 0, threads: int | None = None, device: str | None = None) -> torch.device:
    """Seed everything, fix threads and print options; return the device to use.

    On Colab it also turns on the custom widget manager, so the widgets show.

    Call it first in every notebook so that a run twice prints the same text.

    Example (notebooks 01 to 05, the first code cell):
        >>> device = setup(seed=0)
    """
    _checks.whole_number(seed, "seed", "setup(seed=0)", low=0)
    count, chosen = _thread_count(threads), get_device(device)  # check before changing anything
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(count)
    torch.set_printoptions(precision=4, sci_mode=False, linewidth=100)
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    from .cloud import enable_colab_widgets
    enable_colab_widgets()  # Colab shows ipywidgets only with its widget manager on
    return chosen


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
