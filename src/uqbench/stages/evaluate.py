"""Stage evaluate: the test and shift-rung prediction files against the data files'
realizations -> one metrics record (JSON) per split; the val predictions calibrate (+cp)."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from uqbench import io
from uqbench.metrics.conformal import conformal_factor
from uqbench.metrics.epistemic import ood_auroc
from uqbench.metrics.evaluate import (
    CALIBRATED,
    EPISTEMIC,
    METRICS,
    calibrated_metrics,
    epistemic_metrics,
    per_case_metrics,
    summarise_cases,
)
from uqbench.problems.base import SHIFTS

log = logging.getLogger(__name__)
NAN = {"mean": math.nan, "ci95": math.nan}
Path = str | os.PathLike[str]


def _score(
    predictions: Path, data: Path, factor: float
) -> tuple[dict[str, Any], np.ndarray | None, np.ndarray | None]:
    """Read one split's predictions and data once: the metrics record (with the ``+cp``
    metrics of the samples rescaled by the conformal ``factor``, NaN when there is none),
    the per-case epistemic scores (None when the method has none) and the per-case rel. L2
    errors of the predictive mean (None when the run diverged)."""
    pred = io.read_predictions(predictions)
    ds = io.read_data(data, problem=pred.attrs["problem"])
    result = io.prediction_record(pred)
    result.update(split=ds.attrs["split"], n_cases=int(ds.sizes["case"]))
    score = pred["epistemic_score"].values if "epistemic_score" in pred else None
    if result["status"] != "ok":
        result["metrics"] = {k: NAN for k in (*METRICS, *CALIBRATED)}
        return result, score, None
    x = torch.from_numpy(pred["prediction"].values).double().flatten(2)
    y = torch.from_numpy(ds["output"].values).double().flatten(2).transpose(0, 1)
    per_case = per_case_metrics(x, y)
    result["metrics"] = summarise_cases(per_case)
    result["metrics"].update(calibrated_metrics(x, y, factor))
    return result, score, per_case["rel_l2_mean"].numpy()


def calibration_factor(predictions: Path, data: Path, level: float = 0.9) -> float:
    """The run's split-conformal spread factor (``metrics.conformal``) from its predictions
    on the calibration split (val: one observation per input); NaN for a diverged run or a
    method without spread."""
    pred = io.read_predictions(predictions)
    ds = io.read_data(data, problem=pred.attrs["problem"])
    if pred.attrs["status"] != "ok":
        return math.nan
    x = torch.from_numpy(pred["prediction"].values).double().flatten(2)
    y = torch.from_numpy(ds["output"].values).double()[:, 0].flatten(1)  # one realization
    factor = conformal_factor(x, y, level)
    log.info("conformal factor on %s: %.4g", ds.attrs["split"], factor)
    return factor


def evaluate_splits(
    predictions: Mapping[str, Path],
    data: Mapping[str, Path],
    outputs: Mapping[str, Path],
    calibration: str = "val",
) -> dict[str, dict[str, Any]]:
    """Score each split of ``outputs`` ({split: path} mappings; predictions and data also
    hold the ``calibration`` split), reading each file once, and write its metrics record.

    Every record has the ``+cp`` metrics of the samples rescaled by the conformal factor
    fitted on the calibration split. For a method with an epistemic score, the test record
    gets the epistemic metrics against the ``ood`` rung (``EPISTEMIC``) and every shift
    rung's record its ``shift_auroc`` (test vs that rung); NaN when a split diverged.
    """
    factor = calibration_factor(predictions[calibration], data[calibration])
    scored = {split: _score(predictions[split], data[split], factor) for split in outputs}
    if "test" in scored:
        test, s_test, e_test = scored["test"]
        for split in (s for s in SHIFTS if s in scored):
            record, s_shift, e_shift = scored[split]
            if s_test is None or s_shift is None:
                continue
            ok = e_test is not None and e_shift is not None
            record["metrics"]["shift_auroc"] = (
                {"mean": ood_auroc(s_test, s_shift), "ci95": math.nan} if ok else NAN
            )
            if split == "ood":
                test["metrics"].update(
                    epistemic_metrics(s_test, s_shift, e_test, e_shift)
                    if ok else {k: NAN for k in EPISTEMIC}
                )  # fmt: skip
    for split, (result, _, _) in scored.items():
        io.write_metrics(result, outputs[split])
        log.info("%s: %s", outputs[split],
                 {k: round(v["mean"], 5) for k, v in result["metrics"].items()})  # fmt: skip
    return {split: result for split, (result, _, _) in scored.items()}
