"""Stage sample: DM samples of one ensemble member."""

from __future__ import annotations

import sys

from cldm.coords import to_complex
from cldm.dm.checkpoint import load_model
from cldm.dm.device import resolve_device
from cldm.dm.sample import generate, mh_sigmas
from cldm.io import save_samples
from cldm.provenance import derive_seed, provenance
from cldm.settings.sampling import Sampling


def sample_member(point: str, member: int, settings: Sampling, seed: int, model_path: str, samples_path: str,
                  code: str | None = None, device: str = "cpu", progress: bool = False) -> None:
    """settings.samples draws of member k's model with the chosen sampler, from the stream
    (seed, 'sample', point, k); samplers with a control variate add the reference samples and
    their exact Gaussian law; a Metropolis-adjusted sampler its acceptance rate at each level
    (`acceptance`, at the noise levels `mh_sigma`), also written to the log (stderr)."""
    dev = resolve_device(device)
    model = load_model(model_path, dev)
    draw = generate(model, model.sde, settings.samples, 2, settings.sampler, settings.steps,
                    derive_seed(seed, "sample", point, member), settings.batch, progress=progress, device=dev,
                    **settings.options())
    model = model.cpu()
    meta = provenance(dict(point=point, member=member, sampling=settings.params(), device=str(dev)), seed, code)
    refs = {}
    if draw.ref is not None:
        ref_mean, ref_cov = model.gaussian_law(draw.ref_var)
        refs = dict(z_ref=to_complex(model.destandardize(draw.ref).double().numpy()), ref_mean=ref_mean, ref_cov=ref_cov)
    if draw.acceptance is not None:
        sigmas = mh_sigmas(model.sde, settings.mh_t_end, settings.mh_t, settings.mh_levels).numpy()
        refs.update(acceptance=draw.acceptance.double().numpy(), mh_sigma=sigmas)
        print("Metropolis acceptance per level: " + ", ".join(f"sigma {s:.3g}: {a:.3f}" for s, a in
                                                             zip(sigmas, refs["acceptance"])), file=sys.stderr)
    save_samples(samples_path, to_complex(model.destandardize(draw.x).double().numpy()), meta, **refs)
