"""Rule sample: samples of one ensemble member's score model."""


from cldm import job
from cldm.io import save_samples
from cldm.provenance import derive_seed, provenance
from cldm.sample import generate
from cldm.train import load_model


def main(sm):
    s, point, k = sm.params.settings, sm.wildcards.point, int(sm.wildcards.k)
    model = load_model(sm.input.model)
    opts = {"heun": dict(churn=s["churn"]), "pc": dict(snr=s["snr"]), "em": {}}[s["sampler"]]
    u = generate(model, model.sde, s["samples"], 2, s["sampler"], s["steps"], derive_seed(sm.params.seed, "sample", point, k), s["batch"], progress=True, **opts)
    xy = model.destandardize(u).double().numpy()
    meta = provenance(dict(point=point, member=k, sampling=s), sm.params.seed)
    save_samples(sm.output[0], xy[:, 0] + 1j * xy[:, 1], meta)


job.run(snakemake, "sample", main)  # noqa: F821
