"""Stage evaluate: the test and shift-rung prediction files against the data files'
realizations -> one metrics record (JSON) per split; the calib predictions calibrate (+cp).
What the metrics need of the truth alone is computed once per split (``truth_statistics``)
and read by every method's evaluation."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from uqbench import io
from uqbench.catalogue import SCORED
from uqbench.metrics.catalogue import CALIBRATED, CP_METRICS, EPISTEMIC, METRICS
from uqbench.metrics.conformal import conformal_factor
from uqbench.metrics.epistemic import auroc_summary
from uqbench.metrics.evaluate import (
    epistemic_metrics,
    per_case_metrics,
    summarise_cases,
    truth_statistics,
)
from uqbench.problems.base import SHIFTS

log = logging.getLogger(__name__)
NAN = {"mean": math.nan, "ci95": math.nan, "n": 0}
Path = str | os.PathLike[str]


def write_truth_statistics(data: Mapping[str, Path], outputs: Mapping[str, Path]) -> None:
    """The truth's statistics (``metrics.evaluate.truth_statistics``) of each split's data
    file ``data[split]`` into ``outputs[split]``, written once for every method's evaluation
    (sorted realizations as float32: the data's own precision, so exactly)."""
    if set(data) != set(outputs):
        raise ValueError(
            f"truth statistics: data splits {sorted(data)} != outputs {sorted(outputs)}"
        )
    for split, path in data.items():
        ds = io.read_data(path)
        y = torch.from_numpy(ds["output"].values).double().flatten(2).transpose(0, 1)
        stats = {k: v.numpy() for k, v in truth_statistics(y).items()}
        stats["sorted"] = stats["sorted"].astype(np.float32)
        attrs = {k: ds.attrs[k] for k in ("problem", "split", "seed", "config_hash")}
        io.write_dataset(io.truth_dataset(stats, attrs), outputs[split])


def _score(
    predictions: Path, data: Path, truth: Path | None, factor: dict[str, float]
) -> tuple[dict[str, Any], np.ndarray | None, np.ndarray | None]:
    """Read one split's predictions and data once: the metrics record (with the ``+cp``
    metrics of the samples rescaled by the conformal ``factor``, NaN when there is none,
    and every per-case value under ``cases``), the per-case epistemic scores (None when the
    method has none) and the per-case rel. L2 errors of the predictive mean (None when the
    run diverged or the method draws no samples)."""
    pred = io.read_predictions(predictions)
    ds = io.read_data(data, problem=pred.attrs["problem"])
    result = io.prediction_record(pred)
    result.update(
        split=ds.attrs["split"],
        input_law=ds.attrs.get("input_law", ""),
        n_cases=int(ds.sizes["case"]),
        n_realizations=int(ds.sizes["realization"]),
    )
    score = pred["epistemic_score"].values if "epistemic_score" in pred else None
    if result["status"] not in SCORED:
        result["metrics"] = {k: NAN for k in (*METRICS, *CALIBRATED)}
        return result, score, None
    if "prediction" not in pred:  # a score-only reference (input_distance)
        result["metrics"] = {}
        return result, score, None
    x = torch.from_numpy(pred["prediction"].values).double().flatten(2)
    y = torch.from_numpy(ds["output"].values).double().flatten(2).transpose(0, 1)
    result["n_samples"] = int(x.shape[0])
    stats = None
    if truth is not None:
        t = io.read_truth(truth, ds.attrs)
        stats = {k: torch.from_numpy(t[k].values) for k in t.data_vars}
    per_case = per_case_metrics(x, y, factor["mean"], truth=stats)
    result["metrics"] = summarise_cases(per_case, METRICS)
    if math.isfinite(factor["mean"]):  # none for a method without spread ("–" in tables)
        result["metrics"]["cp_factor"] = factor
        result["metrics"].update(summarise_cases(per_case, [f"{m}_cp" for m in CP_METRICS]))
    result["cases"] = {k: v.tolist() for k, v in per_case.items()}
    return result, score, per_case["rel_l2_mean"].numpy()


def calibration_factor(predictions: Path, data: Path, level: float = 0.9) -> dict[str, float]:
    """The run's split-conformal spread factor (``metrics.conformal``) from its predictions
    on the calibration split (calib: one observation per input, never used to fit or
    select), as a record entry with the number of calib cases; NaN for a diverged run or a
    method without spread or samples."""
    pred = io.read_predictions(predictions)
    ds = io.read_data(data, problem=pred.attrs["problem"])
    n = int(ds.sizes["case"])
    if pred.attrs["status"] not in SCORED or "prediction" not in pred:
        return {"mean": math.nan, "ci95": math.nan, "n": n}
    x = torch.from_numpy(pred["prediction"].values).double().flatten(2)
    y = torch.from_numpy(ds["output"].values).double()[:, 0].flatten(1)  # one realization
    factor = conformal_factor(x, y, level)
    log.info("conformal factor on %s (%d cases): %.4g", ds.attrs["split"], n, factor)
    return {"mean": factor, "ci95": math.nan, "n": n}


def evaluate_splits(
    predictions: Mapping[str, Path],
    data: Mapping[str, Path],
    outputs: Mapping[str, Path],
    calibration: str = "calib",
    truth: Mapping[str, Path] | None = None,
) -> dict[str, dict[str, Any]]:
    """Score each split of ``outputs`` ({split: path} mappings; predictions and data also
    hold the ``calibration`` split), reading each file once, and write its metrics record.
    ``truth`` holds each scored split's truth statistics (``write_truth_statistics``);
    without them they are computed here.

    Every record has the ``+cp`` metrics of the samples rescaled by the conformal factor
    fitted on the calibration split. For a method with an epistemic score, the test record
    gets the epistemic metrics against the ``ood`` rung (``EPISTEMIC``) and every shift
    rung's record its ``shift_auroc`` (test vs that rung); NaN when a split diverged.
    """
    factor = calibration_factor(predictions[calibration], data[calibration])
    truth = truth or {}
    scored = {
        split: _score(predictions[split], data[split], truth.get(split), factor)
        for split in outputs
    }
    if "test" in scored:
        test, s_test, e_test = scored["test"]
        for split in (s for s in SHIFTS if s in scored):
            record, s_shift, e_shift = scored[split]
            if s_test is None or s_shift is None:
                continue
            ok = test["status"] in SCORED and record["status"] in SCORED
            record["metrics"]["shift_auroc"] = auroc_summary(s_test, s_shift) if ok else NAN
            if split == "ood":
                test["metrics"].update(
                    epistemic_metrics(s_test, s_shift, e_test, e_shift)
                    if ok
                    else {k: NAN for k in EPISTEMIC}
                )
    for split, (result, _, _) in scored.items():
        io.write_metrics(result, outputs[split])
        log.info(
            "%s: %s", outputs[split], {k: round(v["mean"], 5) for k, v in result["metrics"].items()}
        )
    return {split: result for split, (result, _, _) in scored.items()}
