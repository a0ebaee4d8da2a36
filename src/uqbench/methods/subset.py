"""Shared base of the (r) methods: a random subset S of the base model's parameters is random.

genuq, vi and flow perturb only the ⌈r·P⌉ flat-parameter indices in S (fixed by the seed);
the other weights are point estimates. Each starts from the deterministic pre-fit of the base
model under the problem's recipe (``Method.fit_mse``, selected by validation), so its own
phase starts at the validated point prediction. ``predict_perturbed`` evaluates many perturbations
of θ_S at once, never in a Python loop over draws: MLP-based models compute the products with
the shared weights once and add the sparse per-draw corrections (``models.layers``), other
models run one ``vmap(functional_call)``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.func import functional_call, vmap

from uqbench.methods.base import FlatParams, Method, stochastic_indices
from uqbench.models.layers import SparseDraws, SparseIndex


class SubsetMethod(Method):
    def _build_extra(self) -> None:
        self.flat = FlatParams(self.model)
        pool = self.subset_pool()
        self.S = stochastic_indices(self.flat.total, self.ratio, self.seed, pool).to(self.device)
        self._split_subset()
        self._build_posterior()

    def _split_subset(self) -> None:
        """Per parameter tensor: its entries in S (local flat indices) and their positions in S
        (S is sorted, so each tensor's entries are one contiguous slice of S)."""
        self.sparse_slices: dict[str, tuple[SparseIndex, slice]] = {}
        offset = 0
        for name, size, shape in zip(
            self.flat.names, self.flat.sizes, self.flat.shapes, strict=True
        ):
            lo = int(torch.searchsorted(self.S, offset))
            hi = int(torch.searchsorted(self.S, offset + size))
            if hi > lo:
                self.sparse_slices[name] = (
                    SparseIndex(self.S[lo:hi] - offset, shape),
                    slice(lo, hi),
                )
            offset += size
        # the sparse path needs a model that implements it and a dense-only-free subset
        self.sparse_path = (
            isinstance(self.model, SparseDraws)
            and self.model.channels == 1
            and all(n.rpartition(".")[2] in ("weight", "bias") for n in self.sparse_slices)
        )

    def subset_pool(self) -> np.ndarray | None:
        """The flat indices S is drawn from (None: all parameters); a method may narrow it."""
        return None

    def _build_posterior(self) -> None:
        """Hook: create the modules that generate perturbations of θ_S."""
        raise NotImplementedError

    @property
    def n_stochastic(self) -> int:
        return int(self.S.numel())

    def subset_values(self) -> torch.Tensor:
        """The current point values μ_S of the stochastic parameters, shape (|S|,)."""
        flat = torch.cat([p.reshape(-1) for p in self.model.parameters()])
        return flat[self.S]

    def predict_perturbed(self, inputs: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
        """f_θ(a) with θ_S = μ_S + δ for each row of δ.

        Models with ``forward_draws`` (MLP-based) compute each layer's product with the shared
        weights once and add the sparse per-draw corrections; others evaluate all draws with
        ``vmap(functional_call)``. Both give the same values (tested).

        Args:
            inputs: (case, *input grid).
            delta: (draw, |S|) perturbations of the stochastic parameters.

        Returns:
            (draw, case, *output dims).
        """
        if self.sparse_path:
            sparse = {n: (idx, delta[:, sl]) for n, (idx, sl) in self.sparse_slices.items()}
            return self.model.forward_draws(inputs, sparse)
        return self.predict_vmapped(inputs, delta)

    def predict_vmapped(self, inputs: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
        """``predict_perturbed`` by vmap(functional_call) over dense per-draw parameters."""
        full = torch.zeros(delta.shape[0], self.flat.total, device=delta.device, dtype=delta.dtype)
        full = full.index_copy(1, self.S, delta)
        base = dict(self.model.named_parameters())
        params = {n: base[n] + d for n, d in self.flat.unflatten(full).items()}
        return vmap(lambda p: functional_call(self.model, p, (inputs,)))(params)

    def sample_chunked(self, inputs: torch.Tensor, delta: torch.Tensor, chunk: int) -> torch.Tensor:
        """``predict_perturbed`` over chunks of draws (bounds memory); (draw, case, ...)."""
        inputs = inputs.to(self.device)
        return torch.cat([self.predict_perturbed(inputs, d) for d in delta.split(chunk)])
