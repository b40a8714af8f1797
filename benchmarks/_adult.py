"""Adult as the generator benchmarks use it: the training sample, the official test file, TSTR."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def adult(datasets: Path, rows: int = 22_000):
    """Adult's schema, a stratified sample of ``rows`` training rows (seed 0) and the official
    test file read with the training categories."""
    from sklearn.model_selection import train_test_split

    from tabaugment.data import load_dataset

    ds = load_dataset("adult", root=datasets)
    frame = ds.schema.prepare(ds.table)
    y = ds.schema.encode_target(frame[ds.schema.target])
    tr, _ = train_test_split(np.arange(len(frame)), train_size=rows, stratify=y, random_state=0)
    test = ds.schema.prepare(ds.test)
    train = frame.iloc[tr].reset_index(drop=True)
    for col in ds.schema.categorical:  # the test file uses the training categories
        test[col] = test[col].astype(object).astype(train[col].dtype)
    return ds.schema, train, test


def tstr_auc(schema, synthetic, test) -> float:
    """ROC-AUC on the test rows of LightGBM trained on ``synthetic`` rows (seed 0)."""
    from sklearn.metrics import roc_auc_score

    from tabaugment.evaluation import make_model

    feats = list(schema.features)
    syn = synthetic.copy()
    for col in schema.categorical:
        syn[col] = syn[col].astype(object).astype(test[col].dtype)
    clf = make_model("lightgbm", random_state=0).fit(syn[feats], schema.encode_target(syn[schema.target]))
    return float(roc_auc_score(schema.encode_target(test[schema.target]), clf.predict_proba(test[feats])[:, 1]))
