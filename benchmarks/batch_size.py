"""What the batch size does to speed and to accuracy after a fixed number of epochs.

Two step rules: SGD with momentum (the benchmarks' default, as in notebook 03) and
Adam lr=1e-3 (notebook 05). The evidence behind the course's batch size and learning
rate. Run: python -m benchmarks --only batch
"""
from __future__ import annotations

from benchmarks.common import (BATCH, FULL, LR, OPTIMIZER, Budget, Goal, course_data,
                               interleave, median, show_runs, timed_fit)

SIZES = (16, 32, 64, 128, 256)
RULES = ((OPTIMIZER, LR), ("adam", 1e-3))


def main(budget: Budget = FULL) -> list[Goal]:
    data = course_data(budget)
    repeats = min(3, budget.repeats)
    candidates = {(rule, size): timed_fit(data, budget, batch_size=size, optimizer=rule[0],
                                          lr=rule[1]) for rule in RULES for size in SIZES}
    by_key = interleave(candidates, repeats)
    results = {f"{name} lr={lr:g}, batch {size}": runs for ((name, lr), size), runs in
               by_key.items()}
    show_runs(f"Batch size: LeNet + fit, {budget.epochs} epochs x {len(data.train)} digits, "
              f"{repeats} runs each (interleaved)", results)
    speed = {key: median(runs, "samples_per_s") for key, runs in by_key.items()}
    accuracy = {key: median(runs, "accuracy") for key, runs in by_key.items()}
    default = (RULES[0], BATCH)
    for rule in RULES:
        print(f"    {rule[0]} lr={rule[1]:g}, speed vs batch {BATCH} / validation accuracy: " + ", ".join(
            f"{size}: {speed[rule, size] / speed[rule, BATCH]:.2f}x / {100 * accuracy[rule, size]:.1f}%"
            for size in SIZES))
    best = max(by_key, key=lambda key: accuracy[key])
    gap = 100 * (accuracy[best] - accuracy[default])
    print(f"    most accurate: {best[0][0]} lr={best[0][1]:g}, batch {best[1]}\n")
    return [Goal(f"default ({OPTIMIZER} lr={LR:g}, batch {BATCH}) vs the most accurate setting",
                 f"{gap:.1f} points below", "<= 1 point", gap <= 1.0)]

