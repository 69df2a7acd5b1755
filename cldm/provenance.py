"""Seeds derived from the config seed, and the provenance every result file carries."""

from __future__ import annotations

import platform
import zlib
from importlib.metadata import version

import numpy as np

PACKAGES = ("cldm", "numpy", "scipy", "torch", "pandas", "snakemake")


def derive_seed(seed: int, *keys: str | int) -> int:
    """An independent 32-bit seed for one random stream: SeedSequence([seed, *keys]).

    String keys (stage, point) enter through their CRC-32, so the same config gives the same streams.
    """
    entropy = [seed, *(k if isinstance(k, int) else zlib.crc32(k.encode()) for k in keys)]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def provenance(params: dict, seed: int | None = None, code: str | None = None) -> dict:
    """Parameters, seed, the hash of the code that made the result (cldm.codehash: the rule's script
    and the library it imports) and package versions (deterministic: no clocks, no host names)."""
    return dict(
        params=params,
        seed=seed,
        code=code,
        python=platform.python_version(),
        versions={p: _version(p) for p in PACKAGES},
    )


def _version(package: str) -> str:
    try:
        return version(package)
    except Exception:  # noqa: BLE001 - not installed: say so in the provenance
        return "not installed"
