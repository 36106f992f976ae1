"""Goal 6: the explorers answer as you drag (course_utils.widgets).

In the kernel (this process, each explorer drawing on its own thread as in a kernel): the
time from a control's new value to the new PNG in the image widget, median and 95th
percentile of 20 changes, for the optimizer playground (notebook 04's, learning-rate
slider) and the gradient inspector (notebook 03's, 40 records, step slider); a fast drag
(20 values 5 ms apart) must draw fewer figures than values, and the last value's.
For the learning-rate explorer (notebook 05's): Train pressed to the first curve, and
to the end of the run.

End to end in JupyterLab in Chromium (tests/browser_lab.py): an arrow key on the slider's
handle to the new figure decoded and painted in the page, median of 10; Train pressed to
the first curve on screen, and to the run's last figure (median of 3 runs).
Run: python -m benchmarks --only explorers
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import nbformat

from benchmarks.common import FULL, Budget, Goal

KERNEL_GOAL_MS, BROWSER_GOAL_MS, FIRST_CURVE_GOAL_MS = 100, 250, 1000
# The explorers as the notebooks show them (03, 04, 05), for the kernel and for JupyterLab.
SETUP = """import torch
import course_utils as cu
from course_utils import widgets
cu.setup(seed=0)
data = cu.load_mnist(verbose=False)"""
PLAYGROUND = """widgets.optimizer_playground("ravine", optimizer_names=("sgd", "momentum", "adam"), lr=0.1)"""
RECORD = """net = cu.LeNet()
optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
monitor, conv1_grads = cu.GradientMonitor(), []
for step, (x, y) in zip(range(40), data.train.batches(64, shuffle=True, seed=0)):
    cu.train_step(net, x, y, optimizer, monitor=monitor)
    conv1_grads.append(net.conv1.weight.grad.clone())"""
INSPECTOR = "widgets.gradient_inspector(monitor, filter_grads=conv1_grads)"
LR_EXPLORER = "widgets.learning_rate_explorer(cu.LeNet, data)"


def ms(seconds: list[float]) -> list[float]:
    return [1000 * s for s in seconds]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def build() -> dict:
    """The three explorers, built in this process as the notebooks build them."""
    namespace: dict = {}
    exec(SETUP + "\n" + RECORD, namespace)
    explorers = {name: eval(code, namespace) for name, code in
                 (("playground", PLAYGROUND), ("inspector", INSPECTOR), ("lr", LR_EXPLORER))}
    for explorer in explorers.values():
        explorer.threaded = True          # as in a kernel: draws on a thread, requests merge
    return explorers


def redraw_times(explorer, control, values) -> list[float]:
    """Seconds from control.value = v to the new image, for each v."""
    times = []
    for value in values:
        start = time.perf_counter()
        control.value = value
        explorer.wait()
        times.append(time.perf_counter() - start)
    return times


def fast_drag(explorer, control, values, interval_s: float = 0.005) -> tuple[int, float, bool]:
    """Set values interval_s apart, as a drag does: (figures drawn, seconds from the last
    value to its figure, whether the last figure is the last value's)."""
    drawn = []
    real_draw = explorer._draw

    def noting_draw(e):
        drawn.append(control.value)
        return real_draw(e)

    explorer._draw = noting_draw
    try:
        for value in values:
            control.value = value
            last = time.perf_counter()
            time.sleep(interval_s)
        explorer.wait()
        return len(drawn), time.perf_counter() - last, drawn[-1] == values[-1]
    finally:
        explorer._draw = real_draw


def train_times(explorer) -> tuple[float, float]:
    """Seconds from Train pressed to the first new image, and to the last one of the run."""
    shown = []
    watch = lambda change: shown.append(time.perf_counter())  # noqa: E731
    explorer.image.observe(watch, names="value")
    try:
        start = time.perf_counter()
        explorer.click()
        explorer.thread.join()
        explorer.wait()
        return shown[0] - start, shown[-1] - start
    finally:
        explorer.image.unobserve(watch, names="value")


def counts(budget: Budget) -> tuple[int, int, int]:
    """(changes in the kernel, changes in the browser, Train runs): 20, 10, 3 in full."""
    return (20, 10, 3) if budget.repeats > 1 else (4, 2, 1)


def in_the_kernel(budget: Budget) -> dict:
    changes, _, train_runs = counts(budget)
    explorers = build()
    playground, inspector, lr = explorers["playground"], explorers["inspector"], explorers["lr"]
    rate = playground.controls["learning rate"]
    step = inspector.children[0].children[1]
    rates = [0.1 * 10 ** (0.05 * (k % 10 - 5)) for k in range(changes + 1)]
    steps = [(7 * k) % 40 for k in range(1, changes + 1)]
    result = {"playground": ms(redraw_times(playground, rate, rates[1:])),
              "inspector": ms(redraw_times(inspector, step, steps))}
    draws, settle, latest = fast_drag(playground, rate, [0.05 + 0.005 * k for k in range(20)])
    result["drag"] = (draws, 1000 * settle, latest)
    runs = [train_times(lr) for _ in range(train_runs)]
    result["first curve"] = ms([first for first, _ in runs])
    result["whole run"] = ms([whole for _, whole in runs])
    return result


def in_jupyterlab(budget: Budget) -> dict | str:
    """The same in JupyterLab in Chromium; a sentence saying why not, without them."""
    from tests import browser_lab as jupyterlab

    _, changes, train_runs = counts(budget)
    chromium = jupyterlab.find_chromium()
    if chromium is None:
        return ("not measured: Chromium or Python Playwright missing (apt-get install chromium; "
                "pip install -e '.[test]')")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root, home = Path(tmp) / "root", Path(tmp) / "home"
        root.mkdir()
        home.mkdir()
        cells = [SETUP + "\n" + RECORD, PLAYGROUND, INSPECTOR, LR_EXPLORER]
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                     "language": "python"}
        nbformat.write(nb, root / "explorers.ipynb")
        lab = jupyterlab.Lab(root, home, env={"COURSE_PROGRESS": "0"})
        try:
            lab.start()
            with sync_playwright() as p:
                browser = jupyterlab.launch_chromium(p, chromium)
                try:
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    page.set_default_timeout(60_000)
                    jupyterlab.open_notebook(page, lab, "explorers.ipynb")
                    outcome = jupyterlab.run_all(page)
                    if outcome != "done":
                        return f"not measured: the explorers' notebook ended with {outcome!r}"
                    playground = page.locator(".course-optimizer-playground").first
                    inspector = page.locator(".course-gradient-inspector").first
                    explorer = page.locator(".course-learning-rate-explorer").first
                    result = {
                        "playground": jupyterlab.slider_latency(
                            page, playground, ".course-learning-rate", changes),
                        "inspector": jupyterlab.slider_latency(
                            page, inspector, ".course-step", changes)}
                    runs = [jupyterlab.train_latency(page, explorer) for _ in range(train_runs)]
                    result["first curve"] = [first for first, _ in runs]
                    result["whole run"] = [whole for _, whole in runs]
                    return result
                finally:
                    browser.close()
        finally:
            lab.stop()


