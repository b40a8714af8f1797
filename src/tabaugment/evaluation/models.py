"""Downstream classifiers that take prepared frames (categorical columns as pandas categories)."""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator, clone

from tabaugment._optional import import_optional
from tabaugment.exceptions import ParameterError

__all__ = ["MODELS", "make_model"]

#: Built-in model names.
MODELS = ("lightgbm", "xgboost", "logistic_regression", "random_forest", "decision_tree", "hist_gradient_boosting")


def make_model(model: Any = "lightgbm", *, random_state: int = 0, n_jobs: int = 1, **params: Any) -> Any:
    """A fresh classifier for prepared frames.

    ``model`` is a name from :data:`MODELS` (``params`` override its defaults) or any
    scikit-learn classifier, which gets one-hot encoding and standardisation in front of it
    (:class:`~tabaugment.data.FeatureEncoder`) and ``random_state`` if it has one.
    LightGBM and XGBoost use the pandas categories natively.
    """
    from sklearn.pipeline import make_pipeline

    from tabaugment.data.encoding import FeatureEncoder

    if isinstance(model, str):
        if model == "lightgbm":
            lgb = import_optional("lightgbm", extra="lightgbm", purpose="the LightGBM model")
            opts: dict[str, Any] = dict(
                n_estimators=200, learning_rate=0.05, num_leaves=31, subsample_freq=0, verbose=-1
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
