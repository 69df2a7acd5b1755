"""Rule chain_tables."""

from cldm import job
from cldm.stages.chain_tables import chain_tables


def main(sm):
    transfer = {p: (f, sm.params.transfer[p]) for p, f in zip(sm.params.transfer, sm.input.transfer)}
    chain_tables(sm.params.physics, list(sm.input.observables), list(sm.input.quality), list(sm.input.diagnostics),
                 transfer, sm.output.csv, sm.output.md, sm.output.tex, sm.params.code)


job.run(snakemake, "chain_tables", main)  # noqa: F821
