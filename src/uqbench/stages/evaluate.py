"""Stage evaluate: the test and ood prediction files against the data files' realizations
-> one metrics record (JSON) per split."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from uqbench import io
from uqbench.metrics.evaluate import (
    EPISTEMIC,
    METRICS,
    epistemic_metrics,
    per_case_metrics,
    summarise_cases,
)

log = logging.getLogger(__name__)
Path = str | os.PathLike[str]


def _score(
    predictions: Path, data: Path
) -> tuple[dict[str, Any], np.ndarray | None, np.ndarray | None]:
    """Read one split's predictions and data once: the metrics record, the per-case
    epistemic scores (None when the method has none) and the per-case rel. L2 errors of the
    predictive mean (None when the run diverged)."""
    pred = io.read_predictions(predictions)
    ds = io.read_data(data, problem=pred.attrs["problem"])
    result = io.prediction_record(pred)
    result.update(split=ds.attrs["split"], n_cases=int(ds.sizes["case"]))
    score = pred["epistemic_score"].values if "epistemic_score" in pred else None
    if result["status"] != "ok":
        result["metrics"] = {k: {"mean": math.nan, "ci95": math.nan} for k in METRICS}
        return result, score, None
    x = torch.from_numpy(pred["prediction"].values).double().flatten(2)
    y = torch.from_numpy(ds["output"].values).double().flatten(2).transpose(0, 1)
    per_case = per_case_metrics(x, y)
    result["metrics"] = summarise_cases(per_case)
    return result, score, per_case["rel_l2_mean"].numpy()


def evaluate_splits(
    predictions: Mapping[str, Path], data: Mapping[str, Path], outputs: Mapping[str, Path]
) -> dict[str, dict[str, Any]]:
    """Score each split ({split: path} mappings, e.g. test and ood), reading each file once,
    and write its metrics record. When both test and ood predictions carry an epistemic
    score, the test record also gets the epistemic metrics (``EPISTEMIC``; NaN when either
    split diverged)."""
    scored = {split: _score(predictions[split], data[split]) for split in outputs}
    if "test" in scored and "ood" in scored:
        (test, s_test, e_test), (_, s_ood, e_ood) = scored["test"], scored["ood"]
        if s_test is not None and s_ood is not None:
            if e_test is not None and e_ood is not None:
                test["metrics"].update(epistemic_metrics(s_test, s_ood, e_test, e_ood))
            else:
                test["metrics"].update({k: {"mean": math.nan, "ci95": math.nan} for k in EPISTEMIC})
    for split, (result, _, _) in scored.items():
        io.write_metrics(result, outputs[split])
        log.info("%s: %s", outputs[split],
                 {k: round(v["mean"], 5) for k, v in result["metrics"].items()})  # fmt: skip
    return {split: result for split, (result, _, _) in scored.items()}
