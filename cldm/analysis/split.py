"""Which CL chains each ensemble member trains and validates on."""

from __future__ import annotations

import numpy as np


def member_chains(chains: int, ensemble: int, member: int, val_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint shares of the chains: member k gets chains k, k+K, k+2K, ...; the last
    `val_fraction` of its share (at least one chain) is held out for validation.

    Disjoint shares make the members' spread include the statistical noise of the CL data.
    """
    n_train, n_val = share_size(chains, ensemble, member, val_fraction)
    share = np.arange(member, chains, ensemble)
    return share[:n_train], share[n_train:]


def share_size(chains: int, ensemble: int, member: int, val_fraction: float) -> tuple[int, int]:
    """(training, validation) chains of member k's share, without building it: the sizes of
    `member_chains`. The last member's share is the smallest. Raises ValueError for a share of
    fewer than 2 chains (one to train on, one to validate)."""
    size = len(range(member, chains, ensemble))
    if size < 2:
        raise ValueError(f"{chains} chains are too few for an ensemble of {ensemble} with a validation split "
                         f"(member {member} gets {size}; each needs 2: at least {2 * ensemble} chains)")
    n_val = max(1, round(val_fraction * size))
    return size - n_val, n_val


def held_out(chains: int, ensemble: int, val_fraction: float) -> np.ndarray:
    """The chains no member trained on (the union of the validation shares)."""
    return np.sort(np.concatenate([member_chains(chains, ensemble, k, val_fraction)[1] for k in range(ensemble)]))
