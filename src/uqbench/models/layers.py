"""Small functional layers: pure (no in-place writes), so they work under torch.func.vmap."""

from __future__ import annotations

import itertools

import torch
from torch import nn


class MLP(nn.Module):
    """Fully connected network with ELU between layers: sizes[0] -> ... -> sizes[-1].

    Input (..., sizes[0]) -> output (..., sizes[-1]); no activation after the last layer.
    """

    def __init__(self, sizes: list[int]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = nn.functional.elu(x)
        return x
