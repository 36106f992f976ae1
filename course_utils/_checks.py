"""Argument checks shared by every module: one rule, one message, one place.

Each check raises a ValueError that says what was received, what was expected and
the one-line fix (the course's rule for errors), or returns the cleaned value.
Internal: the public functions call these; notebooks never do.
"""
import math

OPTIMIZER_NAMES = ("sgd", "momentum", "nesterov", "rmsprop", "adam")
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "SGD+momentum", "nesterov": "Nesterov",
                    "rmsprop": "RMSProp", "adam": "Adam"}   # as the widgets show them


def whole_number(value, name: str, fix: str, *, low: int = 1, high: int | None = None) -> int:
    """value as an int in [low, high] (bools and floats refused), else a ValueError naming fix."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
    if ok and (high is None or value <= high):
        return value
    wanted = f"an int from {low} to {high}" if high is not None else (
        "a positive int" if low == 1 else f"an int >= {low}")
    raise ValueError(f"{name} must be {wanted}, got {value!r}. Fix: {fix}.")


def learning_rate(lr, fix: str = "try lr=0.01 for SGD or lr=1e-3 for Adam") -> float:
    """lr as a float when it is a positive finite number (a 1-element tensor is fine)."""
    if hasattr(lr, "numel") and lr.numel() == 1:
        lr = lr.item()
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"The learning rate must be a positive finite number, got {lr!r}. "
                         f"Fix: {fix}.")
    return float(lr)


def one_of(value, choices: tuple, name: str, fix: str):
    """value when it is one of choices."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}. Fix: {fix}.")
    return value


def optimizer_name(name, fix: str = "make_optimizer('adam', model.parameters(), lr=1e-3)") -> str:
    """name lower-cased when it is one of OPTIMIZER_NAMES."""
    key = name.lower() if isinstance(name, str) else name
    return one_of(key, OPTIMIZER_NAMES, "optimizer_name", fix)


def monitor_with_records(monitor, fix: str):
    """monitor when it is a GradientMonitor holding at least one record."""
    if not all(hasattr(monitor, a) for a in ("histograms", "names", "steps")):
        raise ValueError(f"expected a GradientMonitor, got {type(monitor).__name__}. Fix: {fix}.")
    if not len(monitor):
        raise ValueError("The GradientMonitor has no records yet. Fix: call "
                         "monitor.record(model) after loss.backward(), or pass "
                         "monitor=monitor to fit.")
    return monitor


def expect(ok: bool, name: str, wanted: str, value, fix: str) -> None:
    """A ValueError unless ok: name must be wanted, got value's type, and the fix."""
    if not ok:
        raise ValueError(f"{name} must be {wanted}, got {type(value).__name__}. Fix: {fix}.")
