"""Adam for the training loop, as a small class: torch.optim.Adam's update without its machinery.

Constructing any torch.optim optimiser imports torch._dynamo (1.5 s, once a process: a twentieth of
a training job), and its step runs hooks, grouping and dispatch that cost more than the update of a
model of 10^4 weights (112 us a step against 45 here, before the step counts below shared one tensor).
"""

from __future__ import annotations

import torch


class Adam:
    """Adam (Kingma & Ba 2015) with bias correction, as torch.optim.Adam computes it:

        m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2,
        p <- p - lr / (1 - b1^k) * m / (sqrt(v) / sqrt(1 - b2^k) + eps)      at step k = 1, 2, ...

    by the kernel torch.optim.Adam(fused=True) runs (`torch._fused_adam_`, one call for all
    parameters: 45 us a step here against 112 for torch's optimiser around it and 142 for the same
    update as foreach operations). The learning rate is given to each step (the caller's schedule).
    The gradients are the parameters' .grad; a parameter without one (an energy's constant term,
    which its score does not see) is left as it is and its k does not advance, as torch.optim does.
    The state (k, m, v of each parameter) saves and loads as a dict of tensors. The k are views of
    one tensor, so that a step advances them with one add_ (4 us, against 19 for a foreach add over
    the parameters' own scalars)."""

    def __init__(self, params, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.params = list(params)
        self.betas, self.eps = betas, eps
        device = self.params[0].device if self.params else None
        self.steps = torch.zeros(len(self.params), dtype=torch.float32, device=device)
        self.k = list(self.steps.unbind())  # views: one add_ advances them all
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self, lr: float) -> None:
        """One update. Raises ValueError if a gradient is not laid out as its parameter (a
        transposed view, say, from a gradient by hand): the fused kernel reads tensors in memory
        order, so it would pair weights with other weights' gradients."""
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        for i in live:
            p = self.params[i]
            if p.grad.stride() != p.stride():
                raise ValueError(f"the gradient of parameter {i} (shape {tuple(p.shape)}) has strides {p.grad.stride()}, "
                                 f"its parameter {p.stride()}: give it the parameter's layout (.contiguous())")
        params, k, m, v = ([x[i] for i in live] for x in (self.params, self.k, self.m, self.v))
        if len(live) == len(self.params):
            self.steps.add_(1)
        else:
            self.steps[live] += 1
        torch._fused_adam_(params, [p.grad for p in params], m, v, [], k, lr=lr, beta1=self.betas[0],
                           beta2=self.betas[1], weight_decay=0.0, eps=self.eps, amsgrad=False, maximize=False)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def state_dict(self) -> dict:
        return {name: [t.cpu() for t in getattr(self, name)] for name in ("k", "m", "v")}

    def load_state_dict(self, state: dict) -> None:
        for name in ("k", "m", "v"):
            for t, saved in zip(getattr(self, name), state[name], strict=True):
                t.copy_(saved)
