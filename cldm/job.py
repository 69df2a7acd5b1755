"""The glue every rule script shares: log file, thread count, allocator, and clear failure messages."""

from __future__ import annotations

import ctypes
import sys
import traceback
from collections.abc import Callable
from typing import Any

from cldm import CldmError


def run(snakemake: Any, stage: str, main: Callable[[Any], None]) -> None:
    """Run main(snakemake) with stderr (tqdm bars, warnings) in the rule's log and torch limited
    to the rule's threads. A failure is logged and repeated on the console as
    '[stage] point: message', and the script exits non-zero so Snakemake discards the outputs.
    """
    wildcards = dict(snakemake.wildcards.items())
    point = wildcards.get("point") or wildcards.get("scan", "all points")
    with open(snakemake.log[0], "w") as log:
        sys.stderr = log
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(snakemake.threads)
        keep_freed_memory()
        try:
            main(snakemake)
        except Exception as err:  # noqa: BLE001 - every failure must reach the user
            message = f"[{stage}] {point}: {err}"
            if not isinstance(err, CldmError):
                traceback.print_exc(file=log)
            print(message, file=log)
            print(message, file=sys.__stderr__)
            sys.exit(1)
        finally:
            sys.stderr = sys.__stderr__


MMAP_THRESHOLD = 32 << 20
"""Bytes from which glibc serves an allocation by mmap (and returns it when freed): its largest
allowed value (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit)."""
TRIM_THRESHOLD = 256 << 20
"""Free bytes at the top of the heap that glibc keeps instead of returning them to the system."""


def keep_freed_memory() -> bool:
    """Let glibc keep freed memory for reuse (mallopt M_MMAP_THRESHOLD and M_TRIM_THRESHOLD,
    fixed instead of glibc's sliding defaults). A training step allocates and frees ~20 MB of
    activations in 1 MB tensors; by default glibc returns them to the system at the end of the
    step and the next step faults them back in page by page, which cost the conditioned model's
    step 12% (4.57 -> 4.05 ms, `benchmarks/scan_cost.py`), as the tcmalloc or jemalloc that
    PyTorch's CPU tuning guide recommends would avoid. Allocations of 32 MB and more (CL sample
    arrays) are still returned when freed; the peak memory is unchanged. False (and nothing done)
    where the C library is not glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(-3, MMAP_THRESHOLD) and libc.mallopt(-1, TRIM_THRESHOLD))  # M_MMAP_, M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        return False
