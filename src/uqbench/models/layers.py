"""Small functional layers: pure (no in-place writes), so they work under torch.func.vmap."""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

import torch
from torch import nn


def group_dropout(
    x: torch.Tensor, p: float, training: bool, groups: int = 0, spatial: int = 0
) -> torch.Tensor:
    """Inverted dropout of activations x (batch, ...) with drop probability p (training only).

    ``groups`` 0: every input of the batch draws its own masks (``nn.functional.dropout``;
    with ``spatial`` 2 whole channels of (batch, C, x, y) features, ``dropout2d``).
    ``groups`` G > 0: the batch is G equal groups (group-major) and each group draws one
    set of masks, shared by its inputs: G random networks instead of one per input (what
    an energy score over G draws needs), and batch/G times fewer random numbers.
    """
    if not training or p == 0:
        return x
    if groups <= 0:
        return (nn.functional.dropout2d if spatial else nn.functional.dropout)(x, p, True)
    units = x.shape[1 : x.dim() - spatial]
    shape = (groups, 1, *units, *[1] * spatial)
    keep = torch.rand(shape, dtype=x.dtype, device=x.device) >= p
    return (x.view(groups, -1, *x.shape[1:]) * keep / (1 - p)).view_as(x)


class MLP(nn.Module):
    """Fully connected network with ELU between layers: sizes[0] -> ... -> sizes[-1].

    Input (..., sizes[0]) -> output (..., sizes[-1]); no activation after the last layer.
    ``dropout`` > 0 drops hidden activations (after each ELU) while the module is in training
    mode; with 0 no random op is traced, so the layer stays usable under ``vmap``.
    ``mask_groups`` (set by ``shared_masks``) shares the masks within groups of the batch.
    """

    def __init__(self, sizes: list[int], dropout: float = 0.0) -> None:
        super().__init__()
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.dropout = dropout
        self.mask_groups = 0
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = nn.functional.elu(x)
                if self.dropout > 0:
                    x = group_dropout(x, self.dropout, self.training, self.mask_groups)
        return x


@contextlib.contextmanager
def shared_masks(model: nn.Module, groups: int) -> Iterator[None]:
    """Inside the block, the dropout masks of ``model`` (every submodule with a
    ``mask_groups`` attribute) are shared within ``groups`` equal groups of the batch
    (``group_dropout``): one random network per group, not one per input."""
    mods = [m for m in model.modules() if hasattr(m, "mask_groups")]
    before = [m.mask_groups for m in mods]
    try:
        for m in mods:
            m.mask_groups = groups
        yield
    finally:
        for m, g in zip(mods, before, strict=True):
            m.mask_groups = g


