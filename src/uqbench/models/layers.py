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
