"""Stage sample: DM samples of one ensemble member."""

from __future__ import annotations

from cldm.coords import to_complex
from cldm.dm.checkpoint import load_model
from cldm.dm.device import resolve_device
from cldm.dm.sample import generate
from cldm.io import save_samples
from cldm.provenance import derive_seed, provenance
from cldm.settings.sampling import Sampling


def sample_member(point: str, member: int, settings: Sampling, seed: int, model_path: str, samples_path: str,
                  code: str | None = None, device: str = "cpu", progress: bool = False) -> None:
    """settings.samples draws of member k's model with the chosen sampler, from the stream
    (seed, 'sample', point, k); samplers with a control variate add the reference samples and
    their exact Gaussian law."""
    dev = resolve_device(device)
    z, refs = draw_samples(load_model(model_path, dev), settings, derive_seed(seed, "sample", point, member), dev,
                           progress)
    meta = provenance(dict(point=point, member=member, sampling=settings.params(), device=str(dev)), seed, code)
    save_samples(samples_path, z, meta, **refs)


def draw_samples(model, settings: Sampling, seed: int, device, progress: bool = False) -> tuple:
    """(z, refs): settings.samples draws of a model (the ScoreNet interface) from the stream `seed`,
    as complex numbers, and, for samplers with a control variate, the reference samples and their
    exact Gaussian law (z_ref, ref_mean, ref_cov)."""
    draw = generate(model, model.sde, settings.samples, 2, settings.sampler, settings.steps, seed, settings.batch,
                    progress=progress, device=device, **settings.options())
    model = model.cpu()
    refs = {}
    if draw.ref is not None:
        ref_mean, ref_cov = model.gaussian_law(draw.ref_var)
        refs = dict(z_ref=to_complex(model.destandardize(draw.ref).double().numpy()), ref_mean=ref_mean, ref_cov=ref_cov)
    return to_complex(model.destandardize(draw.x).double().numpy()), refs
