"""Goal 1: load_mnist + fit versus the PyTorch examples' textbook MNIST pipeline.

Same LeNet, same seeds, same SGD settings, same digits, same number of samples:
only the way batches are made differs. Run: python -m benchmarks.pipeline
"""
from __future__ import annotations

import tempfile

from benchmarks.common import (BATCH, FULL, LR, MOMENTUM, Budget, Goal, course_data,
                               interleave, median, show_runs, textbook_loop, timed_fit,
                               write_torchvision_mnist)

SPEEDUP_GOAL, ACCURACY_GOAL = 3.0, 0.5  # x samples/s; percentage points


def main(budget: Budget = FULL) -> list[Goal]:
    data = course_data(budget)
    with tempfile.TemporaryDirectory() as root:
        write_torchvision_mnist(root, budget.n_train)
        results = interleave({
            "course: load_mnist + fit": timed_fit(data, budget),
            "textbook: MNIST + DataLoader": textbook_loop(root, budget),
            "textbook, num_workers=2": textbook_loop(root, budget, workers=2),
        }, budget.repeats)
    show_runs(f"1. Training pipeline: LeNet, SGD lr={LR} momentum={MOMENTUM}, batch {BATCH}, "
              f"{budget.epochs} epochs x {len(data.train)} digits, {budget.repeats} runs each "
              "(interleaved), test on the same 1000 digits", results)
    (course, textbook, workers) = (results[k] for k in results)
    speedup = median(course, "samples_per_s") / median(textbook, "samples_per_s")
    vs_workers = median(course, "samples_per_s") / median(workers, "samples_per_s")
    points = 100 * abs(median(course, "accuracy") - median(textbook, "accuracy"))
    print(f"    ratio course/textbook {speedup:.2f}x (course/num_workers=2 {vs_workers:.2f}x); "
          f"test accuracy differs by {points:.1f} points\n")
    return [Goal("1. pipeline speed, course/textbook", f"{speedup:.2f}x", f">= {SPEEDUP_GOAL:g}x",
                 speedup >= SPEEDUP_GOAL),
            Goal("1. test accuracy difference", f"{points:.1f} points",
                 f"<= {ACCURACY_GOAL} points", points <= ACCURACY_GOAL)]


if __name__ == "__main__":
    main()
