"""Every method that claims a spread, checked against a conditional law known in closed form.

The toy is the elu operator with a random amplitude only (``length_log_std: 0``):
v = A·m(u) with m(u) = F⁻¹[exp(-(ℓ₀k)²) F[ELU(u)]] and A = exp(0.3 ξ), ξ ~ N(0, 1), so given
the input u the output is m(u) times a log-normal scalar: mean E[A]·m, pointwise variance
Var[A]·m², and a rank-one correlation sign(m_i m_j) between every two points. MOR-Physics
holds the operator exactly, so a method that learns the law can match it. Each method trains
for a few seconds on 512 pairs; the tests read its spread against the exact variance, its
90 % coverage of true realizations, and (GenUQ vs VI) its correlation against the exact one.
"""

import functools
import math

import numpy as np
import pytest
import torch

from uqbench.methods import make_method, prepare
from uqbench.methods.base import Data
from uqbench.metrics.scores import correlation_error, interval_coverage
from uqbench.problems import make_problem
from uqbench.stages.data import split_dataset

SETTINGS = {
    "grid": 16,
    "modes": 4,
    "shift_modes": [5, 6, 7],
    "amplitude_log_std": 0.3,
    "length_log_std": 0.0,
    "sizes": {"train": 512, "val": 256, "test": 64, "ood": 4, "realizations": 200},
}
RECIPE = {"epochs": 150, "batch_size": 32, "lr": 3e-3, "patience": 30}
PHASE = {"epochs": 60, "batch_size": 32, "lr": 3e-3, "patience": 20}
HYPER = {
    "genuq": {**PHASE, "n_z": 8, "hidden": [32, 32]},
    "vi": {**PHASE, "n_mc": 4},
    "flow": {**PHASE, "n_mc": 4, "hidden": [16]},
    "mc_dropout": {},
    "ensemble": {"members": 4},
    "isograd": {"n_probes": 32},
    "ecsg": {
        "ode_steps": 100,
        "n_pairs": 2000,
        "latent_u": 8,
        "latent_a": 8,
        "epochs": 100,
        "hidden": [64, 64],
    },
    "decu": {"members": 4},
    "laplace": {},
    "pno": {**PHASE, "n_z": 8},
}
VAR_A = (math.exp(0.3**2) - 1) * math.exp(0.3**2)  # Var[A] of A = exp(0.3 ξ)
# Per method: the window of its spread ratio (predictive / exact variance, averaged over
# points and cases) and of its 90 % coverage on this toy, from five (data, method) seeds
# 0-4 (measured range in the comment; the window is that range widened by 1.25x for the
# spread and ±0.03 for coverage). The scale is learnt from 256-512 single draws of a
# log-normal amplitude weighted by m², which puts most of the weight on a few cases, so the
# seed-to-seed range is wide (isograd 0.42-1.02) for some methods and narrow (laplace 0.71-
# 0.87) for others; a window per method catches a change in any of them. ecsg under-
# disperses here on every seed (its kernel bandwidths are chosen by val likelihood on 8-dim
# latents); `make validate` checks the full-size spreads against a reference run.
WINDOWS = {  # name: ((spread lo, hi), (coverage_90 lo, hi)); measured spread, coverage
    "decu": ((0.85, 1.89), (0.87, 0.96)),  # 1.06-1.52, 0.900-0.926
    "ecsg": ((0.38, 0.87), (0.77, 0.89)),  # 0.47-0.70, 0.803-0.857
    "ensemble": ((0.68, 1.44), (0.86, 0.94)),  # 0.85-1.15, 0.888-0.913
    "flow": ((0.70, 1.36), (0.87, 0.95)),  # 0.87-1.09, 0.901-0.921
    "genuq": ((0.56, 1.59), (0.82, 0.96)),  # 0.70-1.27, 0.854-0.927
    "isograd": ((0.34, 1.27), (0.80, 0.96)),  # 0.42-1.02, 0.831-0.930
    "laplace": ((0.57, 1.09), (0.86, 0.93)),  # 0.71-0.87, 0.887-0.904
    "mc_dropout": ((0.90, 1.71), (0.90, 0.97)),  # 1.12-1.36, 0.926-0.936
    "vi": ((0.60, 1.26), (0.86, 0.95)),  # 0.75-1.01, 0.889-0.916
}


def exact_mean_field(problem, inputs: np.ndarray) -> np.ndarray:
    """m(u) = F⁻¹[exp(-(ℓ₀k)²) F[ELU(u)]]: the output for A = 1, (case, x)."""
    s = problem.settings
    k = np.fft.rfftfreq(s.grid, d=1.0 / s.grid)
    elu = np.where(inputs > 0, inputs, np.expm1(inputs))
    return np.fft.irfft(np.fft.rfft(elu, axis=-1) * np.exp(-((s.length * k) ** 2)), n=s.grid)


