"""Execute notebooks in place so their stored outputs are fresh: `make notebooks`.

Usage: python -m tools.run_notebooks notebooks/01_define_the_network.ipynb [...]

Runs each notebook top to bottom in this environment's kernel (as nbval does),
stops at the first error, and writes the notebook back only when it ran cleanly,
so a failing run never loses the stored outputs. Before running, it sets each cell's
slideshow metadata (tools/slides.py) so every notebook can be presented live.
"""
import sys
import time
from pathlib import Path

import nbformat

from tools.execute import execute_notebook, use_test_settings
from tools.slides import add_slides


def torch_version() -> str:
    import torch

    return torch.__version__.split("+")[0]


def run(path: Path) -> float:
    nb = add_slides(nbformat.read(path, as_version=4))
    start = time.perf_counter()
    execute_notebook(nb, path.parent, allow_errors=False)
    seconds = time.perf_counter() - start
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    # the PyTorch that made the stored outputs (the kernel runs in this environment): the
    # website prints it on each notebook's page
    nb.metadata.setdefault("course", {})["torch"] = torch_version()
    nbformat.write(nb, path)
    return seconds


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    use_test_settings()  # stored outputs are what nbval compares: made as nbval runs them
    for name in paths:
        seconds = run(Path(name))
        print(f"{name}: {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
