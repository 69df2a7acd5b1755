"""Each job's peak memory and output size, from a point's settings alone (no data, no torch): what the
rules ask for as `mem_mb`, and what the config check compares, before any job, with the memory a
job may use (`resources.max_mem_mb`, or this machine's memory).

A job's peak resident memory is modelled as its interpreter and libraries (`BASE_MB`) plus a
multiple (`COEFF`) of each array it holds (`arrays`):

    langevin   the CL samples, chains x samples complex128 (cl): `simulate` fills them and the
               diagnostics make working copies (drift, |K| and its sort, L_c z^n); the step scan;
    train      the CL samples it loads, its share of them as (x, y) in float64 and float32; the
               network (weights, EMA, gradients, two Adam moments: 5 x 4 bytes a parameter) and
               the activations of a batch;
    sample     the member's samples and reference samples (float32 batches, concatenated, then
               float64 and complex128); the activations of a batch;
    pool       every member's samples;
    moments, quality, figure_distributions, figure_field
               the CL samples they load (moments: z^n, n = 1..8, and the FFTs of the Gamma method;
               quality: the projections of the sliced Wasserstein distance) and the pooled DM samples.

Sample arrays count complex128 values per sample: L for a chain of L sites (`point_sites`), an
upper bound there (the calibration below is of one-variable points; a chain's langevin job
measured 340 MB where this gives about 5 times more).

Calibration: the peak RSS (getrusage ru_maxrss) of each stage's entry point run in its own process
(`benchmarks/memory_estimates.py`) for one quartic point, on this machine (Python 3.11, numpy 2.4,
torch 2.13, CPU): A = 4096 x 500 CL samples, 2 members of 2e5 DM samples; B = 4096 x 2500 (the
default CL size), 2 x 2e5; C = 4096 x 2500, 2 x 8e5. The coefficient of an array is the slope of
peak RSS against its size between these scales, the base the intercept. Out of sample, D = 8192 x
1000 CL samples, 4 members of 4e5, measured/estimated (MB): langevin 921/929, train 585/583,
sample 321/422, pool 215/219, moments 1168/1345, quality 1361/1374, figure_distributions 551/618,
figure_field 551/571. Rules ask for the estimate raised by `MARGIN` (25%). The default study's
largest job is `quality` (2.0 GB asked), the toy study's `figure_field` (0.5 GB). Output sizes are
exact: complex128 samples (16 bytes, 32 with the reference samples), float32 weights.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from cldm.dm.samplers import SAMPLERS
from cldm.physics.models import point_sites

MB = 1e6
"""Snakemake's mem_mb counts megabytes of 10^6 bytes."""
MARGIN = 1.25

BASE_MB = {"langevin": 130, "train": 365, "sample": 220, "pool": 85, "moments": 375, "quality": 320,
           "figure_distributions": 370, "figure_field": 400}
"""Peak RSS of a job with no data: Python, numpy, scipy (and torch, pandas, matplotlib where the job
imports them) and what its library does at any size."""

COEFF = {
    "langevin": {"cl": 6.0, "scan": 3.0},
    "train": {"cl": 1.0, "share": 2.4, "net": 5.0, "batch": 6.0},
    "sample": {"member": 15.0, "net": 1.0, "sample_batch": 6.0},
    "pool": {"dm": 2.1},
    "moments": {"cl": 5.4, "dm": 4.1},
    "quality": {"cl": 7.8, "dm": 0.5},
    "figure_distributions": {"cl": 1.4, "dm": 1.0},
    "figure_field": {"cl": 1.3, "net": 1.0},
}
"""Bytes of peak memory per byte of each array (see `arrays`), fitted to measured peaks."""


@dataclass(frozen=True)
class Array:
    """An array a job holds: its size in bytes, the settings that make it, and it in words."""

    bytes: float
    keys: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Estimate:
    """A job's peak memory (MB, with the margin), its output (MB) and the array that sizes it."""

    rule: str
    mem_mb: int
    output_mb: float
    largest: Array


