"""The models a config point can name, with their parameters: the one list that the config schema,
the actions and the exact results read. Plain data, cheap to import (no numpy work, no torch)."""

from __future__ import annotations

from collections.abc import Callable
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
    check: Callable[[dict], list[tuple[str, str]]] | None = None

    def errors(self, point: dict) -> list[tuple[str, str]]:
        """(key, message) for combinations of values the schema cannot state (a point that passed it)."""
        return [] if self.check is None else self.check(point)


def _quartic_errors(point: dict) -> list[tuple[str, str]]:
    """The exact moments must be computable: the quadrature along the real line passes its
    refinement and Schwinger-Dyson checks (it fails where exp(-S) oscillates with an amplitude
    far above its integral: large -A and |B| against lam)."""
    from cldm.physics.exact import exact_moments  # numpy and scipy only when a config is checked

    try:
        exact_moments(**{k: point[k] for k in ("model", "A", "B", "lam", "lam_im") if k in point})
    except ValueError as err:
        return [("A", f"no exact moments at this point (A = {point['A']}, B = {point['B']}, lam = {point['lam']}, "
                      f"lam_im = {point.get('lam_im', 0)}): {err}; choose a smaller -A or |B|, or a larger lam")]
    return []


REAL = {"type": "number"}
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
    }, _quartic_errors),
}
"""Model name -> its parameters."""


def physics_keys() -> tuple[str, ...]:
    """Every parameter name of any model, in first-seen order."""
    return tuple(dict.fromkeys(k for m in MODELS.values() for k in m.params))