def main(budget: Budget = FULL) -> list[Goal]:
    print("6. Explorers: a control changed to the new figure (ms)")
    changes, browser_changes, _ = counts(budget)
    kernel = in_the_kernel(budget)
    for name in ("playground", "inspector"):
        times = kernel[name]
        print(f"    kernel  {name:<12} median {statistics.median(times):6.1f}  "
              f"p95 {p95(times):6.1f}   (of {len(times)})")
    draws, settle, latest = kernel["drag"]
    print(f"    kernel  fast drag: 20 values 5 ms apart -> {draws} figures drawn, the last "
          f"value's {settle:.0f} ms after it{'' if latest else ' (NOT the last value)'}")
    for name in ("first curve", "whole run"):
        print(f"    kernel  Train -> {name:<12} median {statistics.median(kernel[name]):6.0f}   "
              f"runs: {' '.join(f'{v:.0f}' for v in kernel[name])}")
    browser = in_jupyterlab(budget)
    if isinstance(browser, str):
        print(f"    JupyterLab: {browser}")
    else:
        for name in ("playground", "inspector"):
            print(f"    browser {name:<12} median {statistics.median(browser[name]):6.1f}   "
                  f"each: {' '.join(f'{v:.0f}' for v in browser[name])}")
        for name in ("first curve", "whole run"):
            print(f"    browser Train -> {name:<12} median "
                  f"{statistics.median(browser[name]):6.0f}   "
                  f"runs: {' '.join(f'{v:.0f}' for v in browser[name])}")
    print()
    goals = [Goal(f"6. {name} redraw in the kernel, median of {changes}",
                  f"{statistics.median(kernel[key]):.0f} ms (p95 {p95(kernel[key]):.0f})",
                  f"<= {KERNEL_GOAL_MS} ms", statistics.median(kernel[key]) <= KERNEL_GOAL_MS)
             for name, key in (("playground", "playground"), ("gradient inspector", "inspector"))]
    goals.append(Goal("6. a fast drag draws only the latest values",
                      f"{draws} figures for 20 values, the last one's "
                      f"{'shown' if latest else 'NOT shown'}", "fewer figures than values",
                      draws < 20 and latest))
    for name, key in (("playground", "playground"), ("gradient inspector", "inspector")):
        if isinstance(browser, str):
            goals.append(Goal(f"6. {name} in JupyterLab", browser, f"<= {BROWSER_GOAL_MS} ms",
                              False))
        else:
            median = statistics.median(browser[key])
            goals.append(Goal(f"6. {name} in JupyterLab, slider to figure on screen, median "
                              f"of {browser_changes}", f"{median:.0f} ms",
                              f"<= {BROWSER_GOAL_MS} ms", median <= BROWSER_GOAL_MS))
    first = kernel["first curve"] if isinstance(browser, str) else browser["first curve"]
    where = "in the kernel (no browser)" if isinstance(browser, str) else "on screen"
    goals.append(Goal(f"6. learning-rate explorer, Train to first curve {where}",
                      f"{statistics.median(first):.0f} ms", f"<= {FIRST_CURVE_GOAL_MS} ms",
                      statistics.median(first) <= FIRST_CURVE_GOAL_MS))
    return goals
