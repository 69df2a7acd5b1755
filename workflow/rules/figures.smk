rule figure_moments:
    """Exact, CL and DM moments against n, and the cumulants' pulls."""
    input:
        moments=rules.moments.output.moments,
    output:
        **figure("moments"),
    params:
        physics=lambda w: physics(w.point),
        code=code("figure_moments"),
    threads: 1
    log:
        "results/logs/{point}/figure_moments.log",
    benchmark:
        "results/benchmarks/{point}/figure_moments.tsv"
    script:
        "../../scripts/figure_moments.py"


rule figure_correlator:
    """A chain point's two-point function G(r): exact, CL and DM with errors."""
    input:
        observables=rules.observables.output[0],
    output:
        **figure("correlator"),
    params:
        physics=lambda w: physics(w.point),
        code=code("figure_correlator"),
    threads: 1
    log:
        "results/logs/{point}/figure_correlator.log",
    benchmark:
        "results/benchmarks/{point}/figure_correlator.tsv"
    script:
        "../../scripts/figure_correlator.py"


rule figure_loss:
    """Training and validation loss curves of every ensemble member of one kind."""
    input:
        losses=lambda w: expand(rules.train.output.loss, point=w.point, kind=w.kind, k=members(w.point)),
    output:
        **figure("loss", "kind"),
    params:
        kind=lambda w: KIND_OF[w.kind],
        code=code("figure_loss"),
    threads: 1
    log:
        "results/logs/{point}/{kind}figure_loss.log",
    benchmark:
        "results/benchmarks/{point}/{kind}figure_loss.tsv"
    script:
        "../../scripts/figure_loss.py"


rule figure_distributions:
    """CL and one DM estimator's samples as 2-D densities and marginals, with the exact P or the strip."""
    input:
        cl=rules.langevin.output.samples,
        dm=rules.pool.output[0],
    output:
        **figure("distributions", "est"),
    params:
        physics=lambda w: physics(w.point),
        estimator=lambda w: estimator(w.point, w.est).name,
        code=code("figure_distributions"),
    threads: 1
    resources:
        mem_mb=mem_mb("figure_distributions"),
    log:
        "results/logs/{point}/{est}figure_distributions.log",
    benchmark:
        "results/benchmarks/{point}/{est}figure_distributions.tsv"
    script:
        "../../scripts/figure_distributions.py"


rule figure_field:
    """The learned score of member 0 of one kind on the plane: streamlines and curl against the CL
    drift (flows), and the model's density against CL (density): integrated from the score, or
    explicit for an energy model."""
    input:
        cl=rules.langevin.output.samples,
        model=lambda w: expand(rules.train.output.model, point=w.point, kind=w.kind, k=0)[0],
    output:
        pdf="results/{point}/{kind}figures/{field}.pdf",
        png=report("results/{point}/{kind}figures/{field}.png", caption="../report/field.rst", category="{point}",
                   labels=lambda w: {"point": w.point, "model": model_label(w), "figure": w.field}),
    wildcard_constraints:
        field="|".join(FIELDS),
    params:
        physics=lambda w: physics(w.point),
        bins=lambda w: FIELDS[w.field],
        code=code("figure_field"),
    threads: 1
    resources:
        mem_mb=mem_mb("figure_field"),
    log:
        "results/logs/{point}/{kind}figure_{field}.log",
    benchmark:
        "results/benchmarks/{point}/{kind}figure_{field}.tsv"
    script:
        "../../scripts/figure_field.py"
