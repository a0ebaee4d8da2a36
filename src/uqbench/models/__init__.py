"""Base models, one per problem. Plain nn.Modules that work under functional_call + vmap."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from uqbench.models.convnet import ConvNet
from uqbench.models.deeponet import PODDeepONet
from uqbench.models.mor_physics import MORPhysics

MODELS: dict[str, type[nn.Module]] = {
    "elu": MORPhysics,
    "poisson": PODDeepONet,
    "porous": ConvNet,
}

__all__ = ["MODELS", "build_model", "decayed", "model_from_args"]


def build_model(
    problem: str,
    inputs: torch.Tensor,
    outputs: torch.Tensor,
    channels: int = 1,
    dropout: float = 0.0,
) -> nn.Module:
    """The problem's base model sized for training data ``inputs`` (N, ...), ``outputs`` (N, ...).

    Data-dependent parts (the POD trunk, the input PCA) are fitted here; the result's
    ``init_args`` rebuild the same architecture (its buffers come back with the state dict).
    ``channels`` > 1 adds output channels: the output is then (batch, channels, *output
    dims). ``dropout`` is the drop probability of hidden units (active in training mode only).
    """
    opts = {"channels": channels, "dropout": dropout}
    if problem == "elu":
        return MORPhysics(grid=inputs.shape[-1], **opts)
    if problem == "poisson":
        model = PODDeepONet(list(inputs.shape[1:]), list(outputs.shape[1:]), **opts)
        model.fit_bases(inputs, outputs)
        return model
    if problem == "porous":
        return ConvNet(out=outputs.shape[-1], **opts)
    raise ValueError(f"no base model for problem {problem!r}; known: {sorted(MODELS)}")


def model_from_args(problem: str, args: dict[str, Any]) -> nn.Module:
    """Rebuild a base model from its ``init_args`` (weights are loaded separately)."""
    return MODELS[problem](**args)


def decayed(model: nn.Module) -> list[nn.Parameter]:
    """The parameters that weight decay applies to: weight matrices and kernels (dim >= 2),
    except those under the model's ``NO_DECAY`` prefixes (biases are never decayed)."""
    skip = tuple(getattr(model, "NO_DECAY", ()))
    return [p for n, p in model.named_parameters() if p.dim() >= 2 and not n.startswith(skip)]
