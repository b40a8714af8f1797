"""Privacy: are synthetic rows copies of, or suspiciously close to, the rows they came from?

Distances are Euclidean in the encoding of :class:`~tabaugment.data.FeatureEncoder` fitted on
the training rows (standardised numbers, one-hot categories). Nearest neighbours are found
exactly, in chunks of a BLAS distance product whose memory stays under ``max_memory_mb``, so
150,000 x 150,000 rows run in bounded memory.

- NRS (new-row synthesis): share of synthetic rows that are not copies of a training row.
- DCR: each synthetic row's distance to its closest training row, and to its closest holdout
  row (real rows the generator never saw). If synthetic rows are closer to the training rows
  than to equally many fresh real rows more often than half the time, the generator leans on
  its training rows.
- NNDR: nearest / second-nearest training distance (near 0 = sits on one training row).
- Membership inference: an attacker ranks real rows by their distance to the nearest synthetic
  row; AUC at telling training rows (members) from holdout rows. 0.5 = no leak.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from tabaugment._json import table
from tabaugment._neighbors import nearest_distances
from tabaugment.data.encoding import FeatureEncoder
from tabaugment.exceptions import ParameterError

__all__ = ["PrivacyReport", "data_leakage_test", "new_row_synthesis", "privacy_report"]


def new_row_synthesis(
    real: pd.DataFrame, synthetic: pd.DataFrame, *, numerical_tolerance: float = 0.0
) -> dict[str, Any]:
    """Share of synthetic rows that match no real row.

    With ``numerical_tolerance=0`` a match is an exact copy (missing matches missing). With a
    tolerance t > 0 numbers match when ``|real - synthetic| <= t * |synthetic|``, SDMetrics'
    NewRowSynthesis definition (its default is t = 0.01).
    """
    cols = list(real.columns)
    if numerical_tolerance < 0:
        raise ParameterError(f"numerical_tolerance must be >= 0. Got {numerical_tolerance}.")
    syn = synthetic[cols]
    num_cols = [
        c
        for c in cols
        if pd.api.types.is_numeric_dtype(real[c].dtype) and not pd.api.types.is_bool_dtype(real[c].dtype)
    ]
    if numerical_tolerance == 0 or not num_cols:
        key_r = pd.util.hash_pandas_object(_canonical(real), index=False)
        key_s = pd.util.hash_pandas_object(_canonical(syn), index=False)
        copies = key_s.isin(set(key_r.to_numpy())).to_numpy()
    else:
        copies = _tolerant_matches(real, syn, num_cols, [c for c in cols if c not in num_cols], numerical_tolerance)
    n_new = int((~copies).sum())
    return {
        "score": n_new / len(syn) if len(syn) else float("nan"),
        "new_rows": n_new,
        "copies": int(copies.sum()),
        "numerical_tolerance": numerical_tolerance,
    }


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.astype("float64")
        else:
            out[col] = s.astype(object).where(s.notna(), None).astype(str)
    return pd.DataFrame(out)


def _tolerant_matches(real: pd.DataFrame, syn: pd.DataFrame, num: list[str], cat: list[str], tol: float) -> np.ndarray:
    key_r = (
        pd.util.hash_pandas_object(_canonical(real[cat]), index=False).to_numpy()
        if cat
        else np.zeros(len(real), np.uint64)
    )
    key_s = (
        pd.util.hash_pandas_object(_canonical(syn[cat]), index=False).to_numpy()
        if cat
        else np.zeros(len(syn), np.uint64)
    )
    r_num, s_num = real[num].to_numpy(dtype=float), syn[num].to_numpy(dtype=float)
    out = np.zeros(len(syn), dtype=bool)
    groups = pd.Series(np.arange(len(real))).groupby(key_r).indices
    first = r_num[:, 0]
    for key, s_rows in pd.Series(np.arange(len(syn))).groupby(key_s).indices.items():
        r_rows = groups.get(key)
        if r_rows is None:
            continue
        order = r_rows[np.argsort(first[r_rows], kind="stable")]
        col0 = first[order]
        nan0 = np.isnan(col0)
        for i in s_rows:
            target = s_num[i]
            if np.isnan(target[0]):
                cand = order[nan0]
            else:
                width = tol * abs(target[0])
                lo = np.searchsorted(col0, target[0] - width, side="left")
                hi = np.searchsorted(col0, target[0] + width, side="right")
                cand = order[lo:hi]
            if len(cand) == 0:
                continue
            block = r_num[cand]
            both_nan = np.isnan(block) & np.isnan(target)
            close = np.abs(block - target) <= tol * np.abs(target)
            out[i] = bool(np.any(np.all(both_nan | close, axis=1)))
    return out


@dataclasses.dataclass
class PrivacyReport:
    """Privacy summary and the per-synthetic-row distances behind it."""

    summary: dict[str, Any]
    distances: pd.DataFrame
    holdout_distances: np.ndarray | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (the summary; per-row distances are summarised by quantiles)."""
        q = self.distances.quantile([0.01, 0.05, 0.25, 0.5, 0.75]).T
        return {"summary": self.summary, "distance_quantiles": table(q)}


