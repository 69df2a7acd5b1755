"""Dense layers' float32 products by oneDNN's inner product where PyTorch has it: y = x W^T + b for
the steps by hand (`cldm.dm.backprop`, `cldm.dm.conditioned_backprop`) and the forward passes of
ScoreNet and ConditionedScoreNet without a graph (what the samplers evaluate).

PyTorch's CPU `addmm` calls MKL's sgemm, which on a CPU that is not Intel's takes a slower path: on
the AMD Zen 5 cores here a (4096 x 64) by (64 x 64) product costs 340 us by MKL and 160 us by
oneDNN's brgemm kernel, with the same bits (`benchmarks/dense_products.py` measures both, and
whether a training run's weights come out the same: they do here; `tests/test_dense.py` holds the
two to float32 rounding, as on another machine they may round differently). The oneDNN call is
`torch.ops.mkldnn._linear_pointwise`, PyTorch's own (its compiler's fused linear), with no
"fpmath" attribute: float32 in, float32 products, whatever `torch.set_float32_matmul_precision`
says. It has no autograd formula, so it serves only products without a graph; elsewhere, and
where PyTorch is built without oneDNN, `linear` is `torch.nn.functional.linear`.

Not the field network's (`cldm.dm.field_model`): at the quartic chain's 64 channels (5 x 64 inputs
a site) oneDNN's sums round differently from MKL's, and its members would be a new draw of the
chain's numbers of record (measured: DM RMS pull 1.72 against 1.43, docs/accuracy.md).
"""

from __future__ import annotations

import torch

_ONEDNN = (getattr(getattr(torch.ops, "mkldnn", None), "_linear_pointwise", None)
           if torch.backends.mkldnn.is_available() else None)


def onednn(x: torch.Tensor, weight: torch.Tensor) -> bool:
    """Whether `linear(x, weight, ...)` runs by oneDNN: float32 operands on the CPU, no autograd
    graph asked for, PyTorch built with oneDNN."""
    return (_ONEDNN is not None and x.dtype == weight.dtype == torch.float32 and x.device.type == "cpu"
            and not (torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad)))


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """x W^T + b for x of shape (..., in), weight (out, in), bias (out,) or None: oneDNN's float32
    inner product where `onednn` says so, else `torch.nn.functional.linear` (`addmm` on the rows)."""
    if onednn(x, weight):
        return _ONEDNN(x, weight, bias, "none", [], "")
    return torch.nn.functional.linear(x, weight, bias)


def times(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """x W for x (rows, out) and weight (out, in): the backward pass's product of a delta with a
    layer's weight (`linear` with W^T, a copy of out x in numbers)."""
    if onednn(x, weight):
        return _ONEDNN(x, weight.T.contiguous(), None, "none", [], "")
    return x @ weight
