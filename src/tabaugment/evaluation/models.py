"""Downstream classifiers that take prepared frames (categorical columns as pandas categories)."""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator, clone

from tabaugment._optional import import_optional
from tabaugment.exceptions import ParameterError

__all__ = ["MODELS", "accepts_sample_weight", "class_proba", "fit_model", "make_model", "model_frame"]

#: Built-in model names.
MODELS = (
    "lightgbm",
    "lightgbm_small",
    "xgboost",
    "logistic_regression",
    "random_forest",
    "mlp",
    "decision_tree",
    "hist_gradient_boosting",
)


def make_model(model: Any = "lightgbm", *, random_state: int = 0, n_jobs: int = 1, **params: Any) -> Any:
    """A fresh classifier for prepared frames.

    ``model`` is a name from :data:`MODELS` (``params`` override its defaults) or any
    scikit-learn classifier, which gets one-hot encoding and standardisation in front of it
    (:class:`~tabaugment.data.FeatureEncoder`) and ``random_state`` if it has one.
    LightGBM and XGBoost use the pandas categories natively.

    ``lightgbm_small`` is LightGBM set up as a careful user would for a few hundred rows: leaves
    may hold 5 rows (categories too), 15 leaves, row and column subsampling, an L2 penalty
    (LightGBM's defaults need 20 rows per leaf, which leaves a 200-row table with few splits).
    ``mlp`` is scikit-learn's multi-layer perceptron (64 hidden units, L2 penalty 1e-3) on the
    standardised, one-hot encoded features.
    """
    from collections.abc import Mapping

    from sklearn.pipeline import make_pipeline

    from tabaugment.data.encoding import FeatureEncoder

    if isinstance(model, Mapping):  # {"name": ..., "params": {...}}, as experiment specs write models
        if "name" not in model:
            raise ParameterError(f"A model given as a dict needs a 'name'; got keys {sorted(model)}.")
        return make_model(
            model["name"], random_state=random_state, n_jobs=n_jobs, **{**dict(model.get("params", {})), **params}
        )
    if isinstance(model, str):
        if model == "lightgbm":
            lgb = import_optional("lightgbm", extra="lightgbm", purpose="the LightGBM model")
            opts: dict[str, Any] = dict(
                n_estimators=200, learning_rate=0.05, num_leaves=31, subsample_freq=0, verbose=-1
            )
            opts.update(params)
            return lgb.LGBMClassifier(random_state=random_state, n_jobs=n_jobs, **opts)
        if model == "lightgbm_small":
            lgb = import_optional("lightgbm", extra="lightgbm", purpose="the LightGBM model")
            opts = dict(
                n_estimators=200,
                learning_rate=0.05,
                num_leaves=15,
                min_child_samples=5,
                min_data_per_group=5,
                cat_smooth=5.0,
                subsample=0.8,
                subsample_freq=1,
                colsample_bytree=0.8,
                reg_lambda=1.0,
                verbose=-1,
            )
            opts.update(params)
            return lgb.LGBMClassifier(random_state=random_state, n_jobs=n_jobs, **opts)
        if model == "xgboost":
            xgb = import_optional("xgboost", extra="xgboost", purpose="the XGBoost model")
            opts = {"n_estimators": 200, "learning_rate": 0.05, "max_depth": 6, "tree_method": "hist"}
            opts.update(params)
            return xgb.XGBClassifier(random_state=random_state, n_jobs=n_jobs, enable_categorical=True, **opts)
        if model == "logistic_regression":
            from sklearn.linear_model import LogisticRegression

            est: Any = LogisticRegression(max_iter=2000, **params)
        elif model == "random_forest":
            from sklearn.ensemble import RandomForestClassifier

            est = RandomForestClassifier(n_estimators=200, random_state=random_state, n_jobs=n_jobs, **params)
        elif model == "mlp":
            from sklearn.neural_network import MLPClassifier

            opts = dict(hidden_layer_sizes=(64,), alpha=1e-3, max_iter=500, random_state=random_state)
            opts.update(params)
            est = MLPClassifier(**opts)
        elif model == "decision_tree":
            from sklearn.tree import DecisionTreeClassifier

            est = DecisionTreeClassifier(random_state=random_state, **params)
        elif model == "hist_gradient_boosting":
            from sklearn.ensemble import HistGradientBoostingClassifier

            est = HistGradientBoostingClassifier(random_state=random_state, **params)
        else:
            import difflib

            close = difflib.get_close_matches(model, MODELS, n=2)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ParameterError(
                f"Unknown model {model!r}.{hint} Available: {', '.join(MODELS)}, or a scikit-learn classifier."
            )
        return make_pipeline(FeatureEncoder(), est)
    if not isinstance(model, BaseEstimator) or not hasattr(model, "fit"):
        raise ParameterError(f"model must be a name or a scikit-learn classifier. Got {type(model).__name__}.")
    est = clone(model)
    if "random_state" in est.get_params(deep=False):
        est.set_params(random_state=random_state)
    return make_pipeline(FeatureEncoder(), est)


