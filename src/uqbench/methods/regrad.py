"""regrad: post-hoc epistemic score of the trained deterministic model (paper 001).

Paper 001 scores a pre-trained classifier by the norms of its parameter gradients; the
regression adaptation (ours, METHODS.md) replaces the loss gradient by the output's
Jacobian, estimated per layer with Rademacher probes (Hutchinson):
    score(a) = Σ_l λ_l · E_r ‖ ∇_{θ_l} ⟨r, (1/M) Σ_m f_θ(a + ε_m)⟩ ‖²,
with depth weights λ_l ∝ b^l (deeper layers weigh more), l the layer's position on its path
from the input to the output (``gradients.layer_depths``: the MOR-Physics branches h and g
both start at depth 0; registration order would give g's layers depths 3-5 and most of the
weight), and M small smooth input perturbations ε_m (σ = noise × input std). No
retraining: the checkpoint of the deterministic model is an input of the rule. Its
predictive "samples" are that model's point prediction; only the score is its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from uqbench.methods.base import Buffers, Data, point_samples
from uqbench.methods.gradients import hutchinson_layer_norms, layer_depths
from uqbench.methods.posthoc import PostHocMethod
from uqbench.seeding import torch_generator


@dataclass(frozen=True)
class RegradHyper:
    n_probes: int = 16
    n_perturbations: int = 8
    noise: float = 0.02
    depth_base: float = 2.0
    smooth_cutoff: float = 0.25
    chunk: int = 16


def smooth_noise(
    shape: tuple[int, ...], n: int, cutoff: float, generator: torch.Generator
) -> torch.Tensor:
    """n unit-std random fields on a grid of ``shape``, low-pass filtered (Gaussian in the
    normalised wavenumber |k|/k_max with width ``cutoff``): (n, *shape)."""
    white = torch.randn(n, *shape, generator=generator)
    dims = tuple(range(1, len(shape) + 1))
    spec = torch.fft.fftn(white, dim=dims)
    k2 = sum(
        (torch.fft.fftfreq(s) * 2).reshape([-1 if i == d else 1 for i in range(len(shape))]) ** 2
        for d, s in enumerate(shape)
    )
    smooth = torch.fft.ifftn(spec * torch.exp(-k2 / (2 * cutoff**2)), dim=dims).real
    return smooth / smooth.flatten(1).std(1).clamp_min(1e-12).reshape(-1, *[1] * len(shape))


class Regrad(PostHocMethod):
    name = "regrad"
    Hyper = RegradHyper

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        h = self.hyper
        eps = smooth_noise(
            tuple(train.inputs.shape[1:]),
            h.n_perturbations,
            h.smooth_cutoff,
            torch_generator(self.seed, self.name, "perturbations"),
        )
        depth = torch.tensor(layer_depths(self.model), dtype=torch.float32)
        w = h.depth_base**depth
        self.stats = Buffers(
            perturbations=h.noise * train.inputs.std() * eps.to(train.inputs), weights=w / w.sum()
        ).to(self.device)
        return []  # nothing is trained

    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        return point_samples(self.model, inputs.to(self.device), n_samples)

    def epistemic_score(self, inputs: torch.Tensor) -> torch.Tensor:
        gen = torch_generator(self.seed, self.name, "score probes")
        norms = hutchinson_layer_norms(
            self.model,
            inputs.to(self.device),
            self.hyper.n_probes,
            gen,
            perturbations=self.stats.perturbations,
            chunk=self.hyper.chunk,
        )
        return norms @ self.stats.weights
