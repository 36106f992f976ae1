"""The course's drawn figures (img/, written by `make figures`), shipped inside the package
(pyproject.toml installs img/ as course_utils/img/). Used in: notebook 01.
"""
import base64
import html
from importlib import resources
from pathlib import Path


def image_folder():
    """course_utils/img/ where the package is installed, else the repository's img/."""
    installed = resources.files(__package__) / "img"
    return installed if installed.is_dir() else Path(__file__).resolve().parent.parent / "img"


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
    """The course figure called name (with its alt text), ready to show as a cell's last line.

    Example (notebook 01):
        >>> course_image("lenet_architecture")  # LeNet's layers and their shapes
        [figure lenet_architecture: LeNet's layers and the shape of one image's data ...]
    """
    folder = image_folder()
    files = folder.iterdir() if folder.is_dir() else []
    names = sorted(item.name[:-4] for item in files if item.name.endswith(".png"))
    if not isinstance(name, str) or name not in names:
        raise ValueError(f"no course figure called {name!r}; the package has {names}. Fix: "
                         "use one of those names (`make figures` draws them into img/).")
    alt = (folder / f"{name}.txt").read_text(encoding="utf-8").strip()
    return CourseImage(name, (folder / f"{name}.png").read_bytes(), alt)
