"""decu: partially frozen ensemble with a pairwise-distance epistemic score (paper 004).

One base model with mean + log-variance outputs (2 channels) is pre-trained on the Gaussian
NLL under the problem's recipe (selected by the validation NLL); then everything but its
output layers (``model.HEAD``) is frozen, and M heads, each freshly initialised with its own
seed, are trained on bootstrap resamples of the training set (per-member multinomial counts
weight each example's NLL, so all members train in one vmapped pass on shared mini-batches;
the kept epoch has the best validation NLL summed over members). The heads are a few % of
the parameters for the elu and porous models; the poisson DeepONet is small (input PCA,
26k parameters) and its output layers, the linear path and the MLP's last layer, are about a
third of it. Epistemic score: the pairwise-distance (Bhattacharyya) estimate of the mutual
information between the output and the member index, per output point and averaged over
points (the global one over all points saturates at ln M). Predictive samples: the uniform
mixture of the members' Gaussians. Paper 004 is about classification; this regression form
is ours (METHODS.md). ``n_params`` counts what predicts: the frozen backbone once and the M
heads (the pre-trained head is not used after the heads are trained).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, vmap

from uqbench.methods.base import Data
from uqbench.methods.likelihood import gaussian_nll
from uqbench.methods.mixture import LOG_VAR_MIN, MixtureMethod
from uqbench.methods.training import rel_l2
from uqbench.models import decayed
from uqbench.seeding import stream, torch_fork


@dataclass(frozen=True)
class DecuHyper:
    members: int = 5

    def __post_init__(self) -> None:
        if self.members < 2:
            raise ValueError(f"hyper.decu.members must be >= 2, got {self.members}")


def _key(name: str) -> str:
    return name.replace(".", "__")  # ParameterDict keys cannot contain dots


class Decu(MixtureMethod):
    name = "decu"
    Hyper = DecuHyper

    def model_options(self) -> dict:
        return {"channels": 2}

    def _build_extra(self) -> None:
        heads = tuple(h + "." for h in type(self.model).HEAD)
        params = dict(self.model.named_parameters())
        self.head_names = [n for n in params if n.startswith(heads)]
        self.heads = nn.ParameterDict(
            {
                _key(n): nn.Parameter(
                    torch.empty(self.hyper.members, *params[n].shape, device=self.device)
                )
                for n in self.head_names
            }
        )
        self._init_heads()

    def _init_heads(self) -> None:
        """Member m's heads: fresh default nn.Linear initialisations under seed (seed, m)."""
        with torch.no_grad():
            for m in range(self.hyper.members):
                for head in type(self.model).HEAD:
                    layer = self.model.get_submodule(head)
                    with torch_fork(self.seed, self.name, "head", str(m)):
                        fresh = nn.Linear(layer.in_features, layer.out_features)
                    self.heads[_key(f"{head}.weight")][m].copy_(fresh.weight)
                    self.heads[_key(f"{head}.bias")][m].copy_(fresh.bias)

    def modules(self) -> dict[str, nn.Module]:
        return {"model": self.model, "heads": self.heads}

    def decayed(self) -> list[nn.Parameter]:
        """The base model's decayed matrices (pre-training) and the heads' (head phase)."""
        base = decayed(self.model)
        ids = {id(p) for p in base}
        heads = [
            self.heads[_key(n)]
            for n, p in self.model.named_parameters()
            if n in self.head_names and id(p) in ids
        ]
        return base + heads

    @property
    def n_params(self) -> int:
        backbone = sum(
            p.numel() for n, p in self.model.named_parameters() if n not in self.head_names
        )
        return backbone + sum(p.numel() for p in self.heads.parameters())

    def forward_all(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of every member: each (member, case, *output dims)."""
        frozen = {
            n: p.detach() for n, p in self.model.named_parameters() if n not in self.head_names
        }
        stacked = {n: self.heads[_key(n)] for n in self.head_names}
        out = vmap(lambda hp: functional_call(self.model, {**frozen, **hp}, (inputs,)))(stacked)
        return out[:, :, 0], out[:, :, 1].clamp_min(LOG_VAR_MIN)

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        history = self.pretrain(train, val)
        return self.fit_heads(train, val, history)

    def pretrain(self, train: Data, val: Data) -> list[dict[str, float]]:
        """The backbone: the 2-channel base model on the Gaussian NLL (then frozen)."""

        def nll(a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            out = self.model(a)
            return gaussian_nll(out[:, 0], y, out[:, 1].clamp_min(LOG_VAR_MIN)).mean()

        @torch.no_grad()
        def validate() -> tuple[float, float]:
            mean = self.model(val.inputs)[:, 0]
            return float(nll(val.inputs, val.outputs)), rel_l2(mean, val.outputs)

        return self.fit_base(nll, train, validate, f"{self.name}/pretrain")

    def bootstrap_weights(self, n: int) -> torch.Tensor:
        """(member, n) multinomial counts: how often each training case is in a member's
        bootstrap resample (each row sums to n)."""
        rng = stream(self.seed, self.name, "bootstrap")
        counts = rng.multinomial(n, np.full(n, 1 / n), size=self.hyper.members)
        return torch.as_tensor(counts, dtype=torch.float32, device=self.device)

    def member_loss(self, a: torch.Tensor, y: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Σ_members mean_batch w_{m,b} · NLL_m(y_b | a_b): each member's NLL with its
        bootstrap counts weights (member, batch) (all ones: the plain NLL)."""
        mean, log_var = self.forward_all(a)
        return (weights * gaussian_nll(mean, y, log_var)).mean(-1).sum()

    def fit_heads(
        self, train: Data, val: Data, history: list[dict[str, float]]
    ) -> list[dict[str, float]]:
        """The M heads on their bootstrap resamples; only the heads are trained (the frozen
        backbone enters ``forward_all`` detached)."""
        weights = self.bootstrap_weights(train.inputs.shape[0]).to(train.outputs.dtype)
        ones = torch.ones(self.hyper.members, 1, dtype=train.outputs.dtype, device=self.device)

        def bootstrap_nll(a: torch.Tensor, y: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
            return self.member_loss(a, y, weights[:, idx])

        def plain_nll(a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return self.member_loss(a, y, ones)

        return self.fit_base(
            bootstrap_nll,
            train,
            self.mixture_validation(plain_nll, val),
            self.name,
            params=self.heads.parameters(),
            history=history,
            with_index=True,
        )
