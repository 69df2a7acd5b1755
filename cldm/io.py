"""Atomic, pickle-free result files: sample archives (.npz), JSON and CSV with provenance."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from cldm import CldmError

if TYPE_CHECKING:  # pandas is imported where a CSV is read (0.4 s, which jobs that write none skip)
    import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yield a temporary path next to `path` (same suffix); rename it onto `path` on success only."""
    directory, name = os.path.split(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    stem, suffix = os.path.splitext(name)
    fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=f".tmp{suffix}", dir=directory)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_samples(path: str, z: np.ndarray, provenance: dict, **arrays: np.ndarray) -> None:
    """Write `z` (complex128, one entry per sample), extra arrays and JSON provenance to an .npz."""
    if not np.all(np.isfinite(z)):
        raise CldmError(f"refusing to write {path}: {int(np.sum(~np.isfinite(z)))} non-finite samples")
    with atomic_path(path) as tmp:
        np.savez(tmp, z=np.asarray(z, dtype=np.complex128).ravel(), provenance=json.dumps(provenance), **arrays)


def load_samples(path: str) -> dict:
    """Read a sample archive without pickle; a truncated or corrupt file is named in the error."""
    try:
        with np.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
        data["provenance"] = json.loads(str(data["provenance"]))
        data["z"]
    except Exception as err:  # noqa: BLE001 - any failure here means a bad file
        raise CldmError(f"cannot read samples from {path}: {err}") from err
    return data


def load_chains(path: str) -> tuple[np.ndarray, dict]:
    """CL samples of an archive written with `chains`, as shape (chains, samples) for one variable
    and (chains, samples, sites) for a field (an archive with a `sites` entry), and the archive."""
    data = load_samples(path)
    if "chains" not in data:
        raise CldmError(f"{path} holds no chain structure (no 'chains' entry): not a CL sample archive")
    sites = (int(data["sites"]),) if "sites" in data else ()
    return data["z"].reshape(int(data["chains"]), -1, *sites), data


def load_fields(path: str) -> tuple[np.ndarray, dict]:
    """The samples of an archive of fields (one with a `sites` entry: DM samples of a chain point)
    as shape (samples, sites), and the archive."""
    data = load_samples(path)
    if "sites" not in data:
        raise CldmError(f"{path} holds one variable per sample (no 'sites' entry), not fields")
    return data["z"].reshape(-1, int(data["sites"])), data


def write_json(path: str, obj: dict) -> None:
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def read_json(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def write_csv(path: str, df: pd.DataFrame, provenance: dict | None = None) -> None:
    """CSV whose first line, if given, is '# provenance: {json}' (read with comment='#')."""
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        if provenance is not None:
            f.write(f"# provenance: {json.dumps(provenance, sort_keys=True)}\n")
        df.to_csv(f, index=False, float_format="%.10g")


def read_csv(path: str) -> pd.DataFrame:
    import pandas as pd

    return pd.read_csv(path, comment="#")


def write_text(path: str, text: str) -> None:
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        f.write(text)
