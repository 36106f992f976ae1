"""Goal 4: what `import course_utils` costs beyond `import torch`, in fresh interpreters.

`course_utils/__init__.py` imports its names explicitly (go-to-definition lands on the code),
so matplotlib loads with it: every notebook draws a figure within its first cells, so that
time moves from the first figure to the import. The import's own share is printed beside it.
ipywidgets and torchvision must stay unloaded (the explorers and the download load them).
Run: python -m benchmarks --only import
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys

from benchmarks.common import FULL, REPO, Budget, Goal

GOAL_S = 0.6
HEAVY = ("ipywidgets", "torchvision")
PROBE = f"""
import json, sys, time
start = time.perf_counter(); import torch
middle = time.perf_counter(); import matplotlib.figure
plotting = time.perf_counter(); import course_utils
end = time.perf_counter()
print(json.dumps({{"torch": middle - start, "course_utils": end - middle,
                  "matplotlib": plotting - middle, "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def measure_once() -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def main(budget: Budget = FULL) -> list[Goal]:
    runs = [measure_once() for _ in range(max(3, budget.repeats))]
    torch_s = statistics.median(r["torch"] for r in runs)
    extra_s = statistics.median(r["course_utils"] for r in runs)
    heavy = sorted({m for r in runs for m in r["heavy"]})
    plotting_s = statistics.median(r["matplotlib"] for r in runs)
    each = " ".join(f"{r['course_utils']:.3f}" for r in runs)
    print(f"4. Import time, {len(runs)} fresh interpreters\n"
          f"    import torch            median {torch_s:.3f} s\n"
          f"    import course_utils     median {extra_s:.3f} s more "
          f"(runs: {each}),\n"
          f"                            of which matplotlib {plotting_s:.3f} s, "
          f"course_utils itself {extra_s - plotting_s:.3f} s\n"
          f"    heavy modules loaded by the import: {', '.join(heavy) or 'none'}\n")
    return [Goal("4. import course_utils beyond torch", f"{extra_s:.3f} s", f"<= {GOAL_S} s",
                 extra_s <= GOAL_S),
            Goal("4. ipywidgets/torchvision not imported", ", ".join(heavy) or "none",
                 "none", not heavy)]

