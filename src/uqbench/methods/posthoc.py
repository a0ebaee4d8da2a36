"""Shared base of the post-hoc methods (regrad, isograd): they work on the trained
deterministic model (``attach_pretrained``), train nothing, and keep their fitted statistics
in a ``stats`` buffer module (set by ``fit``) saved with the checkpoint."""

from __future__ import annotations

from torch import nn

from uqbench.methods.base import Buffers, Method


class PostHocMethod(Method):
    buffer_modules = ("stats",)
    stats: Buffers

    def modules(self) -> dict[str, nn.Module]:
        return {"model": self.model, "stats": self.stats}
