"""Shared base of the post-hoc methods (regrad, isograd): they work on the trained
deterministic model (``attach_pretrained``), train nothing, and keep their fitted statistics
in a ``stats`` buffer module saved with the checkpoint."""

from __future__ import annotations

from abc import abstractmethod

import torch
from torch import nn

from uqbench.methods.base import Buffers, Method


class PostHocMethod(Method):
    has_score = True
    needs_pretrained = True

    @abstractmethod
    def initial_stats(self) -> dict[str, torch.Tensor]:
        """The statistics' initial values (replaced by ``fit`` or a checkpoint)."""

    def _build_extra(self) -> None:
        if not hasattr(self, "stats"):
            self.stats = Buffers(**self.initial_stats()).to(self.device)

    def modules(self) -> dict[str, nn.Module]:
        return {"model": self.model, "stats": self.stats}

    def load_state_dict(self, state: dict) -> None:
        # the fitted statistics' shapes come from the checkpoint, not from initial_stats
        self.stats = Buffers(**state["weights"]["stats"]).to(self.device)
        super().load_state_dict(state)
