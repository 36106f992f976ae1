"""Goal 2: what fit costs beyond a bare hand-written loop, without and with monitors.

All three train the same LeNet on the same in-memory batches and test after each
epoch. LivePlot renders its PNG figure as in a notebook (its display hook receives
the bytes; sending them to a browser is not measured). Run: python -m benchmarks --only overhead
"""
from __future__ import annotations

from dataclasses import replace

from benchmarks.common import (BATCH, FULL, Budget, Goal, bare_loop, course_data, interleave,
                               paired_ratio, show_runs, timed_fit)

PLAIN_GOAL, MONITORED_GOAL = 5.0, 10.0  # percent more time than the bare loop
COURSE_EPOCHS = 8  # notebook 05 trains 8 epochs with the live plot: the course's setting


class _Sink:
    """Stands in for IPython's display: takes each rendered figure, shows nothing."""

    def __call__(self, data, raw=True, display_id=True):
        self.update(data, raw)
        return self

    def update(self, data, raw=True):
        self.last = data.get("image/png", self.__dict__.get("last"))  # the last is text only


def live_plot() -> dict:
    from course_utils.machinery.live import LivePlot
    return {"live": LivePlot(display=_Sink())}


def gradient_monitor(every: int = 10) -> dict:
    from course_utils.monitor import GradientMonitor
    return {"monitor": GradientMonitor(every=every)}


def monitored() -> dict:
    """The course's setting for a whole run: live plot, gradients every 10 steps."""
    return {**live_plot(), **gradient_monitor(every=10)}


def monitored_every_step() -> dict:
    return {**live_plot(), **gradient_monitor(every=1)}


def main(budget: Budget = FULL) -> list[Goal]:
    if budget == FULL:  # the fixed cost of the first and last figure weighs as in the course
        budget = replace(budget, epochs=COURSE_EPOCHS)
    data = course_data(budget)
    results = interleave({
        "bare hand-written loop": bare_loop(data, budget),
        "fit": timed_fit(data, budget),
        "fit + LivePlot + GradientMonitor(every=10)": timed_fit(data, budget, extras=monitored),
        "fit + LivePlot": timed_fit(data, budget, extras=live_plot),
        "fit + LivePlot + GradientMonitor(every=1)": timed_fit(data, budget,
                                                              extras=monitored_every_step),
    }, budget.repeats)
    show_runs(f"2. fit overhead: LeNet, batch {BATCH}, {budget.epochs} epochs x "
              f"{len(data.train)} digits, {budget.repeats} runs each (interleaved)", results)
    bare, plain, full, live, every_step = results.values()
    pct = {name: 100 * (paired_ratio(bare, runs) - 1) for name, runs in
           (("fit", plain), ("full", full), ("live", live), ("every_step", every_step))}
    plain_pct, full_pct = pct["fit"], pct["full"]
    print(f"    time beyond the bare loop (median of paired runs): fit {plain_pct:+.1f}%, with "
          f"LivePlot + GradientMonitor(every=10) {full_pct:+.1f}% (LivePlot alone "
          f"{pct['live']:+.1f}%, with GradientMonitor(every=1) {pct['every_step']:+.1f}%)\n")
    return [Goal("2. fit overhead, no monitors", f"{plain_pct:+.1f}%", f"<= {PLAIN_GOAL:g}%",
                 plain_pct <= PLAIN_GOAL),
            Goal("2. fit overhead, LivePlot + GradientMonitor(every=10)", f"{full_pct:+.1f}%",
                 f"<= {MONITORED_GOAL:g}%", full_pct <= MONITORED_GOAL)]

