FIGURES = ("moments", "loss")


def figures(point):
    return expand("results/{point}/figures/{name}.{ext}", point=point, name=FIGURES, ext=("pdf", "png"))


rule figure_moments:
    """Exact, CL and DM moments against n."""
    input:
        moments="results/{point}/moments.csv",
        lib=lib("plots"),
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
    script:
        "../../scripts/figure_moments.py"


rule figure_loss:
    """Training and validation loss curves of every ensemble member."""
    input:
        losses=lambda w: expand("results/{{point}}/model/member{k}_loss.csv", k=members(w.point)),
        lib=lib("plots"),
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
    script:
        "../../scripts/figure_loss.py"
