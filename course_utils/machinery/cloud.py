"""Colab, Kaggle, Binder: what a notebook needs where `make setup` never ran.

Every notebook's first code cell (written by tools/first_cell.py) installs this
package with ``pip install --no-deps`` when it is missing, then calls
install_missing(): the few light packages the course needs and the platform
lacks, installed without changing the platform's own torch, torchvision or numpy
(their builds match its GPU). Used in: the first cell of every notebook.
"""
from __future__ import annotations

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
    """The course's runtime requirements (from its metadata) that are not installed here."""
    requirements = metadata.requires(DISTRIBUTION) or []
    return [r for r in requirements if ";" not in r  # extras such as [test] are not needed
            and _name(r) not in KEEP and _installed(_name(r)) is None]


def install_missing() -> list[str]:
    """pip install what missing_requirements() lists, torch, torchvision and numpy pinned.

    Returns what it installed (nothing where the platform has it all, as Colab does).

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
    """On Colab, turn on its custom widget manager (ipywidgets render only with it).

    Called by course_utils.setup(); elsewhere it does nothing and returns False.
    """
    if "google.colab" not in sys.modules:
        return False
    from google.colab import output  # type: ignore[import-not-found]

    output.enable_custom_widget_manager()
    return True
