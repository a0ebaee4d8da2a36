"""ecsg: exact conditional score-guided generator on PCA latents (paper 003, METHODS.md).

Inputs a and outputs u are reduced to standardised PCA latents (fitted on train). The
training latents m_i = (u_i, a_i) define a Gaussian-mixture prior with diagonal smoothing
variances (var_u, var_a). Along Z_t = α_t Z_0 + β_t ε the conditional score given the
observed input latent y is closed-form: a softmax-weighted (logsumexp) sum over components
of −(z − α_t m_i)/Σ_t plus a likelihood term on the a-block, with weights
∝ N(z; α_t m_i, Σ_t)·N(y; s2 z_a + s1 a_i, s3 + var_y). The reverse probability-flow ODE
(Euler, t = 1 → 0, float64) turns noise z_1 ~ N(0, I) and a training input into an output
latent: these label pairs (vectorised over pairs and components, chunked over pairs) train
an MLP F(a_latent, z_1) -> u_latent by MSE. Sampling is one forward pass of F per draw.
No base model is used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch
from torch import nn

from uqbench.methods.base import Buffers, Data, Method
from uqbench.methods.training import PhaseHyper, rel_l2, train_loop
from uqbench.models.layers import MLP, principal_basis
from uqbench.seeding import torch_generator

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EcsgHyper(PhaseHyper):
    latent_u: int = 16
    latent_a: int = 16
    var_u: float = 1e-2
    var_a: float = 0.05
    var_y: float = 0.05
    eps0: float = 1e-5
    ode_steps: int = 1000
    n_pairs: int = 5000
    pair_chunk: int = 512
    hidden: tuple[int, ...] = (128, 128)
    val_fraction: float = 0.1
    epochs: int = 200
    batch_size: int = 128

    def __post_init__(self) -> None:
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"hyper.ecsg.val_fraction must be in (0, 1), got {self.val_fraction}")


def pca(x: torch.Tensor, k: int) -> dict[str, torch.Tensor]:
    """Mean, top-k basis (k, n) and latent std (k,) of rows x (N, n); k capped by rank."""
    mean, basis, scale = principal_basis(x, k)
    return {"mean": mean, "basis": basis, "scale": scale.clamp_min(1e-8)}


def conditional_score(
    z: torch.Tensor, t: float, y: torch.Tensor, comps: torch.Tensor, du: int, h: EcsgHyper
) -> torch.Tensor:
    """Exact score ∇_z log p_t(z | y) of the smoothed empirical mixture.

    Args:
        z: (pair, du + da) current states; y: (pair, da) observed input latents.
        comps: (N, du + da) mixture means m_i = (u_i, a_i).

    Returns:
        (pair, du + da).
    """
    alpha = 1 - (1 - h.eps0) * t
    beta2 = h.eps0 + (1 - h.eps0) * t
    var = torch.cat([torch.full((du,), h.var_u), torch.full((z.shape[1] - du,), h.var_a)])
    sigma = (alpha**2 * var + beta2).to(z)  # (d,) Σ_t
    c = alpha**2 * h.var_a + beta2
    s1, s2, s3 = beta2 / c, alpha * h.var_a / c, beta2 * h.var_a / c
    a_comp = comps[:, du:]
    # log N(z; α m_i, Σ) up to a constant: −½ Σ_d (z − α m_i)² / Σ_d, via matmuls
    zs = z / sigma
    log_w = -0.5 * ((z * zs).sum(1, keepdim=True) - 2 * alpha * zs @ comps.T
                    + alpha**2 * ((comps**2) / sigma).sum(1))  # fmt: skip
    q = y - s2 * z[:, du:]  # y − s2 z_a
    lik_var = s3 + h.var_y
    log_w = log_w - 0.5 * ((q * q).sum(1, keepdim=True) - 2 * s1 * q @ a_comp.T
                           + s1**2 * (a_comp**2).sum(1)) / lik_var  # fmt: skip
    w = torch.softmax(log_w, dim=1)  # (pair, N), logsumexp-stable
    mean_m = w @ comps  # Σ_i w_i m_i
    score = -(z - alpha * mean_m) / sigma
    lik = s2 * (q - s1 * (w @ a_comp)) / lik_var
    return torch.cat([score[:, :du], score[:, du:] + lik], dim=1)


def label_pairs(
    z1: torch.Tensor, y: torch.Tensor, comps: torch.Tensor, du: int, h: EcsgHyper
) -> torch.Tensor:
    """Integrate the probability-flow ODE dz = (b z − ½σ² S) dt from t = 1 to 0 (Euler).

    z1: (pair, d) noise, y: (pair, da) conditions -> z_0's output block (pair, du).
    """
    out = []
    dt = 1.0 / h.ode_steps
    for zc, yc in zip(z1.split(h.pair_chunk), y.split(h.pair_chunk), strict=True):
        z = zc.clone()
        for k in range(h.ode_steps):  # time steps are sequential by nature
            t = 1.0 - k * dt
            alpha = 1 - (1 - h.eps0) * t
            beta2 = h.eps0 + (1 - h.eps0) * t
            b = -(1 - h.eps0) / alpha
            sig2 = (1 - h.eps0) - 2 * b * beta2
            drift = b * z - 0.5 * sig2 * conditional_score(z, t, yc, comps, du, h)
            z = z - dt * drift
        out.append(z[:, :du])
    return torch.cat(out)


class Ecsg(Method):
    name = "ecsg"
    Hyper = EcsgHyper
    buffer_modules = ("pca",)

    def build(self, train: Data) -> None:
        """PCA of inputs and outputs (no base model), then the MLP sized by the latents."""
        h = self.hyper
        pin = pca(train.inputs.flatten(1).double(), h.latent_a)
        pout = pca(train.outputs.flatten(1).double(), h.latent_u)
        tensors = {f"in_{k}": v.float() for k, v in pin.items()}
        tensors.update({f"out_{k}": v.float() for k, v in pout.items()})
        tensors["out_shape"] = torch.tensor(train.outputs.shape[1:])
        self.pca = Buffers(**tensors).to(self.device)
        self._build_extra()

    def _build_extra(self) -> None:
        du, da = self.pca.out_basis.shape[0], self.pca.in_basis.shape[0]
        torch.manual_seed(self.seed)
        self.net = MLP([da + du + da, *self.hyper.hidden, du]).to(self.device)

    def modules(self) -> dict[str, nn.Module]:
        return {"net": self.net, "pca": self.pca}

    def encode_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """(case, *input grid) -> standardised input latents (case, da)."""
        p = self.pca
        return ((inputs.flatten(1) - p.in_mean) @ p.in_basis.T) / p.in_scale

    def decode_outputs(self, latents: torch.Tensor) -> torch.Tensor:
        """Standardised output latents (..., du) -> outputs (..., *output dims)."""
        p = self.pca
        flat = p.out_mean + (latents * p.out_scale) @ p.out_basis
        return flat.unflatten(-1, tuple(p.out_shape.tolist()))

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        h = self.hyper
        self.build(train)
        p = self.pca
        a_lat = self.encode_inputs(train.inputs).double()
        u_lat = (((train.outputs.flatten(1) - p.out_mean) @ p.out_basis.T) / p.out_scale).double()
        du = u_lat.shape[1]
        comps = torch.cat([u_lat, a_lat], dim=1)
        gen = torch.Generator().manual_seed(self.seed)
        idx = torch.randint(0, a_lat.shape[0], (h.n_pairs,), generator=gen).to(self.device)
        z1 = torch.randn(h.n_pairs, comps.shape[1], generator=gen, dtype=torch.float64)
        z1 = z1.to(self.device)
        log.info("ecsg: labelling %d pairs with %d ODE steps over %d mixture components",
                 h.n_pairs, h.ode_steps, comps.shape[0])  # fmt: skip
        with torch.no_grad():
            u0 = label_pairs(z1, a_lat[idx], comps, du, h)
        features = torch.cat([a_lat[idx], z1], dim=1).float()
        n_val = max(1, round(h.val_fraction * h.n_pairs))  # held-out pairs select the epoch
        pairs, held = Data(features[n_val:], u0[n_val:].float()), (features[:n_val], u0[:n_val])
        z_val = torch.randn(16, val.inputs.shape[0], comps.shape[1],
                            generator=torch_generator(self.seed, "val z"))  # fmt: skip

        def mse(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return (self.net(x) - y).pow(2).mean()

        @torch.no_grad()
        def validate() -> tuple[float, float]:
            return float(mse(*held)), rel_l2(self.draw(val.inputs, z_val).mean(0), val.outputs)

        return train_loop(mse, self.net.parameters(), pairs, validate, h.optim(), seed=self.seed,
                          tag=self.name)  # fmt: skip

    def draw(self, inputs: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Outputs (draw, case, *output dims) for inputs (case, ...), noise z (draw, case, d)."""
        a = self.encode_inputs(inputs.to(self.device))  # (case, da)
        feats = torch.cat([a.expand(z.shape[0], *a.shape), z.to(a)], dim=-1)
        return self.decode_outputs(self.net(feats))

    @torch.no_grad()
    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        d = self.net.layers[0].in_features - self.pca.in_basis.shape[0]
        z = torch.randn(n_samples, inputs.shape[0], d, generator=generator)
        return self.draw(inputs, z)
