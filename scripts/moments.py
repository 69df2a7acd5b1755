"""Rule moments: exact, CL and DM moments of one point with their error budget."""

from cldm import job
from cldm.analysis import moment_tables
from cldm.io import load_samples, write_csv
from cldm.provenance import provenance
from cldm.split import member_chains


def main(sm):
    t = sm.params.training
    cl, dm = load_samples(sm.input.cl), load_samples(sm.input.dm)
    z = cl["z"].reshape(int(cl["chains"]), -1)
    shares = [member_chains(len(z), t["ensemble"], k, t["val_fraction"])[0] for k in range(t["ensemble"])]
    table, budget = moment_tables(sm.params.physics, z, dm["z"], dm["member"], shares,
                                  dm.get("z_ref"), dm.get("ref_mean"), dm.get("ref_cov"))
    meta = provenance(dict(point=sm.wildcards.point, physics=sm.params.physics))
    write_csv(sm.output.moments, table, meta)
    write_csv(sm.output.errors, budget, meta)


job.run(snakemake, "moments", main)  # noqa: F821
