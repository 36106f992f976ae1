"""The machinery of the explorers (widgets.py): controls above a figure redrawn in place.

``Explorer`` shows ``draw(explorer)``'s figure as PNG bytes in an ``ipywidgets.Image``
(no clear_output, so no flicker). The figure at the start is stored small
(``png_bytes(..., compact=True)``) and the widget's display data carries it as
``image/png`` too, so a notebook run headless (nbval, nbclient) stores a real static
figure. Live redraws answer as a slider is dragged:

- ``quick_png`` draws on the figure's own canvas and, for artists marked animated,
  only those, over a kept image of the rest (matplotlib's blitting); full colour, light
  compression: 10 to 30 ms where the stored PNG takes 100 to 200.
- In a kernel, redraws run on a drawing thread of their own, and requests that arrive
  while one is drawn merge into one draw of the latest values: stale values never queue.

Only widgets.py imports this module.
"""
from __future__ import annotations

import base64
import io
import threading

import ipywidgets as W

from ..figures import course_plot, png_bytes

IDLE_S = 10.0      # a drawing thread with nothing to draw for this long ends (the next request starts one)


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return hasattr(get_ipython(), "kernel")


def _make_room(fig, margin: float = 0.5) -> None:
    """Grow fig by margin inches on every side, everything staying where it is on the page:
    the labels that stick out of a figure (savefig's tight box keeps them) then fit its canvas."""
    w, h = fig.get_size_inches()
    width, height = w + 2 * margin, h + 2 * margin
    move = lambda x, y: ((x * w + margin) / width, (y * h + margin) / height)  # noqa: E731
    for ax in fig.axes:
        box = ax.get_position(original=True)
        ax.set_position([*move(box.x0, box.y0), box.width * w / width, box.height * h / height])
    for text in fig.texts:
        text.set_position(move(*text.get_position()))
    fig.set_size_inches(width, height)
    fig._course_room = True


def quick_png(fig) -> bytes:
    """fig as a PNG for a live view: the pixels of the stored figure, several times faster.

    The stored PNG (``png_bytes(fig, tight=True, compact=True)``) lays every text out
    afresh to find the figure's tight box, and picks the best 256 colours (50 ms more; a
    fast palette would whiten the palest colours). Here the figure gets a margin once
    (labels may stick out of it) and is drawn on its own canvas, cropped to what is drawn
    plus savefig's 0.1 inch, and stored in full colour, lightly compressed. Artists marked
    animated (``set_animated``) are drawn over a kept image of the rest of the figure,
    which must then not change.
    """
    import numpy as np
    from PIL import Image

    if not getattr(fig, "_course_room", False) and fig.get_layout_engine() is None:
        _make_room(fig)
    canvas = fig.canvas
    moving = sorted((a for ax in fig.axes for a in ax.get_children() if a.get_animated()),
                    key=lambda a: a.get_zorder())
    if moving:
        renderer, background = getattr(fig, "_course_background", (None, None))
        if renderer is not canvas.get_renderer():                # first time, or resized by savefig
            canvas.draw()                                        # everything but the moving parts
            background = canvas.copy_from_bbox(fig.bbox)
            fig._course_background = canvas.get_renderer(), background
        canvas.restore_region(background)
        for artist in moving:
            fig.draw_artist(artist)
    else:
        canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    ink = rgba.view(np.uint32)[..., 0] != np.frombuffer(b"\xff" * 4, np.uint32)[0]   # not white
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    pad = round(0.1 * fig.dpi)
    if len(rows):
        rgba = rgba[max(rows[0] - pad, 0):rows[-1] + pad + 1, max(cols[0] - pad, 0):cols[-1] + pad + 1]
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(out, format="png", compress_level=1)
    return out.getvalue()


class Explorer(W.VBox):
    """Controls above a figure; ``draw(self)`` returns the figure for the current values.

    ``figure`` is the figure shown (tests read its data); ``draws`` counts the figures
    drawn. Changing the value of any watched control calls ``request()``: drawn at once
    outside a kernel; in a kernel (``threaded``) on a drawing thread, where requests that
    arrive during a draw merge into one draw of the latest values. ``redraw()`` draws
    and returns when the image is shown; ``wait()`` waits for the requests made so far.
    """

    def __init__(self, kind: str, controls: list, draw, watch: list):
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.image.add_class("course-figure")
        # flex-start: the figure keeps its own size instead of being stretched (and blurred)
        super().__init__(children=[*controls, self.image], layout=W.Layout(align_items="flex-start"))
        self.add_class("course-explorer")
        self.add_class(f"course-{kind}")
        # course_plot: the course's style, and a figure without alt text is refused
        self.kind, self._draw, self.figure, self.draws = kind, course_plot(draw), None, 0
        self.threaded = _in_kernel()
        self._state = threading.Condition()
        self._asked = self._drawn = 0          # requests made, requests drawn
        self._thread = None
        self._drawing = threading.Lock()       # one figure drawn at a time
        for control in watch:
            control.observe(lambda change: self.request(), names="value")
        self._show(quick=False)                # the stored figure: the smallest PNG

    def request(self) -> None:
        """Redraw with the controls' values (merged with requests waiting, in a kernel)."""
        if not self.threaded:
            self._show()
            return
        with self._state:
            self._asked += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, daemon=True)
                self._thread.start()
            self._state.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every request made so far is drawn; False if timeout ran out first."""
        with self._state:
            return self._state.wait_for(lambda: self._drawn >= self._asked, timeout)

    def redraw(self) -> None:
        """Draw the current values now and return once the new image is shown."""
        self.request()
        self.wait()

    def _work(self) -> None:
        try:
            while True:
                with self._state:
                    if not self._state.wait_for(lambda: self._asked > self._drawn, IDLE_S):
                        self._thread = None
                        return
                    target = self._asked       # everything asked until now: one draw
                try:
                    self._show()
                finally:
                    with self._state:
                        self._drawn = target
                        self._state.notify_all()
        except BaseException:                  # a failed draw: the next request starts afresh
            with self._state:
                self._thread = None
            raise

    def _show(self, quick: bool = True) -> None:
        with self._drawing:
            figure = self._draw(self)
            png = quick_png(figure) if quick else png_bytes(figure, tight=True, compact=True)
            self.figure, self.draws = figure, self.draws + 1
            self.image.value = png

    def _repr_mimebundle_(self, **kwargs):
        # The widget view for JupyterLab, plus the current figure as a PNG for places
        # without a live kernel (the stored notebook, nbviewer, GitHub).
        data = super()._repr_mimebundle_(**kwargs) or {}
        data["text/plain"] = f"{self.figure.alt} (Interactive: run the cell to use the controls.)"
        data["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return data