def privacy_report(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None = None,
    *,
    max_memory_mb: float = 512,
    max_attack_rows: int = 10_000,
    random_state: int = 0,
    progress: bool = False,
) -> PrivacyReport:
    """NRS, DCR (to training and holdout rows), NNDR and a distance-based membership attack.

    ``holdout`` are real rows the generator never saw (e.g. the validation split); without it
    only the training-side measures are computed. For the closer-to-training share and the
    attack, the larger of training/holdout is subsampled (seeded) to the size of the smaller,
    so 0.5 is the no-leak value; at most ``max_attack_rows`` rows per side are attacked.
    """
    cols = list(train.columns)
    enc = FeatureEncoder().fit(train)
    z_train, z_syn = enc.transform(train), enc.transform(synthetic[cols])
    rng = np.random.default_rng(random_state)
    nrs = new_row_synthesis(train, synthetic)
    d_train = nearest_distances(z_syn, z_train, n_neighbors=2, max_memory_mb=max_memory_mb, progress=progress)
    dcr = d_train[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        nndr = np.where(d_train[:, 1] > 0, d_train[:, 0] / d_train[:, 1], 0.0)
    summary: dict[str, Any] = {
        "new_row_synthesis": nrs["score"],
        "exact_copies": nrs["copies"],
        "dcr_train_median": float(np.median(dcr)),
        "dcr_train_p05": float(np.quantile(dcr, 0.05)),
        "dcr_train_zero_share": float((dcr < 1e-6).mean()),  # distance product rounding: ~1e-7
        "nndr_median": float(np.median(nndr)),
        "synthetic_rows": len(synthetic),
        "training_rows": len(train),
    }
    frame = pd.DataFrame({"dcr_train": dcr, "nndr": nndr})
    ref = None
    if holdout is not None and len(holdout):
        z_hold = enc.transform(holdout[cols])
        n = min(len(z_train), len(z_hold))
        tr_idx = rng.choice(len(z_train), n, replace=False) if len(z_train) > n else np.arange(len(z_train))
        ho_idx = rng.choice(len(z_hold), n, replace=False) if len(z_hold) > n else np.arange(len(z_hold))
        d_tr = nearest_distances(z_syn, z_train[tr_idx], max_memory_mb=max_memory_mb)[:, 0]
        d_ho = nearest_distances(z_syn, z_hold[ho_idx], max_memory_mb=max_memory_mb)[:, 0]
        closer = float(np.mean((d_tr < d_ho) + 0.5 * (d_tr == d_ho)))
        # reference: how close fresh real rows are to the training rows
        ref = nearest_distances(z_hold[ho_idx], z_train, max_memory_mb=max_memory_mb)[:, 0]
        m = min(n, max_attack_rows)
        members = z_train[rng.choice(tr_idx, m, replace=False)]
        outsiders = z_hold[rng.choice(ho_idx, m, replace=False)]
        d_mem = nearest_distances(members, z_syn, max_memory_mb=max_memory_mb)[:, 0]
        d_out = nearest_distances(outsiders, z_syn, max_memory_mb=max_memory_mb)[:, 0]
        from sklearn.metrics import roc_auc_score

        auc = float(roc_auc_score(np.r_[np.ones(m), np.zeros(m)], -np.r_[d_mem, d_out]))
        summary.update(
            dcr_holdout_median=float(np.median(d_ho)),
            closer_to_train_share=closer,
            holdout_to_train_dcr_median=float(np.median(ref)),
            membership_attack_auc=auc,
            holdout_rows=len(holdout),
            compared_rows_per_side=n,
        )
        frame["dcr_holdout"] = d_ho
    return PrivacyReport(summary=summary, distances=frame, holdout_distances=ref)


def data_leakage_test(generator: Any, train: Any, synthetic: Any, holdout: Any = None) -> dict[str, float]:
    """The Data Leakage Test of HARMONIC for generators that assign a likelihood to rows.

    ``dlt = PPL(train) - PPL(synthetic)`` with perplexity = ``exp`` of the mean token
    cross-entropy in natural log (HARMONIC's published script uses base 2; the natural log
    makes values comparable across generators and with the usual definition). A large
    positive DLT means the generator finds its training rows much more likely than what it
    writes. With ``holdout`` (real rows it never saw), ``holdout_minus_train`` = PPL(holdout) -
    PPL(train) shows memorisation directly: near 0 when training rows are no more likely
    than fresh real rows.
    """
    if not hasattr(generator, "perplexity"):
        raise ParameterError(
            f"{type(generator).__name__} has no perplexity(); the Data Leakage Test needs a generator that "
            "scores rows (tabular_gpt, great, harmonic)."
        )
    out = {"ppl_train": generator.perplexity(train), "ppl_synthetic": generator.perplexity(synthetic)}
    out["dlt"] = out["ppl_train"] - out["ppl_synthetic"]
    if holdout is not None:
        out["ppl_holdout"] = generator.perplexity(holdout)
        out["holdout_minus_train"] = out["ppl_holdout"] - out["ppl_train"]
    return out
