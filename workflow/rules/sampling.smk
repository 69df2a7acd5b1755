rule sample:
    """Samples of one ensemble member from the reverse-time solver of the config."""
    input:
        model="results/{point}/model/member{k}.pt",
        lib=lib("model", "sde", "train", "sample"),
    output:
        "results/{point}/samples/member{k}.npz",
    params:
        settings=lambda w: settings(w.point, "sampling"),
        seed=lambda w: seed(w.point),
    threads: config["threads"]["sample"]
    resources:
        runtime=60,
        mem_mb=4000,
    log:
        "results/logs/{point}/sample_member{k}.log",
    benchmark:
        "results/benchmarks/{point}/sample_member{k}.tsv"
    conda:
        "../envs/cldm.yaml"
    script:
        "../../scripts/sample.py"


rule pool:
    """All members' samples of a point in one archive, with the member of each sample."""
    input:
        samples=lambda w: expand("results/{{point}}/samples/member{k}.npz", k=members(w.point)),
        lib=lib(),
    output:
        "results/{point}/dm.npz",
    log:
        "results/logs/{point}/pool.log",
    benchmark:
        "results/benchmarks/{point}/pool.tsv"
    conda:
        "../envs/cldm.yaml"
    script:
        "../../scripts/pool.py"
