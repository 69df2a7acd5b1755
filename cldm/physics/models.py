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

    def errors(self, point: dict) -> list[tuple[str, str]]:
        """(key, message) for combinations of values the schema cannot state; none so far."""
        return []


REAL = {"type": "number"}
POSITIVE = {"type": "number", "exclusiveMinimum": 0}
SIGMA_RE = Param("Re sigma, sigma = A + iB (> 0: the Gaussian integral converges)", POSITIVE)
SIGMA_IM = Param("Im sigma", REAL)

MODELS: dict[str, Model] = {
    "gaussian": Model("S = sigma z^2 / 2", {"A": SIGMA_RE, "B": SIGMA_IM}),
    "quartic": Model("S = sigma z^2 / 2 + lam z^4 / 4", {
        "A": SIGMA_RE, "B": SIGMA_IM,
        "lam": Param("quartic coupling lambda (> 0: the quartic term binds; lam = 0 is the gaussian model)", POSITIVE),
    }),
}
"""Model name -> its parameters."""


def physics_keys() -> tuple[str, ...]:
    """Every parameter name of any model, in first-seen order."""
    return tuple(dict.fromkeys(k for m in MODELS.values() for k in m.params))
