"""The validation-driven training loop: early stopping acts, the best epoch is what is kept."""

import math

import pytest
import torch
from torch import nn

from uqbench import io
from uqbench.methods import from_checkpoint
from uqbench.methods.training import Data, DivergedError, Optim, point_validation, train_loop
from uqbench.stages.data import generate_data
from uqbench.stages.train import Run, train

NOISE = 1.0  # std of the targets' noise: the MSE floor of any model on unseen data


def noisy_problem(n: int, seed: int) -> Data:
    """y = sin(x·w) + noise, 8-d inputs: few cases, so a wide MLP can memorise them."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=gen)
    w = torch.linspace(-1, 1, 8)
    y = torch.sin(x @ w)[:, None] + NOISE * torch.randn(n, 1, generator=gen)
    return Data(x, y)


def fit(patience: int, last: bool = False) -> tuple[nn.Module, list[dict], Data]:
    """Train a wide MLP on 32 noisy cases; ``last``: keep the last epoch (no selection)."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(8, 256), nn.ELU(), nn.Linear(256, 256), nn.ELU(), nn.Linear(256, 1)
    )
    tr, val = noisy_problem(32, 1), noisy_problem(256, 2)

    def mse(a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (model(a) - y).pow(2).mean()

    validate = point_validation(model, val)
    if last:  # an objective that improves every epoch: the loop then keeps the last one
        calls = iter(range(0, -10_000, -1))
        validate = lambda: (float(next(calls)), 0.0)  # noqa: E731
    optim = Optim(epochs=400, batch_size=8, lr=3e-3, patience=patience, schedule="constant")
    history = train_loop(mse, model.parameters(), tr, validate, optim, seed=0, tag="toy")
    return model, history, tr


def train_mse(model: nn.Module, data: Data) -> float:
    with torch.no_grad():
        return float((model(data.inputs) - data.outputs).pow(2).mean())


def test_early_stopping_keeps_the_model_above_the_noise_floor():
    model, history, tr = fit(patience=20)
    kept = next(r for r in history if r["selected"])
    last = history[-1]
    # training went on for `patience` epochs past the kept one while validation got worse ...
    assert last["epoch"] - kept["epoch"] == 20 and last["epoch"] < 400
    assert last["val_loss"] > kept["val_loss"]
    assert last["loss"] < kept["loss"]  # ... and the training loss kept falling
    # the kept model has not memorised the noise; without the rule the same model does
    assert train_mse(model, tr) > 0.3 * NOISE**2
    memorised, _, tr = fit(patience=20, last=True)
    assert train_mse(memorised, tr) < 0.1 * NOISE**2


def test_the_best_epoch_is_restored_not_the_last():
    model, history, _ = fit(patience=20)
    val = noisy_problem(256, 2)
    kept = [r for r in history if r["selected"]]
    assert len(kept) == 1 and kept[0]["val_loss"] == min(r["val_loss"] for r in history)
    now, _ = point_validation(model, val)()
    assert now == pytest.approx(kept[0]["val_loss"], rel=1e-6)
    assert now < history[-1]["val_loss"]


def test_a_phase_that_never_helps_leaves_the_model_as_it_was():
    model = nn.Linear(8, 1)
    before = [p.detach().clone() for p in model.parameters()]
    data = noisy_problem(16, 0)
    optim = Optim(epochs=3, batch_size=4, lr=10.0, patience=5, schedule="constant")
    # training pushes the weights up, the validation objective is their size: it only worsens
    history = train_loop(
        lambda a, y: -model(a).mean(),
        model.parameters(),
        data,
        lambda: (float(model.weight.detach().abs().sum()), 0.0),
        optim,
        seed=0,
        tag="toy",
    )
    assert history[0]["selected"] == 1 and history[0]["epoch"] == 0
    for b, p in zip(before, model.parameters(), strict=True):
        torch.testing.assert_close(p, b)


def test_a_non_finite_validation_objective_is_divergence():
    model = nn.Linear(8, 1)
    data = noisy_problem(16, 0)
    with pytest.raises(DivergedError, match="validation nan"):
        train_loop(
            lambda a, y: (model(a) - y).pow(2).mean(),
            model.parameters(),
            data,
            lambda: (math.nan, math.nan),
            Optim(epochs=2, batch_size=4),
            seed=0,
            tag="toy",
        )


def test_the_checkpoint_holds_the_selected_epoch(tmp_path):
    """Through the train rule's entry point: the saved model's validation MSE is the one of
    the epoch marked ``selected`` in train_log.csv, not the last epoch's."""
    settings = {
        "grid": 64,
        "sizes": {"train": 24, "val": 64, "test": 2, "ood": 2, "realizations": 2},
    }
    for split in ("train", "val"):
        generate_data("elu", settings, split, 0, tmp_path / f"{split}.nc")
    recipe = {"epochs": 300, "batch_size": 4, "lr": 0.01, "patience": 15, "schedule": "constant"}
    train(
        Run("elu", "deterministic", None, 0, recipe=recipe, device="cpu"),
        str(tmp_path / "train.nc"),
        str(tmp_path / "val.nc"),
        str(tmp_path / "m.pt"),
        str(tmp_path / "log.csv"),
    )
    _, rows = io.read_training_log(tmp_path / "log.csv")
    kept = [r for r in rows if r["selected"]]
    assert len(kept) == 1 and kept[0] != rows[-1]
    m = from_checkpoint(io.load_checkpoint(tmp_path / "m.pt"), "cpu")
    val = io.read_data(tmp_path / "val.nc")
    a, y = torch.from_numpy(val["input"].values), torch.from_numpy(val["output"].values[:, 0])
    mse, _ = point_validation(m.model, Data(a, y))()
    assert mse == pytest.approx(kept[0]["val_loss"], rel=1e-5)
    assert mse != pytest.approx(rows[-1]["val_loss"], rel=1e-5)
