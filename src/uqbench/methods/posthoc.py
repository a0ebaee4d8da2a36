"""Shared base of the post-hoc methods (regrad, isograd, laplace): they work on the trained
deterministic model (``attach_pretrained``, which ``methods.prepare`` calls for every method
that needs a trained model), train nothing, and keep their fitted statistics in a ``stats``
buffer module (set by ``fit``) saved with the checkpoint."""

from __future__ import annotations

from torch import nn

from uqbench.methods.base import Buffers, Data, Method


class PostHocMethod(Method):
    buffer_modules = ("stats",)
    stats: Buffers

    def build(self, train: Data) -> None:
        raise RuntimeError(
            f"{self.name} works on a trained model: give it one with methods.prepare "
            "(or attach_pretrained), not a fresh one"
        )

    def modules(self) -> dict[str, nn.Module]:
        return {"model": self.model, "stats": self.stats}
