"""Colab, Kaggle, Binder: what a notebook needs where `make setup` never ran.
Used in: every first cell (tools/first_cell.py).
"""
import importlib
import re
import subprocess
import sys
import tempfile
from importlib import metadata

DISTRIBUTION = "course-utils"
KEEP = ("torch", "torchvision", "numpy")  # the platform's builds stay exactly as they are


def _name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0).lower().replace("_", "-")


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def missing_requirements() -> list[str]:
    requirements = metadata.requires(DISTRIBUTION) or []
    return [r for r in requirements if ";" not in r  # extras such as [test] are not needed
            and _name(r) not in KEEP and _installed(_name(r)) is None]


def install_missing() -> list[str]:
    """pip install the course's light requirements the platform lacks, keeping its own torch,
    torchvision and numpy (their builds match its GPU); return what it installed.

    Example (first cell of every notebook, only where course_utils was missing):
        >>> install_missing()
        []
    """
    missing = missing_requirements()
    if not missing:
        return []
    pins = [f"{name}=={version}" for name in KEEP if (version := _installed(name))]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="keep-", delete=False) as f:
        f.write("\n".join(pins) + "\n")
    command = [sys.executable, "-m", "pip", "install", "-q", "--constraint", f.name, *missing]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pip could not install {missing}:\n{done.stderr[-2000:]}\nFix: check "
                           f"the network (Kaggle: turn Internet on in the notebook's settings), "
                           f"then run this cell again; or run: %pip install {' '.join(map(repr, missing))}")
    importlib.invalidate_caches()
    print("installed for the course:", ", ".join(missing))
    return missing


def enable_colab_widgets() -> bool:
    """On Colab (only), turn on its custom widget manager: ipywidgets render only with it."""
    if "google.colab" not in sys.modules:
        return False
    from google.colab import output  # type: ignore[import-not-found]

    output.enable_custom_widget_manager()
    return True
