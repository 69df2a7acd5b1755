"""Diffusion models on disk: weights, their family, the settings that built them and their
provenance, pickle-free."""

from __future__ import annotations

import torch

from cldm import CldmError
from cldm.dm.families import FAMILIES
from cldm.io import atomic_path
from cldm.settings.training import Training


def save_model(model: torch.nn.Module, cfg: Training, path: str, provenance: dict, family: str = "score") -> None:
    """state_dict + family + settings + provenance, loadable with weights_only=True (written atomically)."""
    # through a file object: the archive's inner names are then fixed, not taken from the temporary
    # file's name, so the same model gives the same bytes
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        torch.save(dict(state_dict=model.state_dict(), family=family, config=cfg.as_dict(), provenance=provenance), f)


def load_model(path: str, device: str | torch.device = "cpu") -> torch.nn.Module:
    """Rebuild the model of a file written by save_model; names the file if it is unreadable."""
    try:
        ckpt = torch.load(path, weights_only=True, map_location="cpu")
        family = FAMILIES[ckpt["family"]]
        model = family.restore(family.settings.from_dict(ckpt["config"]), ckpt["state_dict"])
        model.load_state_dict(ckpt["state_dict"])
    except Exception as err:  # noqa: BLE001 - any failure here means a bad file
        raise CldmError(f"cannot load score model {path}: {err}") from err
    return model.requires_grad_(False).eval().to(device)
