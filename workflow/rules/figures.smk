SCORE_T = 1e-3  # VE time of the learned score shown as s_theta(x, y, t -> 0): sigma(t) = 0.03 for alpha = 25
MAX_SAMPLES = 10**6  # samples per histogram
PLOTS = ("plots", "fields", "exact")  # what cldm/plots.py imports


rule figure_moments:
    """Exact, CL and DM moments against n."""
    input:
        moments="results/{point}/moments.csv",
        lib=lib(*PLOTS),
    output:
        pdf="results/{point}/figures/moments.pdf",
        png=report(
            "results/{point}/figures/moments.png",
            caption="../report/moments.rst",
            category="{point}",
            labels={"point": "{point}", "figure": "moments"},
        ),
    params:
        physics=lambda w: physics(w.point),
    log:
        "results/logs/{point}/figure_moments.log",
    benchmark:
        "results/benchmarks/{point}/figure_moments.tsv"
    conda:
        "../envs/cldm.yaml"
    script:
        "../../scripts/figure_moments.py"


rule figure_loss:
    """Training and validation loss curves of every ensemble member."""
    input:
        losses=lambda w: expand("results/{{point}}/model/member{k}_loss.csv", k=members(w.point)),
        lib=lib(*PLOTS),
    output:
        pdf="results/{point}/figures/loss.pdf",
        png=report(
            "results/{point}/figures/loss.png",
            caption="../report/loss.rst",
            category="{point}",
            labels={"point": "{point}", "figure": "loss"},
        ),
    log:
        "results/logs/{point}/figure_loss.log",
    benchmark:
        "results/benchmarks/{point}/figure_loss.tsv"
    conda:
        "../envs/cldm.yaml"
    script:
        "../../scripts/figure_loss.py"


rule figure_distributions:
    """CL and DM samples as 2-D densities and marginals, with the exact P or the strip."""
    input:
        cl="results/{point}/cl.npz",
        dm="results/{point}/dm.npz",
        lib=lib(*PLOTS),
    output:
        pdf="results/{point}/figures/distributions.pdf",
        png=report(
            "results/{point}/figures/distributions.png",
            caption="../report/distributions.rst",
            category="{point}",
            labels={"point": "{point}", "figure": "distributions"},
        ),
    params:
        physics=lambda w: physics(w.point),
        bins=100,
        max_samples=MAX_SAMPLES,
    log:
        "results/logs/{point}/figure_distributions.log",
    benchmark:
        "results/benchmarks/{point}/figure_distributions.tsv"
    conda:
        "../envs/cldm.yaml"
    script:
        "../../scripts/figure_distributions.py"


rule figure_flows:
    """Streamlines and curl of the CL drift and of the learned score of member 0."""
    input:
        cl="results/{point}/cl.npz",
        model="results/{point}/model/member0.pt",
        lib=lib(*PLOTS, "actions", "model", "sde", "train"),
    output:
        pdf="results/{point}/figures/flows.pdf",
        png=report(
            "results/{point}/figures/flows.png",
            caption="../report/flows.rst",
            category="{point}",
            labels={"point": "{point}", "figure": "flows"},
        ),
    params:
        physics=lambda w: physics(w.point),
        bins=41,
        max_samples=MAX_SAMPLES,
        score_t=SCORE_T,
    log:
        "results/logs/{point}/figure_flows.log",
    benchmark:
        "results/benchmarks/{point}/figure_flows.tsv"
    conda:
        "../envs/cldm.yaml"
    script:
        "../../scripts/figure_flows.py"


rule figure_density:
    """The density integrated from the learned score of member 0 against CL (and exact)."""
    input:
        cl="results/{point}/cl.npz",
        model="results/{point}/model/member0.pt",
        lib=lib(*PLOTS, "actions", "model", "sde", "train"),
    output:
        pdf="results/{point}/figures/density.pdf",
        png=report(
            "results/{point}/figures/density.png",
            caption="../report/density.rst",
            category="{point}",
            labels={"point": "{point}", "figure": "density"},
        ),
    params:
        physics=lambda w: physics(w.point),
        bins=100,
        max_samples=MAX_SAMPLES,
        score_t=SCORE_T,
    log:
        "results/logs/{point}/figure_density.log",
    benchmark:
        "results/benchmarks/{point}/figure_density.tsv"
    conda:
        "../envs/cldm.yaml"
    script:
        "../../scripts/figure_density.py"
