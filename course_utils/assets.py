"""The course's drawn figures (img/), shipped inside the package.

A notebook opened alone (Colab, Kaggle) has no ../img folder beside it, so the notebooks
show these figures through the package rather than by a relative path: pyproject.toml
installs the repository's img/ as course_utils/img/. Each PNG comes with its alt text
(NAME.txt), both written by `make figures` (tools/make_figures.py).
Used in: notebook 01.
"""
from __future__ import annotations

import base64
import html
from importlib import resources
from pathlib import Path


def image_folder():
    """course_utils/img/ where the package is installed, else the repository's img/."""
    installed = resources.files(__package__) / "img"
    return installed if installed.is_dir() else Path(__file__).resolve().parent.parent / "img"


def image_names() -> list[str]:
    """The figures the package ships, by name (without .png)."""
    folder = image_folder()
    if not folder.is_dir():
        return []
    return sorted(item.name[:-4] for item in folder.iterdir() if item.name.endswith(".png"))


class CourseImage:
    """A PNG and its alt text; a notebook shows it as an image, plain text as the alt text."""

    def __init__(self, name: str, png: bytes, alt: str):
        self.name, self.png, self.alt = name, png, alt

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.png).decode("ascii")
        return (f'<img src="data:image/png;base64,{data}" alt="{html.escape(self.alt)}" '
                f'style="max-width: 100%">')

    def __repr__(self) -> str:
        return f"[figure {self.name}: {self.alt}]"


def course_image(name: str) -> CourseImage:
    """The course figure called name, ready to show as the last line of a cell.

    Example (notebook 01):
        >>> course_image("lenet_architecture")  # LeNet's layers and their shapes
        [figure lenet_architecture: LeNet's layers and the shape of one image's data ...]
    """
    names = image_names()
    if not isinstance(name, str) or name not in names:
        raise ValueError(f"no course figure called {name!r}; the package has {names}. Fix: "
                         "use one of those names (`make figures` draws them into img/).")
    folder = image_folder()
    alt = (folder / f"{name}.txt").read_text(encoding="utf-8").strip()
    return CourseImage(name, (folder / f"{name}.png").read_bytes(), alt)
