# Parameter scans (config section `scans`, cldm/scans.py, docs/scans.md): every training and test
# value's CL run is the `langevin` rule's job of an internal point results/scans/{scan}/{role}/{label}/;
# one conditioned score-model ensemble per scan learns from the training values and is sampled at
# every value and on a grid; the scan's moments, tables and figure. `snakemake scans` builds them.
include: "scan_common.smk"


wildcard_constraints:
    scan="|".join(re.escape(s) for s in SCANS) or "(?!)",
    role="|".join(ROLES),
    label=r"[^/]+",


rule scan_train:
    """One member of a scan's conditioned ensemble, trained on its share of every training value's chains."""
    input:
        samples=lambda w: expand(rules.langevin.output.samples, point=scan_points(w.scan, "train")),
    output:
        model="results/scans/{scan}/model/member{k}.pt",
        loss="results/scans/{scan}/model/member{k}_loss.csv",
    params:
        values=lambda w: [dataclasses.asdict(v) for v in SCANS[w.scan].role("train")],
        settings=lambda w: SCANS[w.scan].training.as_dict(),
        seed=lambda w: SCANS[w.scan].seed,
        resume=lambda w: f"results/scans/{w.scan}/model/member{w.k}.resume.pt",
        device=STUDY.device,
        code=code("scan_train"),
    threads: STUDY.threads.train
    resources:
        runtime=240,
        mem_mb=6000,
    log:
        "results/logs/scans/{scan}/train_member{k}.log",
    benchmark:
        "results/benchmarks/scans/{scan}/train_member{k}.tsv"
    script:
        "../../scripts/scan_train.py"


rule scan_sample:
    """Samples of every member of a scan's conditioned ensemble at one value (train, test,
    extrapolation or grid)."""
    input:
        models=lambda w: expand(rules.scan_train.output.model, scan=w.scan, k=range(SCANS[w.scan].training.ensemble)),
    output:
        "results/scans/{scan}/{role}/{label}/cdm.npz",
    params:
        value=lambda w: dataclasses.asdict(scan_value(w)),
        settings=lambda w: SCANS[w.scan].sampling_at(scan_value(w)).params(),
        seed=lambda w: SCANS[w.scan].seed,
        device=STUDY.device,
        code=code("scan_sample"),
    threads: STUDY.threads.sample
    resources:
        runtime=60,
        mem_mb=4000,
    log:
        "results/logs/scans/{scan}/{role}/{label}/scan_sample.log",
    benchmark:
        "results/benchmarks/scans/{scan}/{role}/{label}/scan_sample.tsv"
    script:
        "../../scripts/scan_sample.py"


rule scan_moments:
    """A scan's moments at every value: exact, CL, the conditioned model (pooled like a point's DM;
    away from the training values its data part is carried over from the neighbouring ones) and, at
    test values, the per-point model of the nearest training value."""
    input:
        cl=lambda w: expand(rules.langevin.output.samples, point=scan_points(w.scan, *CL_ROLES)),
        cdm=lambda w: cdm_files(w.scan)[0],
        nearest=lambda w: expand(rules.moments.output.moments, point=list(nearest(w.scan).values())),
    output:
        moments="results/scans/{scan}/moments.csv",
        errors="results/scans/{scan}/moment_errors.csv",
    params:
        values=lambda w: SCANS[w.scan].table(),
        params=lambda w: SCANS[w.scan].params(),
        training=lambda w: SCANS[w.scan].training.as_dict(),
        cl_labels=lambda w: cl_labels(w.scan),
        cdm_keys=lambda w: cdm_files(w.scan)[1],
        nearest_labels=lambda w: list(nearest(w.scan)),
        code=code("scan_moments"),
    threads: 1
    resources:
        mem_mb=4000,
    log:
        "results/logs/scans/{scan}/scan_moments.log",
    benchmark:
        "results/benchmarks/scans/{scan}/scan_moments.tsv"
    script:
        "../../scripts/scan_moments.py"


rule scan_tables:
    """A scan's table of <z^n>, n = 2, 4, 6 at its CL values (CSV, Markdown, LaTeX) with pulls (a
    dagger where a CL run it rests on is not trusted), and the summary of its targets."""
    input:
        moments=rules.scan_moments.output.moments,
        diagnostics=lambda w: expand(rules.langevin.output.diagnostics, point=scan_points(w.scan, *CL_ROLES)),
    output:
        csv=report("results/scans/{scan}/table.csv", category="Scans", labels={"scan": "{scan}", "table": "moments"}),
        md="results/scans/{scan}/table.md",
        tex="results/scans/{scan}/table.tex",
        summary="results/scans/{scan}/summary.json",
    params:
        physics=lambda w: SCANS[w.scan].values[0].physics,
        varying=lambda w: list(SCANS[w.scan].varying),
        cl_labels=lambda w: cl_labels(w.scan),
        code=code("scan_tables"),
    threads: 1
    log:
        "results/logs/scans/{scan}/scan_tables.log",
    benchmark:
        "results/benchmarks/scans/{scan}/scan_tables.tsv"
    script:
        "../../scripts/scan_tables.py"


rule scan_figure:
    """A scan's <z^2>, <z^4> against the varying parameter: exact, CL, the conditioned model with its
    band over the grid, and pulls."""
    input:
        moments=rules.scan_moments.output.moments,
    output:
        pdf="results/scans/{scan}/figures/moments.pdf",
        png=report("results/scans/{scan}/figures/moments.png", caption="../report/scan.rst", category="Scans",
                   labels={"scan": "{scan}", "figure": "moments"}),
    params:
        physics=lambda w: SCANS[w.scan].values[0].physics,
        varying=lambda w: list(SCANS[w.scan].varying),
        code=code("scan_figure"),
    threads: 1
    log:
        "results/logs/scans/{scan}/scan_figure.log",
    benchmark:
        "results/benchmarks/scans/{scan}/scan_figure.tsv"
    script:
        "../../scripts/scan_figure.py"


SCAN_TARGETS = [
    *expand(rules.scan_tables.output, scan=SCANS),
    *expand(rules.scan_figure.output, scan=SCANS),
]


rule scans:
    """Every scan's tables and figure (and all they need), not the study's points."""
    input:
        SCAN_TARGETS,
