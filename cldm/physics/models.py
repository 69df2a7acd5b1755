"""The models a config point can name, with their parameters: the one list that the config schema,
the actions and the exact results read. Plain data, cheap to import (no numpy work, no torch)."""

from __future__ import annotations

import importlib
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
    check: str | None = None

    def errors(self, point: dict) -> list[tuple[str, str]]:
        """(key, message) for combinations of values the schema cannot state (a point that passed it),
        from the function `check` (module:name, loaded on first use like the samplers, so that
        this registry stays plain data and its readers do not depend on that module's code)."""
        if self.check is None:
            return []
        module, name = self.check.split(":")
        return getattr(importlib.import_module(module), name)(point)

    def sites(self, point: dict) -> int:
        """Complex values per sample: 1 for one variable, L for a chain of L sites."""
        return 1 if self.sites_key is None else int(point[self.sites_key])


@dataclass(frozen=True)
class ChainModel(Model):
    """The periodic chain: lam = 0 (the Gaussian chain, whose zero mode has sigma_0 = sigma) needs
    A > 0. (An integer written 8.0 is refused for every integer key by cldm.config.)"""

    def errors(self, point: dict) -> list[tuple[str, str]]:
        problems = []
        if point.get("lam") == 0 and point.get("A", 1) <= 0:
            problems.append(("A", f"{point['A']!r} <= 0 with lam = 0: the Gaussian chain needs A > 0 "
                                  "(its zero mode is exp(-sigma M^2 / 2))"))
        return problems


REAL = {"type": "number"}
NON_NEGATIVE = {"type": "number", "minimum": 0}
SITES = {"type": "integer", "minimum": 1}
POSITIVE = {"type": "number", "exclusiveMinimum": 0}
SIGMA_RE = Param("Re sigma, sigma = A + iB (> 0: the Gaussian integral converges)", POSITIVE)
SIGMA_RE_QUARTIC = Param("Re sigma, sigma = A + iB (any real number: Re lambda > 0 makes the integral converge)", REAL)
SIGMA_IM = Param("Im sigma", REAL)
LAM_RE = Param("Re lambda, lambda = lam + i lam_im (> 0: the quartic term binds and the integral along the real line "
               "converges; lam = 0 is the gaussian model)", POSITIVE)
LAM_IM = Param("Im lambda (default 0: a real coupling)", REAL, required=False)

MODELS: dict[str, Model] = {
    "gaussian": Model("S = sigma z^2 / 2", {"A": SIGMA_RE, "B": SIGMA_IM}),
    "quartic": Model("S = sigma z^2 / 2 + lambda z^4 / 4", {
        "A": SIGMA_RE_QUARTIC, "B": SIGMA_IM, "lam": LAM_RE, "lam_im": LAM_IM,
    }, check="cldm.physics.exact:point_errors"),
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


def complex_text(re: float, im: float = 0.0) -> str:
    """'A + Bi' of a coupling for titles: '1 + 3i', '-2 - 1i', or '1' for a real one."""
    if not im:
        return f"{re:g}"
    return f"{re:g} {'-' if im < 0 else '+'} {abs(im):g}i"


def physics_keys() -> tuple[str, ...]:
    """Every parameter name of any model, in first-seen order."""
    return tuple(dict.fromkeys(k for m in MODELS.values() for k in m.params))
