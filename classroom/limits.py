"""Memory limits for the class: a memory cgroup per student (hub) or per submission (grading).

A kernel running notebook 05 touches 1.1 to 2 GiB but maps about 5 GiB of address space
(PyTorch's libraries and allocator), so `ulimit -v` (RLIMIT_AS) cannot be a memory limit
of a few GiB: it would break `import torch`. A memory cgroup limits what the processes
really use, all of them together. Root can make one where the machine offers the memory
controller (cgroup v2, or v1's /sys/fs/cgroup/memory); elsewhere (macOS, containers
without cgroup access) memory_cgroup() returns None and the caller says the limit is not
enforced.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

CGROUPS = Path("/sys/fs/cgroup")
UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_bytes(text: str | int) -> int:
    """'3G' -> 3221225472 (K, M, G, T are powers of 1024; a plain number is bytes)."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", str(text), re.IGNORECASE)
    if not found:
        raise ValueError(f"memory size {text!r} is not a number with an optional unit. "
                         "Fix: write it like 3G, 512M or 1073741824.")
    return int(float(found.group(1)) * UNITS[found.group(2).upper()])


def _layout() -> tuple[Path, str] | None:
    """(folder that holds the course's cgroups, name of the limit file), or None."""
    v2 = CGROUPS / "cgroup.controllers"
    if v2.exists():
        if "memory" not in (CGROUPS / "cgroup.subtree_control").read_text().split():
            return None
        return CGROUPS / "course", "memory.max"
    if (CGROUPS / "memory" / "memory.limit_in_bytes").exists():
        return CGROUPS / "memory" / "course", "memory.limit_in_bytes"
    return None


def memory_cgroup(name: str, limit: int) -> Path | None:
    """A memory cgroup course/<name> limited to `limit` bytes (made or updated); None if
    this machine does not let us make one. Put a process in it with join(path)."""
    layout = _layout()
    if layout is None:
        return None
    base, limit_file = layout
    try:
        base.mkdir(exist_ok=True)
        if limit_file == "memory.max":  # v2: children of course/ get the memory controller
            (base / "cgroup.subtree_control").write_text("+memory")
        group = base / name
        group.mkdir(exist_ok=True)
        if limit_file == "memory.max":
            (group / limit_file).write_text(str(limit))
            if (group / "memory.swap.max").exists():  # no swapping around the limit either
                (group / "memory.swap.max").write_text("0")
        else:  # v1 counts memory + swap in memsw, which may never be below the memory limit
            memsw = group / "memory.memsw.limit_in_bytes"
            if memsw.exists():
                memsw.write_text("-1")
            (group / limit_file).write_text(str(limit))
            if memsw.exists():
                memsw.write_text(str(limit))
    except OSError:
        return None
    return group


def join(group: Path) -> None:
    """Move the calling process into the cgroup (its children follow it)."""
    (group / "cgroup.procs").write_text("0")


def remove(group: Path | None, wait: float = 5.0) -> None:
    """Remove a cgroup once its processes are gone (a killed process takes a moment to
    leave); one that still holds processes after `wait` seconds stays (no error)."""
    if group is None:
        return
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            if not (group / "cgroup.procs").read_text().strip():
                break
        except OSError:
            return
        time.sleep(0.05)
    try:
        group.rmdir()
    except OSError:
        pass
