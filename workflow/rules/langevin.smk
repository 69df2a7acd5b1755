rule langevin:
    """Complex Langevin samples of one point, with the diagnostics that say whether to trust them."""
    input:
        lib("actions", "langevin", "diagnostics", "exact", "stats"),
    output:
        samples="results/{point}/cl.npz",
        diagnostics="results/{point}/cl_diagnostics.json",
    params:
        physics=lambda w: physics(w.point),
        settings=lambda w: settings(w.point, "langevin"),
        seed=lambda w: seed(w.point),
    threads: config["threads"]["langevin"]
    resources:
        runtime=30,
        mem_mb=4000,
    log:
        "results/logs/{point}/langevin.log",
    benchmark:
        "results/benchmarks/{point}/langevin.tsv"
    conda:
        "../envs/cldm.yaml"
    script:
        "../../scripts/langevin.py"
