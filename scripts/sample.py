"""Rule sample: samples of one ensemble member's score model."""

from cldm import job
from cldm.io import save_samples
from cldm.provenance import derive_seed, provenance
from cldm.sample import generate
from cldm.train import load_model


def main(sm):
    s, point, k = sm.params.settings, sm.wildcards.point, int(sm.wildcards.k)
    model = load_model(sm.input.model)
    opts = {"heun": dict(churn=s["churn"]), "pc": dict(snr=s["snr"]), "em": {}, "ei": {}}[s["sampler"]]
    draw = generate(model, model.sde, s["samples"], 2, s["sampler"], s["steps"], derive_seed(sm.params.seed, "sample", point, k),
                    s["batch"], progress=True, **opts)
    meta = provenance(dict(point=point, member=k, sampling=s), sm.params.seed)
    refs = {}
    if draw.ref is not None:
        ref_mean, ref_cov = model.gaussian_law(draw.ref_var)
        refs = dict(z_ref=_complex(model.destandardize(draw.ref)), ref_mean=ref_mean, ref_cov=ref_cov)
    save_samples(sm.output[0], _complex(model.destandardize(draw.x)), meta, **refs)


def _complex(xy):
    xy = xy.double().numpy()
    return xy[:, 0] + 1j * xy[:, 1]


job.run(snakemake, "sample", main)  # noqa: F821
