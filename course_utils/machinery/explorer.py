"""The explorers' machinery: a redraw takes 100 ms at most (benchmarks/explorers.py): blitting
(``quick_png``) and a drawing thread that merges the requests made during a draw."""
import base64
import io
import threading

import ipywidgets as W
from IPython import get_ipython               # ipywidgets needs IPython

from ..figures import course_plot, png_bytes


def quick_png(fig) -> bytes:
    """fig as a quick PNG: cropped as stored, in full colour, lightly compressed, and only the
    artists marked animated drawn anew (blitting)."""
    import numpy as np
    from PIL import Image

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
    ink = rgba.view(np.uint32)[..., 0] != 0xFFFFFFFF   # not white: 4 bytes compared as one
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    pad = round(0.1 * fig.dpi)
    if len(rows):
        rgba = rgba[max(rows[0] - pad, 0):rows[-1] + pad + 1, max(cols[0] - pad, 0):cols[-1] + pad + 1]
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(out, format="png", compress_level=1)
    return out.getvalue()


class Explorer(W.VBox):
    """Controls above ``draw(self)``'s ``figure``, redrawn (at once outside a kernel) when a
    watched control changes; the first, small, is also the display data's image/png (nbval)."""

    def __init__(self, kind: str, controls: list, draw, watch: list):
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.image.add_class("course-figure")
        # flex-start: the figure keeps its own size instead of being stretched (and blurred)
        super().__init__(children=[*controls, self.image], layout=W.Layout(align_items="flex-start"))
        self._dom_classes = ("course-explorer", f"course-{kind}")
        self._draw, self.figure, self.draws = course_plot(draw), None, 0
        self.threaded = hasattr(get_ipython(), "kernel")
        self._state = threading.Condition()
        self._asked = self._drawn = 0          # requests made, requests drawn
        self._thread = None                    # the drawing thread, while it has work
        self._one_at_a_time = threading.Lock()
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

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every request made so far is drawn; False if timeout ran out first."""
        with self._state:
            return self._state.wait_for(lambda: self._drawn >= self._asked, timeout)

    def _work(self) -> None:
        target = None
        try:
            while True:
                with self._state:
                    if target is not None:
                        self._drawn = target
                        self._state.notify_all()
                    if self._drawn >= self._asked:
                        self._thread = None
                        return
                    target = self._asked       # everything asked until now: one draw
                self._show()
        except BaseException:                  # a failed draw: the next request starts afresh
            with self._state:
                self._thread, self._drawn = None, self._asked
                self._state.notify_all()
            raise

    def _show(self, quick: bool = True) -> None:
        with self._one_at_a_time:
            figure = self._draw(self)
            png = quick_png(figure) if quick else png_bytes(figure, tight=True, compact=True)
            self.figure, self.draws = figure, self.draws + 1
            self.image.value = png

    def _repr_mimebundle_(self, **kwargs):    # the widget, and its figure for the stored notebook
        data = super()._repr_mimebundle_(**kwargs) or {}
        data["text/plain"] = f"{self.figure.alt} (Interactive: run the cell to use the controls.)"
        data["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return data