def principal_basis(x: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Principal components of rows x (N, n): the mean (n,), the top-k right singular vectors
    (k', n) and their scales s/√N (k',) (the components' standard deviations), with k' =
    min(k, rank bound of x)."""
    mean = x.mean(0)
    _, s, vh = torch.linalg.svd(x - mean, full_matrices=False)
    return mean, vh[:k], s[:k] / x.shape[0] ** 0.5


# Above this fraction of perturbed entries a layer's correction uses a dense weight difference.
SPARSE_MAX_FRACTION = 8  # i.e. sparse when k <= 1/8 of the weights


class SparseIndex:
    """The fixed positions of k perturbed entries of one parameter tensor, with the gather
    layout ``linear_draws`` needs, built once (the subset S never changes during training).

    For a weight (out, in) the entries are grouped by output row and padded to the longest
    row (J entries): ``pad_cols`` (out, J) holds each slot's input column and ``pad_pos``
    (out, J) its position among the k values (k marks padding, which reads a zero).
    """

    def __init__(self, flat: torch.Tensor, shape: tuple[int, ...]) -> None:
        self.flat, self.shape, self.k = flat, tuple(shape), flat.numel()
        if len(self.shape) != 2 or self.k == 0:
            return
        n_out, n_in = self.shape
        rows, cols = flat // n_in, flat % n_in
        order = torch.argsort(rows, stable=True)
        rows, cols = rows[order], cols[order]
        counts = torch.bincount(rows, minlength=n_out)
        slot = torch.arange(self.k, device=flat.device) - (counts.cumsum(0) - counts)[rows]
        width = int(counts.max())
        self.pad_pos = torch.full((n_out, width), self.k, dtype=torch.long, device=flat.device)
        self.pad_pos[rows, slot] = order
        self.pad_cols = torch.zeros((n_out, width), dtype=torch.long, device=flat.device)
        self.pad_cols[rows, slot] = cols


# A sparse per-draw perturbation of one parameter tensor: where (``SparseIndex``) and the
# values per draw (draw, k). Used by ``forward_draws``.
Sparse = tuple[SparseIndex, torch.Tensor]


@runtime_checkable
class SparseDraws(Protocol):
    """A model that evaluates many draws of a sparse weight perturbation in one pass
    (shared products computed once): ``forward_draws(a, {name: (index, values (draw, k))})``
    -> (draw, batch, *output dims). Its single-channel output is the only one it serves."""

    channels: int

    def forward_draws(self, a: torch.Tensor, sparse: dict[str, Sparse]) -> torch.Tensor: ...


def _dense_delta(index: SparseIndex, vals: torch.Tensor) -> torch.Tensor:
    """The per-draw difference as a dense tensor (draw, *shape)."""
    flat = vals.new_zeros(vals.shape[0], math.prod(index.shape)).index_add(1, index.flat, vals)
    return flat.view(vals.shape[0], *index.shape)


def _shared_input_correction(
    x: torch.Tensor, index: SparseIndex, vals: torch.Tensor
) -> torch.Tensor:
    """Σ_s x[..., col_s]·δ_s added into row_s, for x without a draw dim: (draw, L, out).

    Per output row o it is one small product (L, J) @ (J, draw) of the gathered input
    columns with that row's values, so all rows go through one ``bmm`` (no scatter):
    O(out·J·L·draw) instead of the dense O(in·out·L·draw).
    """
    x2 = x.reshape(-1, x.shape[-1]).t()  # (in, L)
    n_out, width = index.pad_cols.shape
    xg = x2.index_select(0, index.pad_cols.flatten()).view(n_out, width, -1)  # (out, J, L)
    v = nn.functional.pad(vals, (0, 1))[:, index.pad_pos]  # (draw, out, J); padding reads 0
    return torch.bmm(v.transpose(0, 1), xg).permute(1, 2, 0)  # (out, draw, L) -> (draw, L, out)


def linear_draws(
    x: torch.Tensor,
    layer: nn.Linear,
    weight: Sparse | None,
    bias: Sparse | None,
    has_draw: bool,
) -> tuple[torch.Tensor, bool]:
    """``layer(x)`` for many draws whose weights differ from ``layer``'s in a few entries.

    With x shared by all draws (no draw dim) the dense product with the shared weights is
    computed once and each draw adds its sparse correction (``_shared_input_correction``).
    With x already per draw, each draw's product is dense anyway, so the per-draw weights
    W + ΔW_d go into one batched matmul (no separate correction pass).

    Args:
        x: (*lead, in), or (draw, *lead, in) when ``has_draw``.
        weight: (index into the (out, in) weight, values (draw, k)) or None.
        bias: (index into the bias, values (draw, k)) or None.

    Returns:
        The output ((draw,) *lead, out) and whether it has the leading draw dim.
    """
    if weight is None and bias is None:
        return nn.functional.linear(x, layer.weight, layer.bias), has_draw
    n_draw = (weight if weight is not None else bias)[1].shape[0]
    lead = x.shape[1:-1] if has_draw else x.shape[:-1]
    b = layer.bias.expand(n_draw, -1)
    if bias is not None:
        b = b + _dense_delta(*bias)
    if has_draw:
        w = layer.weight if weight is None else layer.weight + _dense_delta(*weight)
        xs = x.reshape(n_draw, -1, layer.in_features)
        out = torch.baddbmm(b[:, None], xs, w.expand(n_draw, -1, -1).transpose(1, 2))
        return out.reshape(n_draw, *lead, layer.out_features), True
    out = nn.functional.linear(x, layer.weight).reshape(1, -1, layer.out_features) + b[:, None]
    if weight is not None and weight[0].k * SPARSE_MAX_FRACTION > layer.weight.numel():
        # many perturbed entries: the dense per-draw weight difference is cheaper
        dw = _dense_delta(*weight)  # (draw, out, in)
        out = out + x.reshape(1, -1, layer.in_features) @ dw.transpose(1, 2)
    elif weight is not None:
        out = out + _shared_input_correction(x, *weight)
    return out.reshape(n_draw, *lead, layer.out_features), True


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