@pytest.fixture(scope="module")
def toy():
    p = make_problem("elu", SETTINGS)
    data = {split: split_dataset(p.generate(split, 0)) for split in ("train", "val", "test")}

    def pairs(split: str) -> Data:
        ds = data[split]
        return Data(
            torch.from_numpy(ds["input"].values), torch.from_numpy(ds["output"].values[:, 0])
        )

    test = data["test"]
    m = exact_mean_field(p, test["input"].values.astype(np.float64))
    torch.manual_seed(0)
    det = make_method("deterministic", "elu", device="cpu", recipe=RECIPE)
    prepare(det, pairs("train")).fit(pairs("train"), pairs("val"))
    return {
        "train": pairs("train"),
        "val": pairs("val"),
        "inputs": torch.from_numpy(test["input"].values),
        "truth": torch.from_numpy(test["output"].values).transpose(0, 1).double(),
        "variance": torch.from_numpy(VAR_A * m**2),
        "correlation": torch.from_numpy(np.sign(m[:, :, None] * m[:, None, :])),
        "deterministic": det.model,
    }


@functools.cache
def _samples(name: str, toy_id: int) -> torch.Tensor:
    toy = TOYS[toy_id]
    m = make_method(name, "elu", HYPER[name], ratio=0.05, seed=0, device="cpu", recipe=RECIPE)
    if m.traits().needs:
        m.attach_pretrained(toy["deterministic"])
    else:
        m.build(toy["train"])
    m.fit(toy["train"], toy["val"])
    return m.sample(toy["inputs"], 200, torch.Generator().manual_seed(1)).detach().double()


TOYS: dict[int, dict] = {}


def fitted(name: str, toy: dict) -> torch.Tensor:
    """Predictive samples (200, case, x) of ``name`` trained on the toy (once per session)."""
    TOYS[id(toy)] = toy
    return _samples(name, id(toy))


def exact_correlation_error(samples: torch.Tensor, toy: dict) -> float:
    """‖C_pred − C_exact‖_F / ‖C_exact‖_F averaged over cases (C_exact = sign(m_i m_j))."""
    c = samples - samples.mean(0)
    z = c / c.pow(2).sum(0).sqrt().clamp_min(1e-300)
    pred = torch.einsum("scx,scy->cxy", z, z)
    exact = toy["correlation"]
    return float(((pred - exact).norm(dim=(1, 2)) / exact.norm(dim=(1, 2))).mean())


def test_the_toy_truth_is_the_closed_form(toy):
    """The realizations in the data file follow the closed form (the yardstick is right)."""
    truth = toy["truth"]
    ratio = float(truth.var(0).mean() / toy["variance"].mean())
    assert abs(ratio - 1) < 0.15  # 200 draws of a log-normal amplitude
    assert exact_correlation_error(truth, toy) < 0.05
    assert float(correlation_error(truth[:100], truth[100:]).mean()) < 0.05


# pno cannot represent this law: its dropout masks are independent per grid point (the
# pointwise MLP h) and per wavenumber (g), so no mask pattern makes one global amplitude A,
# and the energy score then trades spread for sharpness (spread ratio 0.27-0.52 over data
# and method seeds 0-4). Its own test below checks that finding instead of a window.
MISSPECIFIED = ("pno",)


def test_every_method_with_a_spread_is_checked():
    assert set(WINDOWS) == set(HYPER) - set(MISSPECIFIED)


@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_each_method_learns_the_spread_and_covers(name, toy):
    s = fitted(name, toy)
    spread = float(s.var(0).mean() / toy["variance"].mean())
    coverage = float(interval_coverage(s, toy["truth"], 0.9).mean())
    (lo, hi), (clo, chi) = WINDOWS[name]
    assert lo < spread < hi, f"{name}: spread ratio {spread:.3f} outside ({lo}, {hi})"
    assert clo <= coverage <= chi, f"{name}: coverage_90 {coverage:.3f} outside ({clo}, {chi})"


def test_genuq_keeps_the_correlation_that_vi_loses(toy):
    genuq = exact_correlation_error(fitted("genuq", toy), toy)
    vi = exact_correlation_error(fitted("vi", toy), toy)
    assert genuq < 0.5 * vi, (genuq, vi)


def test_pno_under_disperses_where_dropout_cannot_make_the_amplitude(toy):
    """The answer the pno row gives: the same energy score with dropout's independent masks
    instead of GenUQ's generator learns a spread of the right order but too narrow, without
    the rank-one correlation that GenUQ keeps."""
    s = fitted("pno", toy)
    spread = float(s.var(0).mean() / toy["variance"].mean())
    coverage = float(interval_coverage(s, toy["truth"], 0.9).mean())
    # over data and method seeds 0-4: spread 0.27-0.52, coverage 0.76-0.85, and pno's
    # correlation error 1.8-3.3x genuq's
    assert 0.2 < spread < 0.7, spread
    assert 0.7 < coverage < 0.88, coverage
    pno, genuq = exact_correlation_error(s, toy), exact_correlation_error(fitted("genuq", toy), toy)
    assert pno > 1.5 * genuq, (pno, genuq)
