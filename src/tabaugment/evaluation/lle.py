"""LLM Effectiveness (LLE, from HARMONIC): train a language-model classifier on (synthetic)
rows, score it on real rows.

The classifier is :class:`~tabaugment.generators.LMClassifier`: a local causal LM fine-tuned on
rows written as text with the label last, whose class probabilities are the likelihoods of the
label spellings. Comparing LLE of synthetic rows with LLE of the same number of real training
rows tells whether the synthetic rows teach an LM what real rows teach it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tabaugment.data.io import to_pandas

__all__ = ["lm_effectiveness"]


def lm_effectiveness(
    train: Any,
    test: Any,
    target: str,
    *,
    model_path: str = "smollm2",
    epochs: int = 2,
    lora: bool = True,
    learning_rate: float | None = None,
    batch_size: int = 8,
    min_steps: int = 50,
    n_threads: int = 1,
    device: str = "auto",
    random_state: int = 0,
) -> dict[str, Any]:
    """Fine-tune the local LM at ``model_path`` on ``train`` and score ``test``.

    Returns ``{"roc_auc", "accuracy", "log_loss", "n_train", "n_test", "classes", "epochs",
    "steps"}`` (ROC-AUC one-vs-rest macro for more than two classes). The classifier trains for
    at least ``min_steps`` optimiser steps, raising the epochs on small inputs (``epochs`` and
    ``steps`` in the result say what ran): with one or two steps, different training sets give
    the same scores. Labels of ``test`` unseen in ``train`` raise.
    """
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    from tabaugment.generators import LMClassifier

    train_df, test_df = to_pandas(train), to_pandas(test)
    clf = LMClassifier(
        model_path=model_path,
        epochs=epochs,
        lora=lora,
        learning_rate=learning_rate,
        batch_size=batch_size,
        min_steps=min_steps,
        n_threads=n_threads,
        device=device,
        random_state=random_state,
    ).fit(train_df, target)
    y = clf.class_index(test_df)
    proba = clf.predict_proba(test_df)
    k = len(clf.classes_)
    out: dict[str, Any] = {
        "accuracy": float(accuracy_score(y, proba.argmax(axis=1))),
        "log_loss": float(log_loss(y, proba, labels=list(range(k)))),
        "n_train": len(train_df),
        "n_test": len(test_df),
        "classes": [str(c) for c in clf.classes_],
        "epochs": int(clf.epochs_),
        "steps": int(clf.steps_),
    }
    if len(np.unique(y)) < 2:
        out["roc_auc"] = float("nan")
    elif k == 2:
        out["roc_auc"] = float(roc_auc_score(y, proba[:, 1]))
    else:
        out["roc_auc"] = float(roc_auc_score(y, proba, multi_class="ovr", labels=list(range(k))))
    return out
