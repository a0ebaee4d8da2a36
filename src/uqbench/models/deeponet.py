"""POD-DeepONet (poisson problem): u(a) = mean + Σ_k b_k(a) · s_k φ_k.

The trunk is fixed: the top ``modes`` POD modes φ_k of the training outputs (with their
singular-value scale s_k, so the branch outputs b_k are O(1)) plus the training mean. The
branch is an MLP over the flattened input, n_in -> 128 -> 128 -> modes (ELU).
"""

from __future__ import annotations

import torch
from torch import nn

from uqbench.models.layers import MLP


class PODDeepONet(nn.Module):
    """Input (batch, *in_shape) -> output (batch, *out_shape)."""

    def __init__(
        self, in_shape: list[int], out_shape: list[int], modes: int = 32, width: int = 128
    ) -> None:
        super().__init__()
        self.init_args = {"in_shape": list(in_shape), "out_shape": list(out_shape),
                          "modes": modes, "width": width}  # fmt: skip
        self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)
        n_in, n_out = int(torch.tensor(in_shape).prod()), int(torch.tensor(out_shape).prod())
        self.branch = MLP([n_in, width, width, modes])
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
        return (self.mean + coeff @ self.basis).unflatten(-1, self.out_shape)
