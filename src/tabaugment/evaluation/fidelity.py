"""Fidelity: how closely synthetic rows follow the real rows they imitate.

Every function takes two frames with the same columns and returns a tidy frame with one
row per column or column pair. Column kinds follow the dtypes (numbers = numerical,
everything else = categorical). Missing values are dropped per column, as SDMetrics does.

Where a score has an SDMetrics namesake it follows its definition (checked in the tests):
``KSComplement`` = 1 - Kolmogorov-Smirnov statistic, ``TVComplement`` = 1 - total variation
distance, ``CorrelationSimilarity`` = 1 - |r_real - r_synthetic| / 2 (Pearson), and
``ContingencySimilarity`` = 1 - total variation distance of the joint frequencies, with
numerical columns cut into 10 bins at the real column's histogram edges.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import numpy as np
import pandas as pd

from tabaugment._json import records
from tabaugment.data.encoding import split_column_kinds
from tabaugment.exceptions import DataError

__all__ = [
    "FidelityReport",
    "column_pairs",
    "column_shapes",
    "data_mismatch",
    "detection",
    "fidelity_report",
    "ks_statistic",
]


def _check_frames(real: pd.DataFrame, synthetic: pd.DataFrame) -> tuple[list[str], list[str]]:
    if len(real) == 0 or len(synthetic) == 0:
        raise DataError(f"Fidelity needs rows on both sides; got {len(real)} real and {len(synthetic)} synthetic.")
    missing = [c for c in real.columns if c not in synthetic.columns]
    if missing:
        raise DataError(f"Synthetic rows lack columns {missing}; compare tables with the same columns.")
    return split_column_kinds(real)


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two ECDFs."""
    a, b = np.sort(np.asarray(a, dtype=np.float64)), np.sort(np.asarray(b, dtype=np.float64))
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / len(a)
    cdf_b = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def _frequencies(values: pd.Series) -> pd.Series:
    return values.dropna().astype(object).value_counts(normalize=True)


def _tv_distance(p: pd.Series, q: pd.Series) -> float:
    idx = p.index.union(q.index)
    return float(0.5 * np.abs(p.reindex(idx, fill_value=0) - q.reindex(idx, fill_value=0)).sum())


def column_shapes(real: pd.DataFrame, synthetic: pd.DataFrame) -> pd.DataFrame:
    """Per column: KSComplement (numerical) or TVComplement (categorical), and more.

    Columns: ``column, kind, metric, score`` (1 = same distribution), ``wasserstein`` (the
    1-Wasserstein distance divided by the real column's range; numerical only), and the
    missing shares of both sides.
    """
    from scipy.stats import wasserstein_distance

    _cat, num = _check_frames(real, synthetic)
    rows = []
    for col in real.columns:
        r, s = real[col], synthetic[col]
        row: dict[str, Any] = {
            "column": col,
            "missing_real": float(r.isna().mean()),
            "missing_synthetic": float(s.isna().mean()),
        }
        if col in num:
            rv, sv = r.dropna().to_numpy(dtype=float), s.dropna().to_numpy(dtype=float)
            if len(rv) == 0 or len(sv) == 0:
                score, wd = float("nan"), float("nan")
            else:
                score = 1.0 - ks_statistic(rv, sv)
                span = float(rv.max() - rv.min())
                wd = float(wasserstein_distance(rv, sv) / span) if span > 0 else float(np.abs(sv - rv[0]).mean() > 0)
            row.update(kind="numerical", metric="KSComplement", score=score, wasserstein=wd)
        else:
            p, q = _frequencies(r), _frequencies(s)
            score = 1.0 - _tv_distance(p, q) if len(p) and len(q) else float("nan")
            row.update(kind="categorical", metric="TVComplement", score=score, wasserstein=float("nan"))
        rows.append(row)
    cols = ["column", "kind", "metric", "score", "wasserstein", "missing_real", "missing_synthetic"]
    return pd.DataFrame(rows)[cols]


