"""What every figure goes through: ``new_figure`` (a PNG in Jupyter, its alt text as the
plain text nbval compares) and ``@course_plot`` (10 pt text, a white background, the
colour-blind-safe Okabe-Ito palette with line styles; alt text required).
"""
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
    """The figure as PNG bytes; compact=True saves a 256-colour PNG (smaller notebooks)."""
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
    """A (figure, axes) pair like plt.subplots, not held by pyplot; nrows=0: axes is None."""
    with matplotlib.rc_context(STYLE):
        fig = CourseFigure(figsize=(width, height), dpi=DPI, layout=layout)
        FigureCanvasAgg(fig)
        if nrows == 0:
            return fig, None
        return fig, fig.subplots(nrows, ncols, **subplot_kw)


def course_plot(plot):
    """Decorate a plot function: draw it in the course's STYLE; it must set ``fig.alt``."""
    @functools.wraps(plot)
    def styled(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return plot(*args, **kwargs)

    return styled


def with_alt(fig, alt: str):
    """fig, carrying alt as its text description (for screen readers and the website)."""
    fig.alt = " ".join(alt.split())
    return fig


def run_styles(labels) -> list[dict]:
    """The colour, line style and marker of each run, as keyword arguments of ax.plot: a label
    that starts with an optimizer's name ("adam lr=0.01") gets that optimizer's in every figure."""
    names = {**{n: k for k, n in enumerate(OPTIMIZER_NAMES)},
             **{OPTIMIZER_LABELS[n].lower(): k for k, n in enumerate(OPTIMIZER_NAMES)}}
    fixed = [names.get(str(label).lower().replace("(", " ").split(" ")[0]) for label in labels]
    fixed = [k if k not in fixed[:i] else None for i, k in enumerate(fixed)]  # a second run
    free = (k for k in itertools.count() if k not in fixed)                   # takes a free one
    return [{"color": PALETTE[k % len(PALETTE)], "ls": LINESTYLES[k % len(LINESTYLES)],
             "marker": MARKERS[k % len(MARKERS)]}
            for k in (k if k is not None else next(free) for k in fixed)]


def number(value: float) -> str:
    """A number as alt text and titles print it: 4 significant digits, stable across runs."""
    return f"{value:.4g}"
