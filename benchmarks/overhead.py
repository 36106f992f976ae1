"""Goal 2: what fit costs beyond a bare hand-written loop, without and with monitors.

All three train the same LeNet on the same in-memory batches and test after each
epoch. LivePlot renders its PNG figure as in a notebook (its display hook receives
the bytes; sending them to a browser is not measured). Run: python -m benchmarks.overhead
"""
from __future__ import annotations

from benchmarks.common import (BATCH, FULL, Budget, Goal, bare_loop, course_data, interleave,
                               paired_ratio, show_runs, timed_fit)

PLAIN_GOAL, MONITORED_GOAL = 5.0, 10.0  # percent more time than the bare loop


class _Sink:
    """Stands in for IPython's display: takes each rendered figure, shows nothing."""

    def __call__(self, data, raw=True, display_id=True):
        self.update(data, raw)
        return self

    def update(self, data, raw=True):
        self.last = data["image/png"]


def live_plot() -> dict:
    from course_utils.live import LivePlot
    return {"live": LivePlot(display=_Sink())}


def gradient_monitor() -> dict:
    from course_utils.monitor import GradientMonitor
    return {"monitor": GradientMonitor()}


def monitored() -> dict:
    return {**live_plot(), **gradient_monitor()}


def main(budget: Budget = FULL) -> list[Goal]:
    data = course_data(budget)
    results = interleave({
        "bare hand-written loop": bare_loop(data, budget),
        "fit": timed_fit(data, budget),
        "fit + LivePlot + GradientMonitor": timed_fit(data, budget, extras=monitored),
        "fit + LivePlot": timed_fit(data, budget, extras=live_plot),
        "fit + GradientMonitor": timed_fit(data, budget, extras=gradient_monitor),
    }, budget.repeats)
    show_runs(f"2. fit overhead: LeNet, batch {BATCH}, {budget.epochs} epochs x "
              f"{len(data.train)} digits, {budget.repeats} runs each (interleaved)", results)
    bare, plain, full, live, monitor = results.values()
    pct = {name: 100 * (paired_ratio(bare, runs) - 1) for name, runs in
           (("fit", plain), ("full", full), ("live", live), ("monitor", monitor))}
    plain_pct, full_pct = pct["fit"], pct["full"]
    print(f"    time beyond the bare loop (median of paired runs): fit {plain_pct:+.1f}%, with "
          f"LivePlot + GradientMonitor {full_pct:+.1f}% (LivePlot alone {pct['live']:+.1f}%, "
          f"GradientMonitor alone {pct['monitor']:+.1f}%)\n")
    return [Goal("2. fit overhead, no monitors", f"{plain_pct:+.1f}%", f"<= {PLAIN_GOAL:g}%",
                 plain_pct <= PLAIN_GOAL),
            Goal("2. fit overhead, LivePlot + GradientMonitor", f"{full_pct:+.1f}%",
                 f"<= {MONITORED_GOAL:g}%", full_pct <= MONITORED_GOAL)]


if __name__ == "__main__":
    main()