def data_mismatch(real: pd.DataFrame, synthetic: pd.DataFrame) -> pd.DataFrame:
    """Data mismatch (DM): what one side has that the other lacks, per column.

    Categorical: ``real_only`` = share of real categories never produced, ``synthetic_only`` =
    share of synthetic rows with a category the real rows never had. Numerical:
    ``real_only`` = share of the real range [min, max] the synthetic values do not reach,
    ``synthetic_only`` = share of synthetic values outside the real range. ``examples``
    names a few of the mismatched categories.
    """
    _cat, num = _check_frames(real, synthetic)
    rows = []
    for col in real.columns:
        r, s = real[col].dropna(), synthetic[col].dropna()
        if col in num:
            rv, sv = r.to_numpy(dtype=float), s.to_numpy(dtype=float)
            lo, hi = (rv.min(), rv.max()) if len(rv) else (np.nan, np.nan)
            span = hi - lo
            if len(sv) and span > 0:
                covered = (min(hi, sv.max()) - max(lo, sv.min())) / span
                real_only = float(1 - max(0.0, covered))
            else:
                real_only = 0.0 if len(sv) and len(rv) and np.isin(rv, sv).all() else float(len(sv) == 0)
            outside = float(((sv < lo) | (sv > hi)).mean()) if len(sv) else 0.0
            rows.append(
                {"column": col, "kind": "numerical", "real_only": real_only, "synthetic_only": outside, "examples": ""}
            )
        else:
            rc, sc = set(r.astype(object)), set(s.astype(object))
            missing_cats = sorted(map(str, rc - sc))
            extra = s.astype(object)[~s.astype(object).isin(rc)]
            rows.append(
                {
                    "column": col,
                    "kind": "categorical",
                    "real_only": len(rc - sc) / len(rc) if rc else 0.0,
                    "synthetic_only": float(len(extra) / len(s)) if len(s) else 0.0,
                    "examples": ", ".join(missing_cats[:3] + sorted(map(str, set(extra)))[:3]),
                }
            )
    return pd.DataFrame(rows)


def _discretize(real: pd.Series, synthetic: pd.Series, bins: int) -> tuple[np.ndarray, np.ndarray]:
    values = real.dropna().to_numpy(dtype=float)
    edges = np.histogram_bin_edges(values, bins=bins)
    edges[0], edges[-1] = -np.inf, np.inf
    return np.digitize(real.to_numpy(dtype=float), edges), np.digitize(synthetic.to_numpy(dtype=float), edges)


def _cramers_v(a: pd.Series, b: pd.Series) -> float:
    from scipy.stats.contingency import association

    table = pd.crosstab(a, b)
    if min(table.shape) < 2:
        return float("nan")
    return float(association(table.to_numpy(), method="cramer"))


def column_pairs(real: pd.DataFrame, synthetic: pd.DataFrame, *, bins: int = 10) -> pd.DataFrame:
    """Per column pair: CorrelationSimilarity (two numerical) or ContingencySimilarity.

    Columns: ``column_a, column_b, kind, metric, score, real, synthetic`` where ``real`` and
    ``synthetic`` are the Pearson correlations (numerical pairs) or Cramér's V (other pairs,
    numerical columns binned).
    """
    cat, num = _check_frames(real, synthetic)
    cols = list(real.columns)
    binned_r: dict[str, Any] = {}
    binned_s: dict[str, Any] = {}
    for col in cols:
        if col in num:
            binned_r[col], binned_s[col] = _discretize(real[col], synthetic[col], bins)
        else:
            binned_r[col] = real[col].astype(object).to_numpy()
            binned_s[col] = synthetic[col].astype(object).to_numpy()
    rows = []
    for a, b in itertools.combinations(cols, 2):
        if a in num and b in num:
            r = real[[a, b]].dropna().to_numpy(dtype=float)
            s = synthetic[[a, b]].dropna().to_numpy(dtype=float)
            rr = _pearson(r)
            rs = _pearson(s)
            score = 1 - abs(rr - rs) / 2 if np.isfinite(rr) and np.isfinite(rs) else float("nan")
            rows.append(
                {
                    "column_a": a,
                    "column_b": b,
                    "kind": "numerical",
                    "metric": "CorrelationSimilarity",
                    "score": score,
                    "real": rr,
                    "synthetic": rs,
                }
            )
        else:
            jr = pd.DataFrame({"a": binned_r[a], "b": binned_r[b]})
            js = pd.DataFrame({"a": binned_s[a], "b": binned_s[b]})
            pr = jr.groupby(["a", "b"], dropna=False).size() / len(jr)
            ps = js.groupby(["a", "b"], dropna=False).size() / len(js)
            score = 1 - _tv_distance(pr, ps)
            kind = "categorical" if a in cat and b in cat else "mixed"
            rows.append(
                {
                    "column_a": a,
                    "column_b": b,
                    "kind": kind,
                    "metric": "ContingencySimilarity",
                    "score": float(score),
                    "real": _cramers_v(jr["a"], jr["b"]),
                    "synthetic": _cramers_v(js["a"], js["b"]),
                }
            )
    return pd.DataFrame(rows, columns=["column_a", "column_b", "kind", "metric", "score", "real", "synthetic"])


