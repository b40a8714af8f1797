"""Machine-learning efficacy: train on synthetic rows, test on real rows (TSTR)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from tabaugment.data.schema import Schema
from tabaugment.evaluation.metrics import metrics_for, score_predictions
from tabaugment.evaluation.models import class_proba, fit_model, make_model
from tabaugment.evaluation.stats import paired_comparison
from tabaugment.exceptions import DataError

__all__ = ["train_synthetic_test_real"]


def train_synthetic_test_real(
    synthetic: pd.DataFrame,
    real_train: pd.DataFrame,
    test: pd.DataFrame,
    schema: Schema,
    *,
    model: Any = "lightgbm",
    seeds: int | Sequence[int] = 3,
    synthetic_weight: np.ndarray | None = None,
) -> pd.DataFrame:
    """Machine-learning efficacy (TSTR): a model trained on synthetic rows only, against one
    trained on the real rows, both scored on the real ``test`` rows, paired over model seeds.

    ``synthetic_weight``: the synthetic rows' weights, as the augmentation gives them (a soft
    teacher writes each row once per label, weighted by its probability; unweighted, such
    rows teach nothing).

    Returns one row per metric with the paired comparison (``baseline`` = trained on real).
    """
    features = list(schema.features)
    y_syn = schema.encode_target(synthetic[schema.target])
    if len(np.unique(y_syn)) < 2:
        raise DataError(
            f"TSTR needs synthetic rows of at least two classes; these are all of class "
            f"{schema.classes[int(y_syn[0])]!r} (targeted selections often are)."
        )
    y_test = schema.encode_target(test[schema.target])
    seed_list = list(range(seeds)) if isinstance(seeds, (int, np.integer)) else list(seeds)
    real_scores: list[dict[str, float]] = []
    syn_scores: list[dict[str, float]] = []
    if synthetic_weight is not None and len(synthetic_weight) != len(synthetic):
        raise DataError(f"synthetic_weight has {len(synthetic_weight)} values for {len(synthetic)} synthetic rows.")
    for seed in seed_list:
        for frame, bucket, weight in ((real_train, real_scores, None), (synthetic, syn_scores, synthetic_weight)):
            clf = make_model(model, random_state=seed)
            fit_model(clf, frame[features], schema.encode_target(frame[schema.target]), sample_weight=weight)
            bucket.append(score_predictions(y_test, class_proba(clf, test[features], schema.n_classes)))
    rows = []
    for metric in metrics_for(schema.n_classes):
        stats = paired_comparison(np.array([s[metric] for s in real_scores]), np.array([s[metric] for s in syn_scores]))
        rows.append(
            {
                "metric": metric,
                "train_real": stats["baseline_mean"],
                "train_synthetic": stats["treatment_mean"],
                "diff": stats["mean_diff"],
                "n_seeds": stats["n_seeds"],
            }
        )
    return pd.DataFrame(rows)
