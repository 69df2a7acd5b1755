"""The kinds of diffusion model a point trains (`training.kind`) and the DM estimators they give.

Plain data, torch-free (the config's schema, its checks and the workflow read it), as the samplers'
registry `cldm.dm.samplers`. Each kind is trained by the family of the same name
(`cldm.dm.families.FAMILIES`). A kind with an energy (a network E_theta whose negative gradient is
the score) is sampled twice: with the point's `sampling.sampler` and with the Metropolis-adjusted
sampler (`cldm.dm.samplers.MH_SAMPLER`); a kind without one with `sampling.sampler` alone, which must
then not need an energy (`cldm.config` refuses it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """A kind of model: what it is, and whether it has an energy (explicit density, MH samples)."""

    doc: str
    energy: bool


DEFAULT = "score"
KINDS: dict[str, Kind] = {
    "score": Kind("the score network s_theta(u, t) (cldm.dm.model.ScoreNet)", False),
    "energy": Kind("an energy network E_theta(u, t) whose score is -grad E (cldm.dm.energy.EnergyNet): explicit "
                   "density exp(-E)/Z, also sampled with Metropolis-adjusted Langevin", True),
}
"""Name -> kind; DEFAULT is the study's (its files keep the paths of a study of one kind)."""


def kind_directory(kind: str) -> str:
    """Where a kind's files live under results/{point}/: '' for the default kind, 'energy/', ..."""
    return "" if kind == DEFAULT else f"{kind}/"


@dataclass(frozen=True)
class Estimator:
    """A DM estimator of a point: the ensemble of `kind`, sampled with the Metropolis-adjusted
    sampler (metropolis) or the point's sampling.sampler."""

    kind: str
    metropolis: bool

    @property
    def name(self) -> str:
        """Its rows' `estimator` in moments.csv and its columns in the tables: DM (the default kind
        with the point's sampler), DM-energy, DM-energy-MH."""
        return "DM" + ("" if self.kind == DEFAULT else f"-{self.kind}") + ("-MH" if self.metropolis else "")

    @property
    def label(self) -> str:
        """Its figures' label in the report: the kind, with ' + MH' if Metropolis-adjusted."""
        return f"{self.kind} + MH" if self.metropolis else self.kind

    @property
    def directory(self) -> str:
        """Where its samples live under results/{point}/: the kind's directory, or '{kind}-mh/'."""
        return f"{self.kind}-mh/" if self.metropolis else kind_directory(self.kind)


def estimators(kinds: tuple[str, ...], sampler_needs_energy: bool) -> list[Estimator]:
    """The DM estimators of a point that trains `kinds` and samples with a sampler that needs an
    energy or not: every kind with that sampler, and every kind with an energy also Metropolis-adjusted
    (once, where the sampler is itself the Metropolis-adjusted one)."""
    out = []
    for kind in kinds:
        if not sampler_needs_energy:
            out.append(Estimator(kind, False))
        if KINDS[kind].energy:
            out.append(Estimator(kind, True))
    return out


def directories() -> tuple[list[str], list[str]]:
    """(model directories, sample directories) that any config can have: the wildcards' values."""
    models = [kind_directory(k) for k in KINDS]
    samples = models + [Estimator(k, True).directory for k, kind in KINDS.items() if kind.energy]
    return models, samples