def _pearson(values: np.ndarray) -> float:
    if len(values) < 2:
        return float("nan")
    sd = values.std(axis=0)
    if (sd == 0).any():
        return float("nan")
    return float(np.corrcoef(values, rowvar=False)[0, 1])


def detection(
    real: pd.DataFrame, synthetic: pd.DataFrame, *, folds: int = 5, random_state: int = 0, n_estimators: int = 100
) -> dict[str, Any]:
    """How well a classifier tells synthetic from real rows (cross-validated ROC-AUC).

    LightGBM on both tables (categories native); stratified ``folds``-fold CV. ``auc`` 0.5 =
    indistinguishable, 1.0 = trivially detected; ``score`` = 1 - (2 x max(auc, 0.5) - 1) so
    that, like the other scores, 1 is best.
    """
    from sklearn.model_selection import StratifiedKFold

    from tabaugment.evaluation.models import make_model

    _check_frames(real, synthetic)
    both = pd.concat([real, synthetic[real.columns]], ignore_index=True)
    _, num = split_column_kinds(both)
    for col in both.columns:
        if col not in num and not isinstance(both[col].dtype, pd.CategoricalDtype):
            both[col] = both[col].astype(object).astype("category")
    label = np.r_[np.zeros(len(real), dtype=int), np.ones(len(synthetic), dtype=int)]
    aucs = []
    from sklearn.metrics import roc_auc_score

    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    for train_idx, test_idx in cv.split(both, label):
        clf = make_model("lightgbm", random_state=random_state, n_estimators=n_estimators, learning_rate=0.1)
        clf.fit(both.iloc[train_idx], label[train_idx])
        aucs.append(roc_auc_score(label[test_idx], clf.predict_proba(both.iloc[test_idx])[:, 1]))
    auc = float(np.mean(aucs))
    return {"auc": auc, "auc_std": float(np.std(aucs)), "score": 1 - (2 * max(auc, 0.5) - 1), "folds": folds}


@dataclasses.dataclass
class FidelityReport:
    """All fidelity results: per column, per pair, mismatch, detection, and a summary."""

    shapes: pd.DataFrame
    pairs: pd.DataFrame
    mismatch: pd.DataFrame
    detection: dict[str, Any] | None
    summary: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""

        return {
            "summary": self.summary,
            "detection": self.detection,
            "shapes": records(self.shapes),
            "pairs": records(self.pairs),
            "mismatch": records(self.mismatch),
        }


def fidelity_report(
    real: pd.DataFrame, synthetic: pd.DataFrame, *, with_detection: bool = True, random_state: int = 0
) -> FidelityReport:
    """Column shapes, column pairs, data mismatch and (optionally) detection, with a summary.

    The summary averages like SDMetrics' quality report: ``column_shapes`` (mean
    KS/TV complement), ``column_pairs`` (mean pair score), ``quality`` (their mean).
    """
    shapes = column_shapes(real, synthetic)
    pairs = column_pairs(real, synthetic)
    mismatch = data_mismatch(real, synthetic)
    det = detection(real, synthetic, random_state=random_state) if with_detection else None
    num = shapes[shapes.kind == "numerical"]
    summary = {
        "column_shapes": float(shapes["score"].mean()),
        "column_pairs": float(pairs["score"].mean()) if len(pairs) else float("nan"),
        "wasserstein_mean": float(num["wasserstein"].mean()) if len(num) else float("nan"),
        "mismatch_real_only_mean": float(mismatch["real_only"].mean()),
        "mismatch_synthetic_only_mean": float(mismatch["synthetic_only"].mean()),
    }
    summary["quality"] = float(np.nanmean([summary["column_shapes"], summary["column_pairs"]]))
    if det is not None:
        summary["detection_auc"] = det["auc"]
    return FidelityReport(shapes=shapes, pairs=pairs, mismatch=mismatch, detection=det, summary=summary)
