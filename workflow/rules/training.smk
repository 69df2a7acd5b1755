rule train:
    """One member of a point's ensemble of one kind (training.kind), trained on its own share of the
    CL chains; the default kind's files under results/{point}/, the others' under results/{point}/KIND/."""
    input:
        samples=rules.langevin.output.samples,
    output:
        model="results/{point}/{kind}model/member{k}.pt",
        loss="results/{point}/{kind}model/member{k}_loss.csv",
    params:
        settings=lambda w: settings(w.point, "training", w.kind),
        family=lambda w: KIND_OF[w.kind],
        seed=lambda w: seed(w.point),
        resume=lambda w: f"results/{w.point}/{w.kind}model/member{w.k}.resume.pt",
        device=STUDY.device,
        code=code("train"),
    threads: STUDY.threads.train
    resources:
        runtime=120,
        mem_mb=mem_mb("train"),
    log:
        "results/logs/{point}/{kind}train_member{k}.log",
    benchmark:
        "results/benchmarks/{point}/{kind}train_member{k}.tsv"
    script:
        "../../scripts/train.py"
