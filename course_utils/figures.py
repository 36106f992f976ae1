"""The figure machinery every plot of the course goes through: one constructor, one style.

``new_figure`` makes a Figure that pyplot does not hold (nothing to close, no "more
than 20 figures" warning) and that Jupyter shows as a PNG whatever backend is
active. The palette is Okabe-Ito (safe for colour-blind readers); pair it with the
line styles below when lines may overlap. The catalogue of plots is in plots.py,
curves.py, landscapes.py, graph.py and losses.py; they all build on this module.
"""
from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100
# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#F0E442"]
LINESTYLES = ["-", "--", "-.", ":"]


class CourseFigure(Figure):
    """A Figure that shows itself as a (compact) PNG in Jupyter."""

    def _repr_png_(self) -> bytes:
        return png_bytes(self, tight=True, compact=True)


def png_bytes(fig: Figure, tight: bool = False, compact: bool = False) -> bytes:
    """The figure rendered as PNG bytes (at DPI dots per inch).

    compact=True stores it with a 256-colour palette: 2-4 times smaller, which keeps the
    stored notebooks small, for about 50 ms more per figure.

    Example:
        >>> fig, ax = new_figure(2, 1)
        >>> png_bytes(fig)[:4]
        b'\\x89PNG'
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight" if tight else None)
    if not compact:
        return buf.getvalue()
    from PIL import Image

    buf.seek(0)
    palette = Image.open(buf).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    palette.save(out, format="png", optimize=True)
    return out.getvalue()


def new_figure(width: float, height: float, nrows: int = 1, ncols: int = 1, *,
               layout: str | None = None, **subplot_kw):
    """A (figure, axes) pair like plt.subplots, but not registered with pyplot.

    nrows=0 gives a figure without axes (axes is None). layout="constrained" lets
    matplotlib place colour bars and titles.

    Example:
        >>> fig, axes = new_figure(6, 3, 1, 2)
        >>> len(axes)
        2
    """
    fig = CourseFigure(figsize=(width, height), dpi=DPI, layout=layout)
    FigureCanvasAgg(fig)
    if nrows == 0:
        return fig, None
    subplot_kw.setdefault("squeeze", True)
    return fig, fig.subplots(nrows, ncols, **subplot_kw)


def colour(k: int) -> str:
    """The k-th colour of the palette (it repeats after eight)."""
    return PALETTE[k % len(PALETTE)]


def message_figure(text: str, width: float = 6.2, height: float = 1.0):
    """A figure holding one line of text, e.g. "no digits to show".

    Example:
        >>> message_figure("nothing yet").texts[0].get_text()
        'nothing yet'
    """
    fig, _ = new_figure(width, height, 0)
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=12, color="0.3")
    return fig
