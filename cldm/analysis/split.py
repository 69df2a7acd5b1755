"""Which CL chains each ensemble member trains and validates on."""

from __future__ import annotations

import numpy as np


def member_chains(chains: int, ensemble: int, member: int, val_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint shares of the chains: member k gets chains k, k+K, k+2K, ...; the last
    `val_fraction` of its share (at least one chain) is held out for validation.

    Disjoint shares make the members' spread include the statistical noise of the CL data.
    """
    share = np.arange(member, chains, ensemble)
    if share.size < 2:
        raise ValueError(f"{chains} chains are too few for an ensemble of {ensemble} with a validation split")
    n_val = max(1, round(val_fraction * share.size))
    return share[:-n_val], share[-n_val:]


def held_out(chains: int, ensemble: int, val_fraction: float) -> np.ndarray:
    """The chains no member trained on (the union of the validation shares)."""
    return np.sort(np.concatenate([member_chains(chains, ensemble, k, val_fraction)[1] for k in range(ensemble)]))
