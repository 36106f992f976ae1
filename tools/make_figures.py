"""Draw the course's static figures into img/: `make figures`.

Usage: python -m tools.make_figures [output folder, default img/]

lenet_architecture.png (notebook 01, shown by cu.course_image): LeNet's layers with
the shape of the data after each one, 1@32x32 -> 6@28x28 -> 6@14x14 -> 16@10x10 ->
16@5x5 -> 400 -> 120 -> 84 -> 10, and its alt text (lenet_architecture.txt) written
from the same table. The figures live inside the package so that a notebook opened
alone (Colab, Kaggle) finds them. The output is deterministic (no timestamp or
version in the PNG), so regenerating it leaves git clean.
"""
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, Rectangle  # noqa: E402

IMG = Path(__file__).resolve().parent.parent / "img"

# (label under the box, shape text, channels, side in pixels or None for a vector, units)
LENET_LAYERS = [
    ("input", "1@32x32", 1, 32, None),
    ("conv1 5x5\n+ ReLU", "6@28x28", 6, 28, None),
    ("max pool\n2x2", "6@14x14", 6, 14, None),
    ("conv2 5x5\n+ ReLU", "16@10x10", 16, 10, None),
    ("max pool\n2x2", "16@5x5", 16, 5, None),
    ("flatten", "400", None, None, 400),
    ("fc1\n+ ReLU", "120", None, None, 120),
    ("fc2\n+ ReLU", "84", None, None, 84),
    ("fc3", "10 scores", None, None, 10),
]
CONV_COLOUR, FC_COLOUR = "#9ecae1", "#fdd0a2"


def _feature_maps(ax, x, channels, side, scale):
    """A stack of squares (at most 6 drawn) for channels feature maps of side x side pixels."""
    size = side * scale
    shown = min(channels, 6)
    step = 0.12
    for k in range(shown):
        offset = (shown - 1 - k) * step
        ax.add_patch(Rectangle((x + offset, -size / 2 + offset), size, size,
                               facecolor=CONV_COLOUR, edgecolor="#08519c", linewidth=0.8))
    return x + size + (shown - 1) * step, size / 2 + (shown - 1) * step


def _vector(ax, x, units):
    """A thin bar whose height grows with the number of units (square root, to fit 400)."""
    height = 0.27 * units ** 0.5
    ax.add_patch(Rectangle((x, -height / 2), 0.3, height, facecolor=FC_COLOUR,
                           edgecolor="#a63603", linewidth=0.8))
    return x + 0.3, height / 2


def lenet_architecture(path: Path) -> Path:
    """Draw LeNet's layers and the shape of the data between them to path (PNG)."""
    fig, ax = plt.subplots(figsize=(11, 3.6), dpi=100)
    x, scale, gap, top = 0.0, 0.09, 1.3, 3.7
    previous_right = None
    for label, shape, channels, side, units in LENET_LAYERS:
        if previous_right is not None:
            ax.add_patch(FancyArrowPatch((previous_right + 0.1, 0), (x - 0.1, 0),
                                         arrowstyle="-|>", mutation_scale=12, color="0.3"))
        left = x
        if units is None:
            right, half = _feature_maps(ax, x, channels, side, scale)
        else:
            right, half = _vector(ax, x, units)
        centre = (left + right) / 2
        ax.text(centre, half + 0.15, shape, ha="center", va="bottom", fontsize=9, weight="bold")
        ax.text(centre, -top + 0.85, label, ha="center", va="top", fontsize=9)
        previous_right, x = right, right + gap
    ax.set_xlim(-0.3, x - gap + 0.3)
    ax.set_ylim(-top, top)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("LeNet: the shape of one image's data after each layer (channels@height x width)",
                 fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    path.with_suffix(".txt").write_text(lenet_alt_text() + "\n")
    return path


def lenet_alt_text() -> str:
    """The figure's alt text, from the same table as the drawing."""
    layers = ", ".join(f"{label.replace(chr(10), ' ')} {shape}"
                       for label, shape, *_ in LENET_LAYERS)
    return f"LeNet's layers and the shape of one image's data after each: {layers}"


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else IMG
    print(lenet_architecture(folder / "lenet_architecture.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
