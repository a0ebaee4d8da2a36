"""Small functional layers: pure (no in-place writes), so they work under torch.func.vmap."""

from __future__ import annotations

import itertools

import torch
from torch import nn


class MLP(nn.Module):
    """Fully connected network with ELU between layers: sizes[0] -> ... -> sizes[-1].

    Input (..., sizes[0]) -> output (..., sizes[-1]); no activation after the last layer.
    ``dropout`` > 0 drops hidden activations (after each ELU) while the module is in training
    mode; with 0 no random op is traced, so the layer stays usable under ``vmap``.
    """

    def __init__(self, sizes: list[int], dropout: float = 0.0) -> None:
        super().__init__()
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.dropout = dropout
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = nn.functional.elu(x)
                if self.dropout > 0:
                    x = nn.functional.dropout(x, self.dropout, self.training)
        return x


# Above this fraction of perturbed entries a layer's correction uses a dense weight difference.
SPARSE_MAX_FRACTION = 8  # i.e. sparse when k <= 1/8 of the weights

# A sparse per-draw perturbation of one parameter tensor: local flat indices (k,) into the
# tensor and their values per draw (draw, k). Used by ``forward_draws``.
Sparse = tuple[torch.Tensor, torch.Tensor]


def linear_draws(
    x: torch.Tensor,
    layer: nn.Linear,
    weight: Sparse | None,
    bias: Sparse | None,
    has_draw: bool,
) -> tuple[torch.Tensor, bool]:
    """``layer(x)`` for many draws whose weights differ from ``layer``'s in a few entries.

    The dense product with the shared weights is computed once for all draws (once per row
    of x); each draw adds its sparse correction Σ_s x[..., col_s]·δ_s into row_s, which costs
    O(draw·rows·k) instead of a dense O(draw·rows·in·out).

    Args:
        x: (*lead, in), or (draw, *lead, in) when ``has_draw``.
        weight: (flat indices into the (out, in) weight, values (draw, k)) or None.
        bias: (indices into the bias, values (draw, k)) or None.

    Returns:
        The output ((draw,) *lead, out) and whether it has the leading draw dim.
    """
    out = nn.functional.linear(x, layer.weight, layer.bias)
    if weight is None and bias is None:
        return out, has_draw
    vals = (weight if weight is not None else bias)[1]
    n_draw = vals.shape[0]
    lead = out.shape[1:-1] if has_draw else out.shape[:-1]
    corr = out.new_zeros(n_draw, *lead, out.shape[-1])
    if weight is not None and weight[0].numel() * SPARSE_MAX_FRACTION > layer.weight.numel():
        # many perturbed entries: the dense per-draw weight difference is cheaper
        idx, w_vals = weight
        dw = w_vals.new_zeros(n_draw, layer.weight.numel()).index_add(1, idx, w_vals)
        dw = dw.view(n_draw, layer.out_features, layer.in_features)
        xs = x if has_draw else x.unsqueeze(0)
        corr = corr + (xs.reshape(n_draw if has_draw else 1, -1, layer.in_features)
                       @ dw.transpose(1, 2)).reshape(corr.shape)  # fmt: skip
    elif weight is not None:
        idx, w_vals = weight
        rows, cols = idx // layer.in_features, idx % layer.in_features
        xg = x[..., cols]  # ((draw,) *lead, k)
        scale = w_vals.reshape(n_draw, *[1] * len(lead), -1)
        corr = corr.index_add(-1, rows, (xg if has_draw else xg.unsqueeze(0)) * scale)
    if bias is not None:
        idx, b_vals = bias
        b_corr = b_vals.new_zeros(n_draw, out.shape[-1]).index_add(-1, idx, b_vals)
        corr = corr + b_corr.reshape(n_draw, *[1] * len(lead), -1)
    return (out if has_draw else out.unsqueeze(0)) + corr, True


def mlp_draws(
    mlp: MLP, x: torch.Tensor, sparse: dict[str, Sparse], prefix: str, has_draw: bool = False
) -> tuple[torch.Tensor, bool]:
    """``mlp(x)`` under sparse per-draw perturbations ``sparse`` (keyed by full parameter
    name, e.g. ``branch.layers.0.weight``); layers before the first perturbed one run once."""
    for i, layer in enumerate(mlp.layers):
        name = f"{prefix}layers.{i}."
        x, has_draw = linear_draws(
            x, layer, sparse.get(name + "weight"), sparse.get(name + "bias"), has_draw
        )
        if i < len(mlp.layers) - 1:
            x = nn.functional.elu(x)
    return x, has_draw
