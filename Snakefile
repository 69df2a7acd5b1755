# CL samples per parameter point -> score-model ensemble -> reverse-SDE samples -> moments,
# tables, figures. `snakemake --cores 2` runs the study on config/config.yaml; every setting not
# in the config takes its default (cldm/settings/, listed in README.md).
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


wildcard_constraints:
    point="|".join(re.escape(p) for p in EVERY_POINT),
    k=r"\d+",


include: "workflow/rules/langevin.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/sampling.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/trust.smk"
include: "workflow/rules/scans.smk"


# cheap aggregate and plotting jobs stay on the submitting host under a cluster executor
localrules:
    pool,
    moments,
    quality,
    tables,
    figure_moments,
    figure_loss,
    figure_distributions,
    figure_field,
    observables,
    figure_boundary,
    trust,
    figure_trust,
    scan_moments,
    scan_tables,
    scan_figure,


rule all:
    input:
        expand(rules.langevin.output, point=POINTS),
        expand(rules.pool.output, point=POINTS),
        expand(rules.moments.output, point=POINTS),
        expand(rules.quality.output, point=POINTS),
        expand(rules.figure_moments.output, point=POINTS),
        expand(rules.figure_loss.output, point=POINTS),
        expand(rules.figure_distributions.output, point=POINTS),
        expand(rules.figure_field.output, point=POINTS, field=FIELDS),
        rules.tables.output,
        expand(rules.figure_boundary.output, point=POINTS),
        rules.trust.output,
        rules.figure_trust.output,
        SCAN_TARGETS,
    default_target: True
