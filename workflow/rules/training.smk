rule train:
    """One member of the score-model ensemble, trained on its own share of the CL chains."""
    input:
        samples="results/{point}/cl.npz",
        lib=lib("model", "sde", "train", "split"),
    output:
        model="results/{point}/model/member{k}.pt",
        loss="results/{point}/model/member{k}_loss.csv",
    params:
        settings=lambda w: settings(w.point, "training"),
        seed=lambda w: seed(w.point),
        resume=lambda w: f"results/{w.point}/model/member{w.k}.resume.pt",
    threads: config["threads"]["train"]
    resources:
        runtime=60,
        mem_mb=4000,
    log:
        "results/logs/{point}/train_member{k}.log",
    benchmark:
        "results/benchmarks/{point}/train_member{k}.tsv"
    conda:
        "../envs/cldm.yaml"
    script:
        "../../scripts/train.py"
