rule moments:
    """<z^n>, n = 1..8, and cumulants kappa_2..kappa_8: exact, CL (autocorrelation-aware errors), each
    DM estimator (ensemble random effects over the members' deviations from their own training data,
    plus that data's CL error)."""
    input:
        cl=rules.langevin.output.samples,
        dm=lambda w: [expand(rules.pool.output[0], point=w.point, est=e.directory)[0] for e in point_estimators(w.point)],
    output:
        moments="results/{point}/moments.csv",
        errors="results/{point}/moment_errors.csv",
    params:
        physics=lambda w: physics(w.point),
        training=lambda w: settings(w.point, "training"),
        estimators=lambda w: [e.name for e in point_estimators(w.point)],
        code=code("moments"),
    threads: 1
    resources:
        mem_mb=mem_mb("moments"),
    log:
        "results/logs/{point}/moments.log",
    benchmark:
        "results/benchmarks/{point}/moments.tsv"
    script:
        "../../scripts/moments.py"


rule quality:
    """Distribution-level check of a DM estimator: DM vs held-out CL samples against the CL-CL floor."""
    input:
        cl=rules.langevin.output.samples,
        dm=rules.pool.output[0],
    output:
        "results/{point}/{est}dm_quality.json",
    params:
        physics=lambda w: physics(w.point),
        training=lambda w: settings(w.point, "training"),
        seed=lambda w: seed(w.point),
        code=code("quality"),
    threads: 1
    resources:
        mem_mb=mem_mb("quality"),
    log:
        "results/logs/{point}/{est}quality.log",
    benchmark:
        "results/benchmarks/{point}/{est}quality.tsv"
    script:
        "../../scripts/quality.py"


rule tables:
    """The study's tables: quartic <z^n>/n and Gaussian <z^n>, n = 2, 4, 6, 8, cumulants kappa_4,
    kappa_6, kappa_8, and the pulls against exact."""
    input:
        moments=expand(rules.moments.output.moments, point=VARIABLE_POINTS),
        diagnostics=expand(rules.langevin.output.diagnostics, point=VARIABLE_POINTS),
    output:
        csv=report("results/tables/moments.csv", category="Tables"),
        md="results/tables/moments.md",
        tex="results/tables/moments.tex",
    params:
        physics={p: physics(p) for p in VARIABLE_POINTS},
        code=code("tables"),
    threads: 1
    log:
        "results/logs/tables.log",
    benchmark:
        "results/benchmarks/tables.tsv"
    script:
        "../../scripts/tables.py"


rule observables:
    """A chain point's observables: <phi^n>, G(r), chi, <M^n>, kappa_4 of M; exact (transfer matrix,
    or closed forms at lam = 0), CL (Gamma-method errors on the site-averaged series) and DM (i.i.d.
    errors per member, random effects over the members' deviations from their own chains)."""
    input:
        cl=rules.langevin.output.samples,
        dm=field_path(rules.pool.output[0]),
    output:
        "results/{point}/observables.csv",
    params:
        physics=lambda w: physics(w.point),
        training=lambda w: settings(w.point, "training"),
        code=code("observables"),
    threads: 1
    log:
        "results/logs/{point}/observables.log",
    benchmark:
        "results/benchmarks/{point}/observables.tsv"
    script:
        "../../scripts/observables.py"


rule transfer:
    """The size transfer of a chain point: the observables of its members sampled at
    sampling.transfer_sites sites (random effects over the members) against exact at that length."""
    input:
        samples=lambda w: expand(rules.sample_transfer.output[0], point=w.point, k=members(w.point)),
    output:
        "results/{point}/transfer.csv",
    params:
        physics=lambda w: physics(w.point),
        sites=lambda w: transfer_sites(w.point),
        code=code("transfer"),
    threads: 1
    log:
        "results/logs/{point}/transfer.log",
    benchmark:
        "results/benchmarks/{point}/transfer.tsv"
    script:
        "../../scripts/transfer.py"


rule chain_tables:
    """The chain points' table: exact, CL and DM observables with pulls, the DM covariance against
    exact (Gaussian chain) and the size transfer."""
    input:
        observables=expand(rules.observables.output[0], point=FIELD_POINTS),
        quality=expand(field_path(rules.quality.output[0]), point=FIELD_POINTS),
        diagnostics=expand(rules.langevin.output.diagnostics, point=FIELD_POINTS),
        transfer=[rules.transfer.output[0].format(point=p) for p in FIELD_POINTS if transfer_sites(p)],
    output:
        csv=report("results/tables/chain.csv", category="Tables"),
        md="results/tables/chain.md",
        tex="results/tables/chain.tex",
    params:
        physics={p: physics(p) for p in FIELD_POINTS},
        transfer={p: transfer_sites(p) for p in FIELD_POINTS if transfer_sites(p)},
        code=code("chain_tables"),
    threads: 1
    log:
        "results/logs/chain_tables.log",
    benchmark:
        "results/benchmarks/chain_tables.tsv"
    script:
        "../../scripts/chain_tables.py"
