"""What every figure of the course goes through: one constructor, one style.

``new_figure`` makes a Figure that pyplot does not hold and that Jupyter shows as a PNG,
with its alt text as the plain-text version (stored, so nbval compares it). ``@course_plot``
draws in the course's style: text of at least 10 pt, a white background, the Okabe-Ito
palette (safe for colour-blind readers) with line styles; and it insists on alt text.
"""
from __future__ import annotations

import base64
import functools
import io
import itertools

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._checks import OPTIMIZER_LABELS, OPTIMIZER_NAMES

DPI = 100
FULL_WIDTH = 8.2  # inches: JupyterLab at 1280 x 720 shows a PNG this wide without shrinking it
# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#F0E442"]
LINESTYLES = ["-", "--", "-.", ":"]
MARKERS = ["o", "s", "^", "D", "v", "P"]
STYLE = {
    "font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "xtick.labelsize": 10,
    "ytick.labelsize": 10, "legend.fontsize": 10, "figure.titlesize": 12,
    "figure.facecolor": "white", "axes.facecolor": "white", "savefig.facecolor": "white",
    "savefig.transparent": False, "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "axes.spines.top": False, "axes.spines.right": False,
}


class CourseFigure(Figure):
    """A Figure that Jupyter shows as a compact PNG, with ``alt`` (its alt text) as plain text."""

    alt: str = ""

    def _repr_png_(self) -> bytes:
        return png_bytes(self, tight=True, compact=True)

    def _repr_mimebundle_(self, include=None, exclude=None):
        png = base64.b64encode(self._repr_png_()).decode("ascii")
        return {"image/png": png, "text/plain": self.alt or "a figure"}


def png_bytes(fig: Figure, tight: bool = False, compact: bool = False) -> bytes:
    """The figure as PNG bytes; compact=True saves a 256-colour PNG (smaller notebooks).

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
    """A (figure, axes) pair like plt.subplots, not held by pyplot; nrows=0: axes is None.

    Example:
        >>> fig, axes = new_figure(6, 3, 1, 2)
        >>> len(axes)
        2
    """
    with matplotlib.rc_context(STYLE):
        fig = CourseFigure(figsize=(width, height), dpi=DPI, layout=layout)
        FigureCanvasAgg(fig)
        if nrows == 0:
            return fig, None
        return fig, fig.subplots(nrows, ncols, **subplot_kw)


def course_plot(plot):
    """Decorate a plot function: draw it in the course's STYLE; it must set ``fig.alt``.

    Example:
        >>> @course_plot
        ... def plot_nothing():
        ...     fig, ax = new_figure(3, 2)
        ...     return with_alt(fig, "An empty plot.")
        >>> plot_nothing().alt
        'An empty plot.'
    """
    @functools.wraps(plot)
    def styled(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            fig = plot(*args, **kwargs)
        if not getattr(fig, "alt", ""):
            raise RuntimeError(f"{plot.__name__} drew a figure without alt text: "
                               "end it with `return with_alt(fig, description)`.")
        return fig

    return styled


def with_alt(fig, alt: str):
    """fig, carrying alt as its text description (for screen readers and the website)."""
    fig.alt = " ".join(alt.split())
    return fig


def colour(k: int) -> str:
    """The k-th colour of the palette (it repeats after eight)."""
    return PALETTE[k % len(PALETTE)]


def run_styles(labels) -> list[dict]:
    """The colour, line style and marker of each run, as keyword arguments of ax.plot.

    A label that starts with an optimizer's name ("adam lr=0.01") gets that optimizer's style
    in every figure; other labels, and a second run of one optimizer, take the ones left over.

    Example:
        >>> [style["color"] for style in run_styles(["adam lr=0.1", "adam lr=1", "sgd"])] == [
        ...     colour(4), colour(1), colour(0)]
        True
    """
    names = {**{n: k for k, n in enumerate(OPTIMIZER_NAMES)},
             **{OPTIMIZER_LABELS[n].lower(): k for k, n in enumerate(OPTIMIZER_NAMES)}}
    fixed = [names.get(str(label).lower().replace("(", " ").split(" ")[0]) for label in labels]
    fixed = [k if k not in fixed[:i] else None for i, k in enumerate(fixed)]  # a second run
    free = (k for k in itertools.count() if k not in fixed)                   # takes a free one
    return [{"color": colour(k), "ls": LINESTYLES[k % len(LINESTYLES)],
             "marker": MARKERS[k % len(MARKERS)]}
            for k in (k if k is not None else next(free) for k in fixed)]


def number(value: float) -> str:
    """A number as alt text and titles print it: 4 significant digits, stable across runs.

    Example:
        >>> number(0.012345678), number(21.3), number(float("nan"))
        ('0.01235', '21.3', 'nan')
    """
    return f"{value:.4g}"


def message_figure(text: str, width: float = 6.2, height: float = 1.0):
    """A figure holding one line of text, e.g. "no digits to show".

    Example:
        >>> message_figure("nothing yet").texts[0].get_text()
        'nothing yet'
    """
    fig, _ = new_figure(width, height, 0)
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=12, color="0.3")
    return with_alt(fig, text)
