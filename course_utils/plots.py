"""Static figures: loss curves, gradient flow and histograms, filters, digits, confusion.

Every function returns a matplotlib Figure that pyplot does not hold (nothing to
close, no "more than 20 figures" warning); end a notebook cell with the call and
Jupyter shows it as a PNG. Used in: notebooks 03 to 05.
"""
from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100


class CourseFigure(Figure):
    """A Figure that shows itself as PNG in Jupyter, whatever backend is active."""

    def _repr_png_(self) -> bytes:
        return png_bytes(self, tight=True)


def png_bytes(fig: Figure, tight: bool = False) -> bytes:
    """The figure rendered as PNG bytes (at DPI dots per inch)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight" if tight else None)
    return buf.getvalue()


def new_figure(width: float, height: float, nrows: int = 1, ncols: int = 1, **kwargs):
    """A (figure, axes) pair like plt.subplots, but not registered with pyplot.

    Example:
        >>> fig, ax = new_figure(6, 3)
    """
    fig = CourseFigure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=True, **kwargs)
    return fig, axes
