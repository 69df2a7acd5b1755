"""Score models on disk: weights, the settings that built them and their provenance, pickle-free."""

from __future__ import annotations

import torch

from cldm import CldmError
from cldm.dm.model import ScoreNet
from cldm.dm.sde import VESDE
from cldm.io import atomic_path
from cldm.settings.training import Training


def save_model(model: ScoreNet, cfg: Training, path: str, provenance: dict) -> None:
    """state_dict + settings + provenance, loadable with weights_only=True (written atomically)."""
    # through a file object: the archive's inner names are then fixed, not taken from the temporary
    # file's name, so the same model gives the same bytes
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        torch.save(dict(state_dict=model.state_dict(), config=cfg.as_dict(), provenance=provenance), f)


def load_model(path: str, device: str | torch.device = "cpu") -> ScoreNet:
    """Rebuild a ScoreNet from a file written by save_model; names the file if it is unreadable."""
    try:
        ckpt = torch.load(path, weights_only=True, map_location="cpu")
        cfg = Training.from_dict(ckpt["config"])
        sd = ckpt["state_dict"]
        model = ScoreNet(VESDE(cfg.alpha), sd["mean"], sd["chol"], cfg.hidden, cfg.embed_dim, cfg.embed_scale)
        model.load_state_dict(sd)
    except Exception as err:  # noqa: BLE001 - any failure here means a bad file
        raise CldmError(f"cannot load score model {path}: {err}") from err
    return model.requires_grad_(False).eval().to(device)
