"""course_utils: the tested helpers behind the notebooks of the course.

Every notebook starts with ``import course_utils as cu`` and ``device = cu.setup(seed=0)``;
the names below are grouped by the notebook that first uses them. ``machinery/`` you may skip.
"""
import os
import random

import numpy as np
import torch

from . import _checks

# Notebook 01: define the network
from .models import LeNet
from .assets import course_image

# Notebook 02: loss functions
from .data import MNIST, Split, load_mnist
from .graph import autograd_graph, plot_graph, print_graph
from .losses import plot_loss_vs_output
from .plots import plot_digits

# Notebook 03: backpropagation
from .training import train_step
from .monitor import GradientMonitor
from .backprop import plot_backward_steps, trace_backward
from .plots import plot_filters, plot_gradient_flow, plot_gradient_histograms

# Notebook 04: optimizers
from .training import History, TrainingDiverged, fit, make_optimizer
from .curves import plot_loss_curves
from .landscapes import plot_trajectories, trajectory

# Notebook 05: training on MNIST
from .training import evaluate
from .machinery.live import LivePlot
from .plots import plot_confusion_matrix, plot_saliency
from .surface import WeightPath, loss_surface, plot_loss_surface

# For a teacher: what this machine gives the course (also `python -m course_utils doctor`)
from .machinery.diagnostics import doctor

__all__ = ["setup", "get_device", "DEFAULT_THREADS",
           "LeNet", "course_image",
           "MNIST", "Split", "load_mnist", "autograd_graph", "plot_graph", "print_graph",
           "plot_loss_vs_output", "plot_digits",
           "train_step", "GradientMonitor", "plot_backward_steps", "trace_backward",
           "plot_filters", "plot_gradient_flow", "plot_gradient_histograms",
           "History", "TrainingDiverged", "fit", "make_optimizer", "plot_loss_curves",
           "plot_trajectories", "trajectory",
           "evaluate", "LivePlot", "plot_confusion_matrix", "plot_saliency", "WeightPath",
           "loss_surface", "plot_loss_surface",
           "doctor"]

# One thread has the best worst case on a shared machine: benchmarks/README.md, threads.py
DEFAULT_THREADS = 1


def get_device() -> torch.device:
    """The fastest device here: cuda, then mps, then cpu. COURSE_DEVICE=cpu forces one.

    Example:
        >>> get_device().type in ("cuda", "mps", "cpu")
        True
    """
    available = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available(),
                 "cpu": True}
    prefer = os.environ.get("COURSE_DEVICE")
    if not prefer:
        return torch.device(next(kind for kind, here in available.items() if here))
    kind = _checks.one_of(prefer.split(":")[0], tuple(available), "device",
                          "set COURSE_DEVICE=cpu (or leave it unset to pick the best)")
    if not available[kind]:
        raise ValueError(f"device {prefer!r} was asked for, but this machine has no "
                         f"{kind.upper()} that PyTorch can use. Fix: "
                         "set COURSE_DEVICE=cpu or unset it.")
    return torch.device(prefer)


def setup(seed: int = 0) -> torch.device:
    """Seed everything, fix threads (COURSE_THREADS, default 1) and print options; return the
    device to use. Call it first in every notebook so that a run twice prints the same text.

    Example (notebooks 01 to 05, the first code cell):
        >>> device = setup(seed=0)
    """
    _checks.whole_number(seed, "seed", "setup(seed=0)", low=0)
    threads = os.environ.get("COURSE_THREADS", str(DEFAULT_THREADS))
    count = _checks.whole_number(int(threads) if threads.isdigit() else threads,
                                 "COURSE_THREADS", "set COURSE_THREADS=1 (or unset it)")
    chosen = get_device()  # check before changing anything
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(count)
    torch.set_printoptions(precision=4, sci_mode=False, linewidth=100)
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    from .machinery.cloud import enable_colab_widgets  # here: it is machinery
    enable_colab_widgets()  # Colab shows ipywidgets only with its widget manager on
    return chosen