def arrays(point) -> dict[str, Array]:
    """The arrays of `COEFF`, from a point's settings (`cldm.config.Point`)."""
    lv, tr, sa = point.langevin, point.training, point.sampling
    sites = point_sites(point.physics)  # complex values per sample: L for a chain
    per_sample = 16 * sites * (2 if SAMPLERS[sa.sampler].control_variate else 1)  # complex128 (and the reference)
    params = network_parameters(tr.hidden, tr.embed_dim)
    most = sa.most_samples()  # samples null: the error budget's largest count
    count = ("sampling.samples",) if sa.samples is not None else ("sampling.samples", "sampling.max_samples")
    return {
        "cl": Array(16.0 * sites * lv.chains * lv.samples, ("langevin.chains", "langevin.samples"),
                    f"{lv.chains} x {lv.samples} complex128 CL samples" + (f" of {sites} sites" if sites > 1 else "")),
        "share": Array(16.0 * sites * -(-lv.chains // tr.ensemble) * lv.samples, ("langevin.chains", "training.ensemble"),
                       f"a member's share, {lv.chains} / {tr.ensemble} chains x {lv.samples} samples"),
        "scan": Array(16.0 * sites * lv.scan_chains * lv.samples, ("langevin.scan_chains", "langevin.samples"),
                      f"{lv.scan_chains} x {lv.samples} samples of a step-scan run"),
        "net": Array(4.0 * params, ("training.hidden", "training.embed_dim"),
                     f"a network of {params:,} parameters (hidden {list(tr.hidden)}, embed_dim {tr.embed_dim})"),
        "batch": Array(4.0 * tr.batch_size * (sum(tr.hidden) + tr.embed_dim), ("training.batch_size", "training.hidden"),
                       f"the activations of a batch of {tr.batch_size} in {sum(tr.hidden)} hidden units"),
        "member": Array(float(per_sample * most), count, f"{most} DM samples a member"),
        "sample_batch": Array(4.0 * min(sa.batch, most) * (max(tr.hidden) + tr.embed_dim),
                              ("sampling.batch", "training.hidden"),
                              f"the activations of a batch of {min(sa.batch, most)} in {max(tr.hidden)} units"),
        "dm": Array(float((per_sample + 8) * most * tr.ensemble), ("training.ensemble", *count),
                    f"{tr.ensemble} x {most} DM samples"),
    }


def network_parameters(hidden: tuple[int, ...], embed_dim: int, dim: int = 2) -> int:
    """Weights and biases of `cldm.dm.model.ScoreNet`: input (x, y) and the time embedding, the
    hidden layers, the output layer."""
    widths = (dim + embed_dim, *hidden, dim)
    return sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))


def outputs_mb(point) -> dict[str, float]:
    """Size of each job's output files (MB): sample archives hold complex128 samples, a model its
    float32 weights."""
    a = arrays(point)
    return {"langevin": a["cl"].bytes / MB, "train": a["net"].bytes / MB, "sample": a["member"].bytes / MB,
            "pool": a["dm"].bytes / MB}


def estimates(point) -> dict[str, Estimate]:
    """Every memory-heavy rule's estimate for one point."""
    a, out = arrays(point), outputs_mb(point)
    result = {}
    for rule, coeffs in COEFF.items():
        terms = {name: c * a[name].bytes for name, c in coeffs.items()}
        largest = max(terms, key=terms.get)
        mem = MARGIN * (BASE_MB[rule] + sum(terms.values()) / MB)
        result[rule] = Estimate(rule, math.ceil(mem), out.get(rule, 0.0), a[largest])
    return result


def mem_mb(point, rule: str) -> int:
    """The `mem_mb` a rule's job for this point asks for."""
    return estimates(point)[rule].mem_mb


def machine_mb() -> float:
    """This machine's physical memory, MB."""
    try:
        import psutil  # noqa: PLC0415

        return psutil.virtual_memory().total / MB
    except ImportError:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / MB


def memory_errors(config: dict, study, memory_mb: float | None = None) -> list[str]:
    """Every point: its largest job's peak memory, estimated from the settings (cldm/resources.py),
    fits in the memory a job may use: resources.max_mem_mb, or else this machine's memory.

    'key.path: message' for every point that does not; the limit is `memory_mb` if given. The key
    is the setting that sizes the job's largest array, where the config sets it (the point's
    section, else the global one)."""
    if memory_mb is not None:
        limit, source = memory_mb, "the memory a job may use"
    elif study.resources.max_mem_mb is not None:
        limit, source = study.resources.max_mem_mb, "resources.max_mem_mb"
    else:
        limit, source = machine_mb(), "this machine's memory (set resources.max_mem_mb for a cluster's nodes)"
    messages = []
    for name, point in study.points.items():
        worst = max(estimates(point).values(), key=lambda e: e.mem_mb)
        if worst.mem_mb > limit:
            keys = worst.largest.keys
            stage, field = keys[0].split(".")
            path = f"points.{name}.{keys[0]}" if field in config["points"][name].get(stage, {}) else keys[0]
            messages.append(f"{path}: the {worst.rule} job of point {name} needs ~{size(worst.mem_mb)} for "
                            f"{worst.largest.text} ({' x '.join(keys)}), more than the {size(limit)} of {source}; "
                            f"lower {' or '.join(keys)}")
    return messages


def size(mb: float) -> str:
    """'950 MB', '12 GB', '1.6e+06 GB'."""
    if mb < 10_000:
        return f"{mb:,.0f} MB"
    return f"{mb / 1e3:,.0f} GB" if mb < 1e9 else f"{mb / 1e3:.2g} GB"


def plan(config: dict) -> dict:
    """Per point and job: mem_mb and the output (MB); the study's whole output (every member's
    model and samples) and the memory a job may use."""
    from cldm.config import load_study  # noqa: PLC0415 - cldm.config imports this module

    study = load_study(config)
    points = {name: {rule: dict(mem_mb=e.mem_mb, output_mb=round(e.output_mb, 1)) for rule, e in estimates(p).items()}
              for name, p in study.points.items()}
    total = sum(e.output_mb * (p.training.ensemble if rule in ("train", "sample") else 1)
                for p in study.points.values() for rule, e in estimates(p).items())
    return dict(points=points, output_mb=round(total, 1), limit_mb=study.resources.max_mem_mb or round(machine_mb()))


if __name__ == "__main__":
    import json
    import sys

    from cldm.config import merge_config_files

    print(json.dumps(plan(merge_config_files(sys.argv[1:] or ["config/config.yaml"])), indent=1))
