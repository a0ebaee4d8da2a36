"""Base models: plain nn.Modules that work under functional_call + vmap. Each problem names
its own (``Problem.model``, ``Problem.build_model`` in ``uqbench.problems``)."""

from __future__ import annotations

from torch import nn

from uqbench.models.convnet import ConvNet
from uqbench.models.deeponet import PODDeepONet
from uqbench.models.mor_physics import MORPhysics

__all__ = ["ConvNet", "MORPhysics", "PODDeepONet", "decayed"]


def decayed(model: nn.Module) -> list[nn.Parameter]:
    """The parameters that weight decay applies to: weight matrices and kernels (dim >= 2),
    except those under the model's ``NO_DECAY`` prefixes (biases are never decayed)."""
    skip = tuple(getattr(model, "NO_DECAY", ()))
    return [p for n, p in model.named_parameters() if p.dim() >= 2 and not n.startswith(skip)]
