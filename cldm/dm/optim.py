"""Adam for the training loop, as a small class: torch.optim.Adam's update without its machinery.

Constructing any torch.optim optimiser imports torch._dynamo (1.5 s, once a process: a tenth of a
short training job), and its step runs hooks, grouping and dispatch that cost more than the update
of a model of 10^4 weights (112 us a step against ~40 here, `benchmarks/train_speed.py`).
"""

from __future__ import annotations

import math

import torch


class Adam:
    """Adam (Kingma & Ba 2015) with bias correction, as torch.optim.Adam computes it:

        m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2,
        p <- p - lr / (1 - b1^k) * m / (sqrt(v) / sqrt(1 - b2^k) + eps)      at step k = 1, 2, ...

    The learning rate is given to each step (the caller's schedule). The gradients are the
    parameters' .grad; a parameter without one (an energy's constant term, which its score does not
    see) is left as it is, as torch.optim does. The state (k, m, v) saves and loads as a dict of
    tensors."""

    def __init__(self, params, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.params = list(params)
        self.betas, self.eps = betas, eps
        self.k = 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self, lr: float) -> None:
        (b1, b2), live = self.betas, [i for i, p in enumerate(self.params) if p.grad is not None]
        params, m, v = ([x[i] for i in live] for x in (self.params, self.m, self.v))
        grads = [p.grad for p in params]
        self.k += 1
        torch._foreach_lerp_(m, grads, 1 - b1)
        torch._foreach_mul_(v, b2)
        torch._foreach_addcmul_(v, grads, grads, 1 - b2)
        denom = torch._foreach_sqrt(v)
        torch._foreach_div_(denom, math.sqrt(1 - b2**self.k))
        torch._foreach_add_(denom, self.eps)
        torch._foreach_addcdiv_(params, m, denom, -lr / (1 - b1**self.k))

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def state_dict(self) -> dict:
        return dict(k=self.k, m=[t.cpu() for t in self.m], v=[t.cpu() for t in self.v])

    def load_state_dict(self, state: dict) -> None:
        self.k = int(state["k"])
        for mine, saved in ((self.m, state["m"]), (self.v, state["v"])):
            for t, s in zip(mine, saved, strict=True):
                t.copy_(s)
