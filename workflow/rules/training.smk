rule train:
    """One member of the score-model ensemble, trained on its own share of the CL chains."""
    input:
        samples=rules.langevin.output.samples,
    output:
        model="results/{point}/model/member{k}.pt",
        loss="results/{point}/model/member{k}_loss.csv",
    params:
        settings=lambda w: settings(w.point, "training"),
        seed=lambda w: seed(w.point),
        resume=lambda w: f"results/{w.point}/model/member{w.k}.resume.pt",
        device=STUDY.device,
        code=code("train"),
    threads: STUDY.threads.train
    resources:
        runtime=120,
        mem_mb=mem_mb("train"),
    log:
        "results/logs/{point}/train_member{k}.log",
    benchmark:
        "results/benchmarks/{point}/train_member{k}.tsv"
    script:
        "../../scripts/train.py"
