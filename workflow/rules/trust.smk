# Is CL right? The boundary terms and drift decay of each point (from its cl_diagnostics.json), and
# the study's table and figure of CL and DM errors next to them.


rule figure_boundary:
    """B_O(Y) for O = z^2, z^4 with errors and the plateau, and the drift histogram on log axes."""
    input:
        diagnostics=rules.langevin.output.diagnostics,
    output:
        **figure("boundary"),
    params:
        physics=lambda w: physics(w.point),
        code=code("figure_boundary"),
    threads: 1
    log:
        "results/logs/{point}/figure_boundary.log",
    benchmark:
        "results/benchmarks/{point}/figure_boundary.tsv"
    script:
        "../../scripts/figure_boundary.py"


rule trust:
    """Per point and n = 2, 4: CL and DM minus exact, DM minus CL (in errors), the boundary term and
    the CL shift it predicts, the drift decay, `trusted`."""
    input:
        moments=expand(rules.moments.output.moments, point=VARIABLE_POINTS),
        diagnostics=expand(rules.langevin.output.diagnostics, point=VARIABLE_POINTS),
    output:
        csv=report("results/tables/trust.csv", category="Tables"),
        md="results/tables/trust.md",
        tex="results/tables/trust.tex",
    params:
        physics={p: physics(p) for p in VARIABLE_POINTS},
        code=code("trust"),
    threads: 1
    log:
        "results/logs/trust.log",
    benchmark:
        "results/benchmarks/trust.tsv"
    script:
        "../../scripts/trust.py"


rule figure_trust:
    """Per point: (CL - exact)/error next to the boundary-term plateau/error of z^2."""
    input:
        table=rules.trust.output.csv,
    output:
        pdf="results/figures/trust.pdf",
        png=report("results/figures/trust.png", caption="../report/trust.rst", category="Study"),
    params:
        code=code("figure_trust"),
    threads: 1
    log:
        "results/logs/figure_trust.log",
    benchmark:
        "results/benchmarks/figure_trust.tsv"
    script:
        "../../scripts/figure_trust.py"
