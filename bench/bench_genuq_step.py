"""GenUQ training step: a Python loop over draws vs vmap(functional_call) vs the shared
product with sparse per-draw corrections (the default path for MLP-based models).

Sizes of the poisson problem (POD-DeepONet branch 1024 -> 128 -> 128 -> 32), ratio 0.016,
batch 64, n_z = 16, Adam. Also the deterministic step on the batch and on the 16x repeated
batch for reference. Run: python bench/bench_genuq_step.py [--device cuda]
"""

import argparse

import torch
from common import interleaved_medians

from uqbench.methods import make_method
from uqbench.methods.base import Data
from uqbench.metrics.scores import energy_score

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--device", default="auto")
parser.add_argument("--repeats", type=int, default=30)
args = parser.parse_args()

torch.manual_seed(0)
n, batch, n_z = 32, 64, 16
m = make_method("genuq", "poisson", {"n_z": n_z}, ratio=0.016, seed=0, device=args.device)
dev = m.device
m.build(Data(torch.randn(256, n, n), torch.randn(256, n, n)))
a, y = torch.randn(batch, n, n, device=dev), torch.randn(batch, n * n, device=dev)
params = [*m.model.parameters(), *m.hypernet.parameters()]
opt = torch.optim.Adam(params, lr=1e-4)


def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize()


def step(loss_fn):
    def run():
        opt.zero_grad(set_to_none=True)
        loss_fn().backward()
        opt.step()
        sync()

    return run


def vectorised():
    z = torch.randn(n_z, 16, device=dev)
    return energy_score(m.predict_draws(a, z).flatten(2), y).mean()


def vmapped():
    z = torch.randn(n_z, 16, device=dev)
    return energy_score(m.predict_vmapped(a, m.hypernet(z)).flatten(2), y).mean()


def looped():
    z = torch.randn(n_z, 16, device=dev)
    preds = torch.cat([m.predict_draws(a, z[i : i + 1]) for i in range(n_z)])
    return energy_score(preds.flatten(2), y).mean()


a16, y16 = a.repeat(n_z, 1, 1), y.repeat(n_z, 1)
rows = {
    "deterministic, batch 64": step(lambda: (m.model(a).flatten(1) - y).pow(2).mean()),
    "deterministic, batch 64x16": step(lambda: (m.model(a16).flatten(1) - y16).pow(2).mean()),
    "genuq, loop over 16 draws": step(looped),
    "genuq, vmap(functional_call)": step(vmapped),
    "genuq, shared product + sparse": step(vectorised),
}
times = interleaved_medians(rows, args.repeats, warmup=3)
print(f"bench_genuq_step: poisson sizes, batch {batch}, n_z {n_z}, device {dev}")
for k, t in times.items():
    print(f"{k:32s} {t * 1e3:8.2f} ms  {batch / t:9.0f} inputs/s")
loop, vec = times["genuq, loop over 16 draws"], times["genuq, vmap(functional_call)"]
fast, det16 = times["genuq, shared product + sparse"], times["deterministic, batch 64x16"]
print(f"vmap vs loop: {loop / vec:.2f}x faster; shared+sparse vs loop: {loop / fast:.2f}x faster")
print(
    f"cost relative to the deterministic step on the 64x16 batch: vmap {vec / det16:.2f}x, "
    f"shared+sparse {fast / det16:.2f}x (target <= 2x)"
)
