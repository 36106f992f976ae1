"""What the batch size does to speed and to accuracy after a fixed number of epochs.

The evidence behind the course's batch size and learning rate (notebook 05 shows it).
Run: python -m benchmarks.batch_size
"""
from __future__ import annotations

from benchmarks.common import (BATCH, FULL, LR, MOMENTUM, Budget, Goal, course_data,
                               interleave, median, show_runs, timed_fit)

SIZES = (16, 32, 64, 128, 256)


def main(budget: Budget = FULL) -> list[Goal]:
    data = course_data(budget)
    repeats = min(3, budget.repeats)
    results = interleave({f"batch {size}": timed_fit(data, budget, batch_size=size)
                          for size in SIZES}, repeats)
    show_runs(f"Batch size: LeNet + fit, SGD lr={LR} momentum={MOMENTUM}, {budget.epochs} "
              f"epochs x {len(data.train)} digits, {repeats} runs each (interleaved)", results)
    speed = {size: median(results[f"batch {size}"], "samples_per_s") for size in SIZES}
    accuracy = {size: median(results[f"batch {size}"], "accuracy") for size in SIZES}
    print("    relative to batch 64: " + ", ".join(
        f"{size}: {speed[size] / speed[BATCH]:.2f}x speed, {100 * accuracy[size]:.1f}% acc"
        for size in SIZES) + "\n")
    best = max(SIZES, key=lambda size: accuracy[size])
    return [Goal(f"batch {BATCH} accuracy within 1 point of the best batch size ({best})",
                 f"{100 * (accuracy[best] - accuracy[BATCH]):.1f} points below", "<= 1 point",
                 accuracy[best] - accuracy[BATCH] <= 0.01)]


if __name__ == "__main__":
    main()
