"""decu: partially frozen ensemble with a pairwise-distance epistemic score (paper 004).

One base model with mean + log-variance outputs (2 channels) is pre-trained on the Gaussian
NLL; then everything but its output layer (``model.HEAD``, a few % of the parameters) is
frozen, and M heads, each freshly initialised with its own seed, are trained on bootstrap
resamples of the training set (per-member multinomial counts weight each example's NLL, so
all members train in one vmapped pass on shared mini-batches). Epistemic score: the
pairwise-distance (Bhattacharyya) estimate of the mutual information between the output and
the member index, per output point and averaged over points (the global one over all points
saturates at ln M). Predictive samples: the uniform mixture of the members' Gaussians.
Paper 004 is about classification; this regression form is ours (METHODS.md).
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
from uqbench.methods.training import train_loop


@dataclass(frozen=True)
class DecuHyper:
    members: int = 5
    pretrain_epochs: int = 200
    epochs: int = 100
    batch_size: int = 64
    lr: float = 1e-3

    def __post_init__(self) -> None:
        if self.members < 2:
            raise ValueError(f"methods.decu.members must be >= 2, got {self.members}")


class Decu(MixtureMethod):
    name = "decu"
    Hyper = DecuHyper

    def model_options(self) -> dict:
        return {"channels": 2}

    def _build_extra(self) -> None:
        prefix = type(self.model).HEAD + "."
        self.head_names = [n for n, _ in self.model.named_parameters() if n.startswith(prefix)]
        heads = {}
        for n in self.head_names:
            p = dict(self.model.named_parameters())[n]
            stacked = torch.empty(self.hyper.members, *p.shape, device=self.device)
            heads[n.replace(".", "__")] = nn.Parameter(stacked)
        self.heads = nn.ParameterDict(heads)
        self._init_heads()

    def _init_heads(self) -> None:
        """Member m's head: a fresh default nn.Linear initialisation under seed (seed, m)."""
        layer = self.model.get_submodule(type(self.model).HEAD)
        with torch.no_grad():
            for m in range(self.hyper.members):
                torch.manual_seed(self.seed * 1000 + m + 1)
                fresh = nn.Linear(layer.in_features, layer.out_features)
                self.heads[layer_name(self, "weight")][m].copy_(fresh.weight)
                self.heads[layer_name(self, "bias")][m].copy_(fresh.bias)

    def modules(self) -> dict[str, nn.Module]:
        return {"model": self.model, "heads": self.heads}

    @property
    def head_fraction(self) -> float:
        """Trainable head parameters per member / parameters of the base model."""
        head = sum(dict(self.model.named_parameters())[n].numel() for n in self.head_names)
        return head / sum(p.numel() for p in self.model.parameters())

    def forward_all(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of every member: each (member, case, *output dims)."""
        frozen = {n: p.detach() for n, p in self.model.named_parameters()
                  if n not in self.head_names}  # fmt: skip
        stacked = {n: self.heads[n.replace(".", "__")] for n in self.head_names}
        out = vmap(lambda hp: functional_call(self.model, {**frozen, **hp}, (inputs,)))(stacked)
        return out[:, :, 0], out[:, :, 1].clamp_min(LOG_VAR_MIN)

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        h = self.hyper
        if self.model is None:
            self.build(train)

        def nll(a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            out = self.model(a)
            return gaussian_nll(out[:, 0], y, out[:, 1].clamp_min(LOG_VAR_MIN)).mean()

        history = train_loop(
            nll, self.model.parameters(), train.inputs, train.outputs,
            epochs=h.pretrain_epochs, batch_size=h.batch_size, lr=h.lr, seed=self.seed,
            tag="decu/pretrain",
        )  # fmt: skip
        n = train.inputs.shape[0]
        rng = np.random.default_rng([self.seed, 0xB007])
        counts = rng.multinomial(n, np.full(n, 1 / n), size=h.members)  # bootstrap resamples
        weights = torch.as_tensor(counts, dtype=train.outputs.dtype, device=self.device)

        def bootstrap_nll(a: torch.Tensor, y: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
            mean, log_var = self.forward_all(a)
            per = gaussian_nll(mean, y, log_var)  # (member, batch)
            return (weights[:, idx] * per).mean(-1).sum()

        return train_loop(
            bootstrap_nll, self.heads.parameters(), train.inputs, train.outputs,
            epochs=h.epochs, batch_size=h.batch_size, lr=h.lr, seed=self.seed + 1,
            tag="decu", history=history, with_index=True,
        )  # fmt: skip


def layer_name(m: Decu, kind: str) -> str:
    return f"{type(m.model).HEAD}.{kind}".replace(".", "__")
