"""Stage sample: DM samples of one ensemble member."""

from __future__ import annotations

import numpy as np

from cldm.coords import to_complex
from cldm.dm.checkpoint import load_model
from cldm.dm.device import resolve_device
from cldm.dm.field_model import FieldScoreNet
from cldm.dm.sample import generate
from cldm.io import save_samples
from cldm.provenance import derive_seed, provenance
from cldm.settings.sampling import Sampling


def sample_member(point: str, member: int, settings: Sampling, seed: int, model_path: str, samples_path: str,
                  code: str | None = None, device: str = "cpu", progress: bool = False, sites: int | None = None) -> None:
    """settings.samples draws of member k's model with the chosen sampler, from the stream
    (seed, 'sample', point, k); samplers with a control variate add the reference samples and
    their exact Gaussian law.

    A field model (a chain point) draws fields of its training L, or of `sites` sites (the size
    transfer, from the stream (seed, 'sample', point, k, sites)); the archive holds z (and z_ref)
    of shape (samples, sites) flattened, and the entry `sites`."""
    dev = resolve_device(device)
    model = load_model(model_path, dev)
    field = isinstance(model, FieldScoreNet)
    width = 2 * (sites or model.sites) if field else model.dim
    stream = derive_seed(seed, "sample", point, member, *([sites] if sites else []))
    draw = generate(model, model.sde, settings.samples, width, settings.sampler, settings.steps, stream, settings.batch,
                    progress=progress, device=dev, **settings.options())
    model = model.cpu()
    params = dict(point=point, member=member, sampling=settings.params(), device=str(dev), **({"sites": sites} if sites else {}))
    meta = provenance(params, seed, code)
    def values(u):  # complex values (samples, sites) of rows u, or (samples,) for one variable
        xy = model.destandardize(u).double().numpy()
        return to_complex(xy.reshape(len(xy), -1, 2) if field else xy)

    refs = dict(sites=np.int64(width // 2)) if field else {}
    if draw.ref is not None:
        ref_mean, ref_cov = model.gaussian_law(draw.ref_var, width // 2) if field else model.gaussian_law(draw.ref_var)
        refs |= dict(z_ref=values(draw.ref), ref_mean=ref_mean, ref_cov=ref_cov)
    save_samples(samples_path, values(draw.x), meta, **refs)
