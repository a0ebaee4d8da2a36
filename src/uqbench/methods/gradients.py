"""Parameter-gradient norms of a base model, shared by regrad and isograd (METHODS.md).

All estimates are vectorised over cases (and probes) with ``torch.func`` (per-sample
gradients by ``vmap(grad(...))``, Jacobian-vector products by ``vmap(jvp(...))``); no Python
loop over cases or probes, only chunks of cases to bound memory.
"""

from __future__ import annotations

import torch
import torch.fx as fx
from torch import nn
from torch.func import functional_call, grad, jvp, vmap


def layer_groups(model: nn.Module) -> list[list[str]]:
    """Parameter names grouped by layer (the module that owns them), in registration order."""
    groups: dict[str, list[str]] = {}
    for name, _ in model.named_parameters():
        groups.setdefault(name.rpartition(".")[0], []).append(name)
    return list(groups.values())


def layer_depths(model: nn.Module) -> list[int]:
    """Depth of every layer of ``layer_groups``: its position on its path from the input to
    the output, i.e. the number of parameterised layers before it on the longest path that
    reaches it (0 for every first layer, also of parallel branches; registration order does
    not matter). Read off the model's ``torch.fx`` graph."""
    try:
        graph = fx.symbolic_trace(model).graph
    except Exception as err:  # fx raises many kinds; the message names the model
        raise TypeError(
            f"{type(model).__name__} cannot be traced by torch.fx, so its layer depths are "
            f"unknown: {err}"
        ) from err
    owners = {name.rpartition(".")[0] for name, _ in model.named_parameters()}
    depth: dict[fx.Node, int] = {}
    layer: dict[str, int] = {}
    for node in graph.nodes:
        before = max((depth[a] for a in node.all_input_nodes), default=0)
        if node.op == "call_module" and node.target in owners:
            layer[node.target] = max(layer.get(node.target, 0), before)
            depth[node] = before + 1
        else:
            depth[node] = before
    missing = owners - set(layer)
    if missing:
        raise TypeError(f"parameters of {sorted(missing)} are not used as modules in forward")
    return [layer[names[0].rpartition(".")[0]] for names in layer_groups(model)]


def hutchinson_layer_norms(
    model: nn.Module,
    inputs: torch.Tensor,
    n_probes: int,
    generator: torch.Generator,
    perturbations: torch.Tensor | None = None,
    chunk: int = 16,
) -> torch.Tensor:
    """Per-case, per-layer estimate of Σ_j ‖∇_{θ_l} g_j(a)‖² by Rademacher probes r:
    E_r ‖∇_{θ_l} ⟨r, g(a)⟩‖², where g(a) = mean_m f_θ(a + ε_m) (g = f without perturbations).

    Args:
        inputs: (case, *input grid).
        n_probes: K Rademacher probes per case.
        perturbations: (M, *input grid) input perturbations ε_m, or None.
        chunk: cases per vectorised call.

    Returns:
        (case, layer) non-negative estimates; layers as in ``layer_groups``.
    """
    params = {k: v.detach() for k, v in model.named_parameters()}
    groups = layer_groups(model)

    def inner(p: dict, a: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        batch = a[None] if perturbations is None else a[None] + perturbations
        out = functional_call(model, p, (batch,)).mean(0)
        return (r * out).sum()

    per_probe = vmap(grad(inner), in_dims=(None, None, 0))  # over probes
    per_case = vmap(per_probe, in_dims=(None, 0, 0))  # over cases
    with torch.no_grad():
        out_shape = model(inputs[:1]).shape[1:]
    results = []
    for a in inputs.split(chunk):
        r = torch.randint(0, 2, (a.shape[0], n_probes, *out_shape), generator=generator)
        r = (2 * r - 1).to(a)
        g = per_case(params, a, r)  # {name: (case, probe, *shape)}
        norms = [sum(g[n].flatten(2).pow(2).sum(-1) for n in names) for names in groups]
        results.append(torch.stack(norms, -1).mean(1))  # mean over probes
    return torch.cat(results)


def jvp_outputs(
    model: nn.Module, inputs: torch.Tensor, tangents: dict[str, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """f_θ(a) and J·δ for a batch of parameter directions δ.

    Args:
        inputs: (case, *input grid).
        tangents: {name: (draw, *param shape)}.

    Returns:
        f (case, *output dims) and J·δ (draw, case, *output dims).
    """
    params = {k: v.detach() for k, v in model.named_parameters()}

    def f(p: dict) -> torch.Tensor:
        return functional_call(model, p, (inputs,))

    jd = vmap(lambda t: jvp(f, (params,), (t,))[1])(tangents)
    return f(params), jd


def point_grad_norms(
    model: nn.Module,
    inputs: torch.Tensor,
    n_probes: int,
    generator: torch.Generator,
    chunk: int = 64,
) -> torch.Tensor:
    """Per-point estimate of ‖∂f_j/∂θ‖² = E_δ[(J δ)_j²], δ ~ N(0, I_P), with K JVP probes.

    inputs (case, *input grid) -> (case, *output dims); unbiased, non-negative.
    """
    params = {k: v.detach() for k, v in model.named_parameters()}
    total = 0.0
    for k0 in range(0, n_probes, chunk):
        k = min(chunk, n_probes - k0)
        tangents = {
            n: torch.randn(k, *v.shape, generator=generator).to(v) for n, v in params.items()
        }
        _, jd = jvp_outputs(model, inputs, tangents)
        total = total + jd.pow(2).sum(0)
    return total / n_probes
