"""Rule trust."""

from cldm import job
from cldm.stages.trust import study_trust


def main(sm):
    study_trust(sm.params.physics, list(sm.input.moments), list(sm.input.diagnostics), sm.output.csv, sm.output.md,
                sm.output.tex, sm.params.code)


job.run(snakemake, "trust", main)  # noqa: F821
