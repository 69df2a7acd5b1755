rule langevin:
    """Complex Langevin samples of one point, with the diagnostics that say whether to trust them."""
    output:
        samples="results/{point}/cl.npz",
        diagnostics="results/{point}/cl_diagnostics.json",
    params:
        physics=lambda w: physics(w.point),
        settings=lambda w: settings(w.point, "langevin"),
        seed=lambda w: seed(w.point),
        code=code("langevin"),
    threads: STUDY.threads.langevin
    resources:
        runtime=60,
        mem_mb=mem_mb("langevin"),
    log:
        "results/logs/{point}/langevin.log",
    benchmark:
        "results/benchmarks/{point}/langevin.tsv"
    script:
        "../../scripts/langevin.py"
