rule sample:
    """Samples of one ensemble member of one DM estimator: its kind's model with the reverse-time
    solver of the config, or the Metropolis-adjusted sampler (results/{point}/{kind}-mh/); as many as
    its error budget asks (the CL error of its training chains) unless sampling.samples is set."""
    input:
        model=lambda w: expand(rules.train.output.model, point=w.point, kind=kind_directory(estimator(w.point, w.est).kind),
                               k=w.k)[0],
        cl=rules.langevin.output.samples,
    output:
        "results/{point}/{est}samples/member{k}.npz",
    params:
        settings=lambda w: sampling_settings(w.point, w.est),
        training=lambda w: settings(w.point, "training", kind_directory(estimator(w.point, w.est).kind)),
        seed=lambda w: seed(w.point),
        device=STUDY.device,
        code=code("sample"),
    threads: STUDY.threads.sample
    resources:
        runtime=60,
        mem_mb=mem_mb("sample"),
    log:
        "results/logs/{point}/{est}sample_member{k}.log",
    benchmark:
        "results/benchmarks/{point}/{est}sample_member{k}.tsv"
    script:
        "../../scripts/sample.py"


rule sample_transfer:
    """Samples of one ensemble member of a chain point at sampling.transfer_sites sites (the size
    transfer: the network is translation-equivariant)."""
    input:
        model=field_path(rules.train.output.model),
        cl=rules.langevin.output.samples,
    output:
        "results/{point}/transfer/member{k}.npz",
    params:
        settings=lambda w: settings(w.point, "sampling"),
        training=lambda w: settings(w.point, "training"),
        sites=lambda w: transfer_sites(w.point),
        seed=lambda w: seed(w.point),
        device=STUDY.device,
        code=code("sample"),
    threads: STUDY.threads.sample
    resources:
        runtime=60,
        mem_mb=4000,
    log:
        "results/logs/{point}/sample_transfer_member{k}.log",
    benchmark:
        "results/benchmarks/{point}/sample_transfer_member{k}.tsv"
    script:
        "../../scripts/sample.py"


rule pool:
    """All members' samples of a point's DM estimator in one archive, with the member of each sample."""
    input:
        samples=lambda w: expand(rules.sample.output[0], point=w.point, est=w.est, k=members(w.point)),
    output:
        "results/{point}/{est}dm.npz",
    params:
        code=code("pool"),
    threads: 1
    resources:
        mem_mb=mem_mb("pool"),
    log:
        "results/logs/{point}/{est}pool.log",
    benchmark:
        "results/benchmarks/{point}/{est}pool.tsv"
    script:
        "../../scripts/pool.py"
