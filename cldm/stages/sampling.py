"""Stage sample: DM samples of one ensemble member."""

from __future__ import annotations

import sys

import numpy as np
import torch

from cldm.analysis.budget import data_phi2_errors, data_z2_errors, phi2_errors, samples_needed, z2_errors
from cldm.analysis.split import member_chains
from cldm.coords import to_complex
from cldm.dm.checkpoint import load_model
from cldm.dm.device import resolve_device
from cldm.dm.field_model import FieldScoreNet
from cldm.dm.model import ScoreNet
from cldm.dm.sample import Draw, batch_sizes, concat, draw_batches, mh_sigmas
from cldm.io import load_chains, save_samples
from cldm.provenance import derive_seed, provenance
from cldm.settings.sampling import Sampling
from cldm.settings.training import Training


def sample_member(point: str, member: int, settings: Sampling, seed: int, model_path: str, samples_path: str,
                  code: str | None = None, device: str = "cpu", progress: bool = False,
                  training: Training | None = None, cl_path: str | None = None, sites: int | None = None) -> None:
    """Draws of member k's model with the chosen sampler, from the stream (seed, 'sample', point, k):
    settings.samples of them, or, where that is null, as many as its error budget asks
    (`cldm.analysis.budget`: a pilot, then more until the sampling error of <z^2> is error_ratio of
    the CL error of the member's training chains, read from `cl_path` with the `training` split).
    Samplers with a control variate add the reference samples and their exact Gaussian law; a
    Metropolis-adjusted sampler its acceptance rate at each level (`acceptance`, at the noise levels
    `mh_sigma`), also written to the log (stderr).

    A field model (a chain point) draws fields of its training L, or of `sites` sites (the size
    transfer, from the stream (seed, 'sample', point, k, sites)); its budget is that of the site
    average <phi^2> (at `sites`, against the training chains' error at L); the archive holds z (and
    z_ref) of shape (samples, sites) flattened, and the entry `sites`. At another length a sampler
    call draws batch x L / sites fields, as many sites as at L: twice the sites a call left the
    network's activations out of cache, 1.4x slower a site at 16 sites (`benchmarks/field_speed.py`)."""
    dev = resolve_device(device)
    model = load_model(model_path, dev)
    field = isinstance(model, FieldScoreNet)
    width = 2 * (sites or model.sites) if field else model.dim
    gen = torch.Generator().manual_seed(derive_seed(seed, "sample", point, member, *([sites] if sites else [])))
    batch = max(1, settings.batch * model.sites // sites) if field and sites else settings.batch  # as many sites a call

    def draw(n: int) -> Draw:
        return draw_batches(model, model.sde, batch_sizes(n, batch), width, settings.sampler, settings.steps,
                            gen, progress=progress, device=dev, **settings.options())

    budget = {}
    if settings.samples is not None:
        result = draw(settings.samples)
    else:
        pilot = draw(settings.pilot())
        z, _ = load_chains(cl_path)
        chains = member_chains(len(z), training.ensemble, member, training.val_fraction)[0]
        errors, data_errors = (phi2_errors, data_phi2_errors) if field else (z2_errors, data_z2_errors)
        budget = dict(pilot=len(pilot.x), pilot_errors=errors(*_complex(model.cpu(), pilot, field)),
                      data_errors=data_errors(z[chains]))
        budget["samples"] = samples_needed(budget["pilot"], budget["pilot_errors"], budget["data_errors"],
                                           settings.error_ratio, settings.batch, settings.max_samples)
        model.to(dev)
        print(f"error budget of <z^2>: {budget}", file=sys.stderr, flush=True)
        result = concat([pilot, draw(budget["samples"] - budget["pilot"])]) if budget["samples"] > budget["pilot"] else pilot
    model = model.cpu()
    meta = provenance(dict(point=point, member=member, sampling=settings.params(), device=str(dev),
                           **({"budget": budget} if budget else {}), **({"sites": sites} if sites else {})), seed, code)
    z, *refs = _complex(model, result, field)
    arrays = dict(z_ref=refs[0], ref_mean=refs[1], ref_cov=refs[2]) if refs else {}
    if result.acceptance is not None:
        sigmas = mh_sigmas(model.sde, settings.mh_t_end, settings.mh_t, settings.mh_levels).numpy()
        arrays.update(acceptance=result.acceptance.double().numpy(), mh_sigma=sigmas)
        print("Metropolis acceptance per level: " + ", ".join(f"sigma {s:.3g}: {a:.3f}" for s, a in
                                                             zip(sigmas, arrays["acceptance"])), file=sys.stderr)
    save_samples(samples_path, z, meta, **arrays, **(dict(sites=np.int64(width // 2)) if field else {}))


def _complex(model: ScoreNet | FieldScoreNet, draw: Draw, field: bool = False) -> tuple[np.ndarray, ...]:
    """The samples as complex numbers in the data coordinates ((N,) for one variable, (N, sites) for
    fields), and, with a reference path, its samples and their exact Gaussian law (mean, covariance)."""

    def values(u: torch.Tensor) -> np.ndarray:
        xy = model.destandardize(u).double().numpy()
        return to_complex(xy.reshape(len(xy), -1, 2) if field else xy)

    z = values(draw.x)
    if draw.ref is None:
        return (z,)
    law = model.gaussian_law(draw.ref_var, draw.x.shape[1] // 2) if field else model.gaussian_law(draw.ref_var)
    return (z, values(draw.ref), *law)


def draw_samples(model, settings: Sampling, seed: int, device, progress: bool = False) -> tuple:
    """(z, refs): draws of a model (the ScoreNet interface, e.g. a conditioned model at one value)
    from the stream `seed`, as complex numbers, and, for samplers with a control variate, the
    reference samples and their exact Gaussian law (z_ref, ref_mean, ref_cov). settings.samples of
    them; with samples null, the pilot's count (no member's training chains set an error budget
    here: a scan states its samples)."""
    n = settings.samples if settings.samples is not None else settings.pilot()
    gen = torch.Generator().manual_seed(seed)
    draw = draw_batches(model, model.sde, batch_sizes(n, settings.batch), 2, settings.sampler, settings.steps, gen,
                        progress=progress, device=device, **settings.options())
    z, *refs = _complex(model.cpu(), draw)
    return z, (dict(z_ref=refs[0], ref_mean=refs[1], ref_cov=refs[2]) if refs else {})
