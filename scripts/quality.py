"""Rule quality: DM vs held-out CL samples, and the strip."""

from cldm import job
from cldm.fields import strip_edge
from cldm.io import load_samples, write_json
from cldm.provenance import derive_seed, provenance
from cldm.quality import dm_quality
from cldm.split import held_out


def main(sm):
    p, t, point = sm.params.physics, sm.params.training, sm.wildcards.point
    cl, dm = load_samples(sm.input.cl), load_samples(sm.input.dm)
    z = cl["z"].reshape(int(cl["chains"]), -1)
    result = dm_quality(z[held_out(len(z), t["ensemble"], t["val_fraction"])], dm["z"], strip_edge(p),
                        derive_seed(sm.params.seed, "quality", point))
    write_json(sm.output[0], dict(result, provenance=provenance(dict(point=point, physics=p), sm.params.seed)))


job.run(snakemake, "quality", main)  # noqa: F821
