# CL samples per parameter point -> score-model ensemble -> reverse-SDE samples -> moments,
# tables, figures. `snakemake --cores 2` runs the study on config/config.yaml.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/langevin.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/sampling.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/figures.smk"


# cheap aggregate and plotting jobs stay on the submitting host under a cluster executor
localrules:
    pool,
    moments,
    quality,
    tables,
    figure_distributions,
    figure_flows,
    figure_density,
    figure_moments,
    figure_loss,


rule all:
    input:
        study_outputs(),
    default_target: True
