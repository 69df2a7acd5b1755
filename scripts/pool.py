"""Rule pool."""

from cldm import job
from cldm.stages.pool import pool_members

job.run(snakemake, "pool", lambda sm: pool_members(list(sm.input.samples), sm.output[0]))  # noqa: F821
