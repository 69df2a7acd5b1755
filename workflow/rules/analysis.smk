rule moments:
    """<z^n>, n = 1..8: exact, CL (autocorrelation-aware errors), DM (ensemble random effects over
    the members' deviations from their own training data, plus that data's CL error)."""
    input:
        cl="results/{point}/cl.npz",
        dm="results/{point}/dm.npz",
        lib=lib("exact", "stats", "analysis", "split"),
    output:
        moments="results/{point}/moments.csv",
        errors="results/{point}/moment_errors.csv",
    params:
        physics=lambda w: physics(w.point),
        training=lambda w: settings(w.point, "training"),
    log:
        "results/logs/{point}/moments.log",
    benchmark:
        "results/benchmarks/{point}/moments.tsv"
    conda:
        "../envs/cldm.yaml"
    script:
        "../../scripts/moments.py"


rule quality:
    """Distribution-level check: DM vs held-out CL samples against the CL-CL floor."""
    input:
        cl="results/{point}/cl.npz",
        dm="results/{point}/dm.npz",
        lib=lib("exact", "fields", "quality", "split"),
    output:
        "results/{point}/dm_quality.json",
    params:
        physics=lambda w: physics(w.point),
        training=lambda w: settings(w.point, "training"),
        seed=lambda w: seed(w.point),
    log:
        "results/logs/{point}/quality.log",
    benchmark:
        "results/benchmarks/{point}/quality.tsv"
    conda:
        "../envs/cldm.yaml"
    script:
        "../../scripts/quality.py"


rule tables:
    """The study's tables: quartic <z^n>/n and Gaussian <z^n>, n = 2, 4, 6, 8."""
    input:
        moments=expand("results/{point}/moments.csv", point=POINTS),
        diagnostics=expand("results/{point}/cl_diagnostics.json", point=POINTS),
        lib=lib("stats", "tables"),
    output:
        csv=report("results/tables/moments.csv", category="Tables"),
        md="results/tables/moments.md",
        tex="results/tables/moments.tex",
    params:
        points=POINTS,
        physics={p: physics(p) for p in POINTS},
    log:
        "results/logs/tables.log",
    benchmark:
        "results/benchmarks/tables.tsv"
    conda:
        "../envs/cldm.yaml"
    script:
        "../../scripts/tables.py"
