# CL samples per parameter point -> model ensembles (score; energy where training.kind asks) ->
# reverse-SDE (and Metropolis-adjusted) samples -> moments, tables, figures. `snakemake --cores 2` runs the study on config/config.yaml; every setting not
# in the config takes its default (cldm/settings/, listed in README.md).
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


wildcard_constraints:
    point="|".join(re.escape(p) for p in EVERY_POINT),
    kind="|".join(re.escape(d) for d in MODEL_DIRS),  # '' (the default kind), 'energy/', ...
    est="|".join(re.escape(d) for d in SAMPLE_DIRS),  # '', 'energy/', 'energy-mh/', ...
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
        per_estimator(rules.pool.output),
        expand(rules.moments.output, point=POINTS),
        per_estimator(rules.quality.output),
        expand(rules.figure_moments.output, point=POINTS),
        per_kind(rules.figure_loss.output),
        per_estimator(rules.figure_distributions.output),
        per_kind(rules.figure_field.output, field=FIELDS),
        rules.tables.output,
        expand(rules.figure_boundary.output, point=POINTS),
        rules.trust.output,
        rules.figure_trust.output,
        SCAN_TARGETS,
    default_target: True
