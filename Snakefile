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
    figure_correlator,
    observables,
    transfer,
    chain_tables,
    figure_boundary,
    trust,
    figure_trust,
    scan_moments,
    scan_tables,
    scan_figure,


# one-variable points: moments, their figures and table; chain points (fields): observables, G(r),
# the size transfer where configured, and their table; both: CL, DM samples, quality, P(x, y), loss
rule all:
    input:
        expand(rules.langevin.output, point=POINTS),
        per_estimator(rules.pool.output),
        per_estimator(rules.quality.output),
        per_kind(rules.figure_loss.output),
        per_estimator(rules.figure_distributions.output),
        expand(rules.moments.output, point=VARIABLE_POINTS),
        expand(rules.figure_moments.output, point=VARIABLE_POINTS),
        per_kind(rules.figure_field.output, VARIABLE_POINTS, field=FIELDS),
        rules.tables.output if VARIABLE_POINTS else [],
        expand(rules.figure_boundary.output, point=VARIABLE_POINTS),
        rules.trust.output if VARIABLE_POINTS else [],
        rules.figure_trust.output if VARIABLE_POINTS else [],
        expand(rules.observables.output, point=FIELD_POINTS),
        expand(rules.figure_correlator.output, point=FIELD_POINTS),
        expand(rules.transfer.output, point=[p for p in FIELD_POINTS if transfer_sites(p)]),
        rules.chain_tables.output if FIELD_POINTS else [],
        SCAN_TARGETS,
    default_target: True
