"""Rule moments: exact, CL and DM moments of one point with their error budget."""

from cldm import job
from cldm.analysis import moment_tables
from cldm.io import load_samples, write_csv
from cldm.provenance import provenance


def main(sm):
    cl, dm = load_samples(sm.input.cl), load_samples(sm.input.dm)
    table, budget = moment_tables(sm.params.physics, cl["z"].reshape(int(cl["chains"]), -1), dm["z"], dm["member"],
                                  dm.get("z_ref"), dm.get("ref_mean"), dm.get("ref_cov"))
    meta = provenance(dict(point=sm.wildcards.point, physics=sm.params.physics))
    write_csv(sm.output.moments, table, meta)
    write_csv(sm.output.errors, budget, meta)


job.run(snakemake, "moments", main)  # noqa: F821
