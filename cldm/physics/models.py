"""The models a config point can name, with their parameters: the one list that the config schema,
the actions and the exact results read. Plain data, cheap to import (no numpy work, no torch)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Param:
    """One parameter of a model: its description and the JSON schema of its value."""

    doc: str
    schema: dict
    required: bool = True


@dataclass(frozen=True)
class Model:
    doc: str
    params: dict[str, Param] = field(default_factory=dict)
    sites_key: str | None = None
    """The parameter that counts the sites of a lattice model (its fields have shape (..., sites));
    None for a model of one complex variable."""

    def errors(self, point: dict) -> list[tuple[str, str]]:
        """(key, message) for combinations of values the schema cannot state."""
        return []

    def sites(self, point: dict) -> int:
        """Complex values per sample: 1 for one variable, L for a chain of L sites."""
        return 1 if self.sites_key is None else int(point[self.sites_key])


@dataclass(frozen=True)
class ChainModel(Model):
    """The periodic chain: L must be an integer (JSON schema takes 8.0 for one), and lam = 0 (the
    Gaussian chain, whose zero mode has sigma_0 = sigma) needs A > 0."""

    def errors(self, point: dict) -> list[tuple[str, str]]:
        problems = []
        if isinstance(point.get("L"), float):
            problems.append(("L", f"{point['L']!r} is not an integer (write it without a decimal point)"))
        if point.get("lam") == 0 and point.get("A", 1) <= 0:
            problems.append(("A", f"{point['A']!r} <= 0 with lam = 0: the Gaussian chain needs A > 0 "
                                  "(its zero mode is exp(-sigma M^2 / 2))"))
        return problems


REAL = {"type": "number"}
NON_NEGATIVE = {"type": "number", "minimum": 0}
SITES = {"type": "integer", "minimum": 1}
POSITIVE = {"type": "number", "exclusiveMinimum": 0}
SIGMA_RE = Param("Re sigma, sigma = A + iB (> 0: the Gaussian integral converges)", POSITIVE)
SIGMA_IM = Param("Im sigma", REAL)

MODELS: dict[str, Model] = {
    "gaussian": Model("S = sigma z^2 / 2", {"A": SIGMA_RE, "B": SIGMA_IM}),
    "quartic": Model("S = sigma z^2 / 2 + lam z^4 / 4", {
        "A": SIGMA_RE, "B": SIGMA_IM,
        "lam": Param("quartic coupling lambda (> 0: the quartic term binds; lam = 0 is the gaussian model)", POSITIVE),
    }),
    "chain": ChainModel(
        "periodic chain of L sites, S = sum_x [(phi_{x+1} - phi_x)^2 / 2 + sigma phi_x^2 / 2 + lam phi_x^4 / 4]",
        {"L": Param("sites of the periodic chain (integer >= 1; at L = 1 the hopping term vanishes: the quartic "
                    "or Gaussian model)", SITES),
         "A": Param("Re sigma, sigma = A + iB (> 0 where lam = 0)", REAL), "B": SIGMA_IM,
         "lam": Param("quartic coupling lambda (>= 0; lam = 0 is the Gaussian chain)", NON_NEGATIVE)},
        sites_key="L",
    ),
}
"""Model name -> its parameters."""


def point_sites(physics: dict) -> int:
    """Complex values per sample of a point: a CL archive holds chains x samples x this many complex128."""
    return MODELS[physics["model"]].sites(physics)


def is_field(physics: dict) -> bool:
    """Whether a point's samples are fields (a lattice model: a chain), not one complex variable."""
    return MODELS[physics["model"]].sites_key is not None


def physics_keys() -> tuple[str, ...]:
    """Every parameter name of any model, in first-seen order."""
    return tuple(dict.fromkeys(k for m in MODELS.values() for k in m.params))