def accepts_sample_weight(model: Any) -> bool:
    """Whether the classifier (or the last step of a pipeline) takes ``sample_weight`` in ``fit``."""
    from sklearn.utils.validation import has_fit_parameter

    final = model.steps[-1][1] if hasattr(model, "steps") else model
    return bool(has_fit_parameter(final, "sample_weight"))


def fit_model(model: Any, X: Any, y: Any, sample_weight: Any = None) -> Any:
    """Fit ``model`` (from :func:`make_model`) with per-row weights when given.

    Raises :class:`~tabaugment.exceptions.ParameterError` when weights are given to a model
    that cannot take them.
    """
    if sample_weight is None:
        return model.fit(X, y)
    if not accepts_sample_weight(model):
        final = model.steps[-1][1] if hasattr(model, "steps") else model
        raise ParameterError(
            f"{type(final).__name__} does not accept sample weights, but the augmentation weighs its rows "
            "(synthetic_weight != 1 or teacher='soft'). Use a model that does, or weights='resample'."
        )
    if hasattr(model, "steps"):
        return model.fit(X, y, **{f"{model.steps[-1][0]}__sample_weight": sample_weight})
    return model.fit(X, y, sample_weight=sample_weight)


def class_proba(model: Any, X: Any, n_classes: int) -> Any:
    """Predicted probabilities with one column per class code ``0..n_classes-1``.

    A class the model never saw in training (possible for a rare class in a small resample) gets
    probability 0 instead of shifting the other columns.
    """
    import numpy as np

    raw = np.asarray(model.predict_proba(X), dtype=np.float64)
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    seen = [int(c) for c in final.classes_]
    if seen == list(range(n_classes)):
        return raw
    out = np.zeros((raw.shape[0], n_classes))
    out[:, seen] = raw
    return out


def model_frame(X: Any, categories: dict[Any, list[Any]] | None = None) -> tuple[Any, dict[Any, list[Any]]]:
    """``X`` with every text, boolean or object column as a pandas category (what the tree models
    read natively), and the categories used; pass them back for new rows so codes agree.

    Numbers and columns that already are categories stay as they are, so a prepared frame
    passes through unchanged.
    """
    import pandas as pd

    from tabaugment.data.dates import is_datetime, to_days

    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
    out = None
    used = dict(categories or {})
    for col in frame.columns:
        dt = frame[col].dtype
        if isinstance(dt, pd.CategoricalDtype) or (
            pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_bool_dtype(dt)
        ):
            continue
        if is_datetime(frame[col]):  # dates as days since 1970-01-01
            out = frame.copy() if out is None else out
            out[col] = to_days(frame[col])
            continue
        values = frame[col].astype(object)
        if col not in used:
            used[col] = sorted(pd.unique(values.dropna()), key=str)
        out = frame.copy() if out is None else out
        out[col] = pd.Categorical(values, categories=used[col])
    return (frame if out is None else out), used
