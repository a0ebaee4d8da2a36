"""POD-DeepONet (poisson problem): u(a) = mean + Σ_k b_k(a) · s_k φ_k.

The trunk is fixed: the top ``modes`` POD modes φ_k of the training outputs (with their
singular-value scale s_k, so the branch outputs b_k are O(1)) plus the training mean. The
branch is an MLP over the flattened input, n_in -> 128 -> 128 -> modes (ELU). With
``channels`` > 1 the branch gives one coefficient set per channel; channels after the first
(e.g. a log-variance head) have a learned constant offset instead of the training mean.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from uqbench.models.layers import MLP, Sparse, mlp_draws


class PODDeepONet(nn.Module):
    """Input (batch, *in_shape) -> output (batch, *out_shape) or (batch, C, *out_shape)."""

    # the output layer: the part decu trains per member on the frozen rest
    HEAD = "branch.layers.2"

    def __init__(
        self,
        in_shape: list[int],
        out_shape: list[int],
        modes: int = 32,
        width: int = 128,
        channels: int = 1,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.init_args = {"in_shape": list(in_shape), "out_shape": list(out_shape),
                          "modes": modes, "width": width, "channels": channels,
                          "dropout": dropout}  # fmt: skip
        self.in_shape, self.out_shape, self.channels = tuple(in_shape), tuple(out_shape), channels
        n_in, n_out = math.prod(in_shape), math.prod(out_shape)
        self.branch = MLP([n_in, width, width, modes * channels], dropout)
        if channels > 1:
            self.offset = nn.Parameter(torch.zeros(channels - 1, 1))
        # trunk: set by fit_basis (saved in the state dict as buffers)
        self.register_buffer("mean", torch.zeros(n_out))
        self.register_buffer("basis", torch.zeros(modes, n_out))

    @torch.no_grad()
    def fit_basis(self, outputs: torch.Tensor) -> None:
        """POD of training outputs (N, *out_shape): mean and the top modes scaled by s_k/√N."""
        y = outputs.reshape(outputs.shape[0], -1).to(self.mean)
        mean = y.mean(0)
        _, s, vh = torch.linalg.svd(y - mean, full_matrices=False)
        m = self.basis.shape[0]
        if vh.shape[0] < m:
            raise ValueError(f"POD needs at least {m} training outputs, got {vh.shape[0]}")
        self.mean.copy_(mean)
        self.basis.copy_(vh[:m] * (s[:m, None] / y.shape[0] ** 0.5))

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        coeff = self.branch(a.flatten(-len(self.in_shape)))
        if self.channels == 1:
            return (self.mean + coeff @ self.basis).unflatten(-1, self.out_shape)
        out = coeff.unflatten(-1, (self.channels, -1)) @ self.basis  # (batch, C, n_out)
        shift = torch.cat([self.mean[None], self.offset.expand(-1, self.mean.shape[0])])
        return (out + shift).unflatten(-1, self.out_shape)

    def forward_draws(self, a: torch.Tensor, sparse: dict[str, Sparse]) -> torch.Tensor:
        """Outputs (draw, batch, *out_shape) for draws that perturb a few branch weights
        (``layers.linear_draws``: the shared product is computed once). channels must be 1."""
        n_draw = next(iter(sparse.values()))[1].shape[0]
        coeff, has_draw = mlp_draws(self.branch, a.flatten(-len(self.in_shape)), sparse, "branch.")
        if not has_draw:
            coeff = coeff.expand(n_draw, *coeff.shape)
        return (self.mean + coeff @ self.basis).unflatten(-1, self.out_shape)
