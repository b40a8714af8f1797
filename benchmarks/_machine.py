"""Machine, versions and command of a benchmark run, for its result file."""

from __future__ import annotations

import importlib.metadata as md
import os
import platform
import sys
import time


def machine_info() -> dict[str, object]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            mem_gb = round(int(fh.readline().split()[1]) / 2**20, 1)
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "logical_cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
    }


def versions(packages: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pkg in packages:
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def command_line() -> str:
    return " ".join(["python", *sys.argv])


def machine_lower_bound(Z, Zv, chunk: int) -> float:
    """Seconds for this machine's floor of exact KNN-Shapley: the distance product in float32
    and one plain sort of each validation row's float32 distances (no indices carried)."""
    import numpy as np

    return _product_and_order(Z.astype(np.float32), Zv.astype(np.float32), chunk, lambda d: d.sort(axis=1))


def product_time(Z, Zv, chunk: int) -> float:
    """Seconds for the chunked float64 distance product alone (the part of the exact kernel
    that is BLAS's, not ours)."""
    return _product_and_order(Z, Zv, chunk, lambda d: None)


def sort_lower_bound(Z, Zv, chunk: int, kind: str) -> float:
    """Seconds for what no exact KNN-Shapley avoids: the distance product and one argsort
    per validation row, in the given chunks (``kind``: numpy's argsort kind)."""
    import numpy as np

    return _product_and_order(Z, Zv, chunk, lambda d: np.argsort(d, axis=1, kind=kind))


def _product_and_order(Z, Zv, chunk: int, order) -> float:
    """Seconds for the chunked distance product (in the arrays' dtype) and ``order`` of each chunk."""
    import numpy as np

    sq = np.einsum("ij,ij->i", Z, Z)
    t0 = time.perf_counter()
    for lo in range(0, len(Zv), chunk):
        d = Zv[lo : lo + chunk] @ Z.T
        d *= -2.0
        d += sq
        order(d)
    return time.perf_counter() - t0
