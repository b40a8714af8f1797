"""``auto``: choose an augmentation strategy for a table, or none, with a calibrated test.

The candidates (dicts of :class:`~tabaugment.Augmenter` parameters) and "no augmentation" are
compared by repeated stratified k-fold cross-validation on the **training rows only**: in each
fold every candidate augments the other folds, the downstream model is trained on the result
and scored on the held-out fold of real rows. Folds overlap across repeats and training sets
overlap across folds, so the plain paired t-test would be anti-conservative; the differences
are tested with the corrected resampled t-test (Nadeau & Bengio 2003; for repeated k-fold the
correction ratio is 1 / (k - 1), Bouckaert & Frank 2004), one-sided (a candidate is only used
if it is better).

Several candidates are several tests. They are tested in their given order, each at level
``alpha``, stopping at the first that is not significantly better (the fixed-sequence
procedure, which keeps the chance of using any candidate that does not help at most
``alpha`` without dividing ``alpha`` among them; its adjusted p-value of a candidate is the
largest p-value up to it). Put the candidate most likely to help first: by default
self-distillation, which in ``benchmarks/results/utility`` was never beaten by synthetic rows
labelled by the same teacher. Among the candidates that pass, the one with the largest gain is
chosen; without one, no augmentation. ``benchmarks/utility_analysis.py`` measures how often
this rule says "use" for a candidate whose true effect on unseen rows is not positive (and how
often the plain paired t-test would).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tabaugment import _defaults
from tabaugment._progress import progress_bar
from tabaugment._random import spawn_seeds
from tabaugment.augment._teacher import Teacher
from tabaugment.evaluation.metrics import HIGHER_IS_BETTER, METRICS, MULTICLASS_METRICS
from tabaugment.evaluation.models import fit_model, make_model, model_frame
from tabaugment.evaluation.stats import corrected_ttest
from tabaugment.exceptions import DataError, ParameterError, TabAugmentError

__all__ = ["NONE_NAME", "AutoChoice", "augmenter_from_dict", "choose"]

#: The name of the "no augmentation" option in a choice.
NONE_NAME = "none"


@dataclasses.dataclass
class AutoChoice:
    """What ``auto`` chose and the evidence.

    Attributes
    ----------
    chosen : the chosen candidate's name, or ``"none"``.
    params : the chosen candidate's Augmenter parameters (None for no augmentation).
    evidence : one row per candidate: mean score without and with it, the mean difference
        (positive = better), its 95% interval, the one-sided corrected p-value, the fixed-sequence
        adjusted p-value (``p_adjusted``: the largest p-value up to this candidate),
        the plain paired t-test's one-sided p-value (``p_plain``, anti-conservative over
        overlapping folds: shown for contrast, never used), splits won, seconds, and a verdict (``"use"``, ``"no gain"``, ``"failed: ..."``).
    reason : one sentence saying what was chosen and why.
    metric, model, splits : what the candidates were judged by and on how many splits.
    """

    chosen: str
    params: dict[str, Any] | None
    evidence: pd.DataFrame
    reason: str
    metric: str
    model: str
    splits: int
    seconds: float

    def _repr_html_(self) -> str:
        """The reason and the evidence as HTML (Jupyter)."""
        import html

        cols = [
            c
            for c in ("candidate", "baseline_mean", "candidate_mean", "mean_diff", "p", "p_adjusted", "wins", "verdict")
            if c in self.evidence
        ]
        table = self.evidence[cols].to_html(index=False, float_format=lambda v: f"{v:.4f}")
        return f"<p>{html.escape(self.reason)}</p>{table}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        from tabaugment._json import records

        return {
            "chosen": self.chosen,
            "params": None if self.params is None else {k: _jsonable(v) for k, v in self.params.items()},
            "reason": self.reason,
            "metric": self.metric,
            "model": self.model,
            "splits": self.splits,
            "seconds": self.seconds,
            "evidence": records(self.evidence),
        }


_COMPONENT_KINDS = {"hardness": "hardness", "selector": "selectors", "generator": "generators", "curate": "curators"}


def augmenter_from_dict(candidate: Mapping[str, Any]) -> Any:
    """An :class:`~tabaugment.Augmenter` from a candidate dict (``"name"`` and ``"*_params"``
    keys are understood; components given by name with parameters become instances)."""
    from tabaugment._registry import get_class
    from tabaugment.augment.augmenter import Augmenter

    params = {k: v for k, v in candidate.items() if k != "name" and not k.endswith("_params")}
    valid = Augmenter().get_params(deep=False)
    unknown = sorted(set(params) - set(valid))
    for key in candidate:
        if key.endswith("_params") and key[: -len("_params")] not in _COMPONENT_KINDS:
            unknown.append(key)
    if unknown:
        raise ParameterError(
            f"Candidate {candidate.get('name', '?')!r} has unknown keys {unknown}; it takes {sorted(valid)} "
            "and hardness_params, selector_params, generator_params, curate_params."
        )
    for key, kind in _COMPONENT_KINDS.items():
        extra = candidate.get(f"{key}_params")
        if extra:
            if not isinstance(params.get(key), str):
                raise ParameterError(f"Candidate {candidate.get('name', '?')!r}: {key}_params needs {key} as a name.")
            params[key] = get_class(kind, params[key])(**dict(extra))
    if params.get("generator") == "auto":
        raise ParameterError(f"Candidate {candidate.get('name', '?')!r} cannot itself be 'auto'.")
    return Augmenter(**params)


def _check_candidates(candidates: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out, names = [], set()
    for i, c in enumerate(candidates):
        if not isinstance(c, Mapping):
            raise ParameterError(f"Candidate {i} must be a dict of Augmenter parameters; got {type(c).__name__}.")
        name = str(c.get("name", f"candidate_{i}"))
        if name == NONE_NAME or name in names:
            raise ParameterError(f"Candidate name {name!r} is reserved or used twice; name each candidate uniquely.")
        names.add(name)
        augmenter_from_dict(c)._validate_params()  # every problem surfaces before any work
        out.append({**dict(c), "name": name})
    if not out:
        raise ParameterError("Give at least one candidate (no augmentation is always compared too).")
    return out


def _score(metric: str, y: np.ndarray, proba: np.ndarray, classes: list[Any], positive: Any) -> float:
    from tabaugment.evaluation.metrics import score_metric

    if len(classes) == 2:
        return score_metric(metric, (y == positive).astype(int), proba[:, classes.index(positive)])
    return score_metric(metric, np.array([classes.index(v) for v in y]), proba)


def _proba(clf: Any, X: pd.DataFrame, classes: list[Any]) -> np.ndarray:
    raw = clf.predict_proba(X)
    seen = list(clf.classes_) if not hasattr(clf, "steps") else list(clf.steps[-1][1].classes_)
    out = np.zeros((len(X), len(classes)))
    for j, label in enumerate(seen):
        out[:, classes.index(label)] = raw[:, j]
    return out


def choose(
    frame: pd.DataFrame,
    target: str,
    *,
    candidates: Sequence[Mapping[str, Any]] | None = None,
    model: Any = None,
    n_splits: int = _defaults.AUTO_SPLITS,
    n_repeats: int = _defaults.AUTO_REPEATS,
    alpha: float = _defaults.ALPHA,
    metric: str = _defaults.METRIC,
    random_state: int = 0,
    progress: bool = False,
) -> AutoChoice:
    """Compare ``candidates`` with no augmentation on ``frame`` (training rows only) and choose."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    cands = _check_candidates(_defaults.AUTO_CANDIDATES if candidates is None else candidates)
    model = _defaults.MODEL if model is None else model
    y = frame[target].to_numpy()
    labels = pd.Series(y, dtype=object)
    counts = labels.value_counts()
    classes = list(counts.index)
    if len(classes) > 2 and metric not in MULTICLASS_METRICS:
        raise ParameterError(f"auto's metric {metric!r} is for two classes; use one of {MULTICLASS_METRICS}.")
    if metric not in HIGHER_IS_BETTER:
        raise ParameterError(f"Unknown metric {metric!r} for auto; choose from {', '.join(METRICS)}.")
    folds = int(min(n_splits, counts.min()))
    if folds < 2:
        raise DataError(
            f"auto needs at least 2 rows of every class for its cross-validation; {classes[-1]!r} has "
            f"{int(counts.min())}. Give an explicit strategy instead."
        )
    positive = classes[-1]  # the rarer class
    sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
    X_all, categories = model_frame(frame.drop(columns=[target]))
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=n_repeats, random_state=random_state % (2**32))
    splits = list(splitter.split(np.zeros(len(y)), labels.astype(str)))
    names = [NONE_NAME, *[c["name"] for c in cands]]
    scores = {name: np.full(len(splits), np.nan) for name in names}
    seconds = dict.fromkeys(names, 0.0)
    failures: dict[str, str] = {}
    t_start = time.perf_counter()
    teacher_models = {_model_key(c.get("teacher_model", _defaults.TEACHER_MODEL)) for c in cands if c.get("teacher")}
    with progress_bar(progress, total=len(splits) * len(names), desc="auto", unit="fits") as bar:
        for j, (tr, te) in enumerate(splits):
            seeds = spawn_seeds(random_state + j, ["model", "teacher", *names])
            inner = frame.iloc[tr]
            X_test, y_test = X_all.iloc[te], y[te]
            # one teacher per fold (and teacher model), shared by the candidates that use it
            teachers = {}
            for key in teacher_models:
                cross_fit = any(
                    c.get("teach_real")
                    for c in cands
                    if _model_key(c.get("teacher_model", _defaults.TEACHER_MODEL)) == key
                )
                teacher = Teacher(_unkey(key, cands), random_state=seeds["teacher"])
                teachers[key] = teacher.fit(inner.drop(columns=[target]), y[tr], cross_fit=cross_fit)
            for name, cand in [(NONE_NAME, None), *[(c["name"], c) for c in cands]]:
                bar.update()
                if name in failures:
                    continue
                t0 = time.perf_counter()
                clf = make_model(model, random_state=seeds["model"])
                try:
                    if cand is None:
                        fit_model(clf, X_all.iloc[tr], y[tr])
                    else:
                        aug = augmenter_from_dict(cand).set_params(random_state=seeds[name])
                        if cand.get("teacher"):
                            key = _model_key(cand.get("teacher_model", _defaults.TEACHER_MODEL))
                            aug._prefit_teacher = teachers[key]
                        result = aug.fit_augment(inner, target)
                        X_aug, _ = model_frame(result.table.drop(columns=[target]), categories)
                        fit_model(clf, X_aug, result.table[target].to_numpy(), result.sample_weight)
                    scores[name][j] = _score(metric, y_test, _proba(clf, X_test, classes), classes, positive)
                except TabAugmentError as exc:
                    if cand is None:
                        raise
                    failures[name] = str(exc)
                seconds[name] += time.perf_counter() - t0
    ratio = 1.0 / (folds - 1)
    rows = []
    for cand in cands:
        name = cand["name"]
        if name in failures:
            rows.append({"candidate": name, "verdict": f"failed: {failures[name]}", "p": 1.0})
            continue
        d = (scores[name] - scores[NONE_NAME]) * sign
        test = corrected_ttest(d, ratio)
        p_one = _one_sided(test["p"], d)
        p_plain = _one_sided(corrected_ttest(d, 0.0)["p"], d)  # what a naive test would say, for contrast
        rows.append(
            {
                "candidate": name,
                "baseline_mean": float(np.mean(scores[NONE_NAME])),
                "candidate_mean": float(np.mean(scores[name])),
                "mean_diff": float(d.mean()),
                "ci_low": test["ci_low"],
                "ci_high": test["ci_high"],
                "p": float(p_one),
                "p_plain": float(p_plain),
                "wins": int((d > 0).sum()),
                "splits": len(d),
                "seconds": seconds[name],
            }
        )
    evidence = pd.DataFrame(rows)
    # fixed sequence: in the given order, the adjusted p-value is the largest p-value so far (a
    # failed candidate counts as p = 1, so nothing after it is used)
    evidence["p_adjusted"] = np.maximum.accumulate(evidence["p"].fillna(1.0).to_numpy())
    tested = evidence["verdict"].isna() if "verdict" in evidence else pd.Series(True, index=evidence.index)
    use = tested & (evidence["p_adjusted"] < alpha) & (evidence.get("mean_diff", 0) > 0)
    if "verdict" not in evidence:
        evidence["verdict"] = None
    evidence.loc[tested, "verdict"] = np.where(use[tested], "use", "no gain")
    label = metric.replace("_", " ")
    if use.any():
        best = evidence[use].sort_values("mean_diff", ascending=False).iloc[0]
        chosen = next(c for c in cands if c["name"] == best.candidate)
        reason = (
            f"auto chose {best.candidate}: {label} {best.candidate_mean:.4f} against {best.baseline_mean:.4f} without "
            f"augmentation ({sign * best.mean_diff:+.4f}, one-sided corrected p = {best.p:.3g}, adjusted p = "
            f"{best.p_adjusted:.3g}, better on {int(best.wins)} of {int(best.splits)} splits of the training rows)."
        )
        params = {k: v for k, v in chosen.items() if k != "name"}
        return AutoChoice(
            best.candidate,
            params,
            evidence,
            reason,
            metric,
            _model_name(model),
            len(splits),
            time.perf_counter() - t_start,
        )
    if tested.any():
        top = evidence[tested].sort_values("mean_diff", ascending=False).iloc[0]
        reason = (
            f"auto chose no augmentation: no candidate was significantly better on held-out folds of the training "
            f"rows; the best, {top.candidate}, changed {label} by {sign * top.mean_diff:+.4f} (adjusted p = "
            f"{top.p_adjusted:.3g}, {len(cands)} candidates, {len(splits)} splits)."
        )
    else:
        reason = "auto chose no augmentation: every candidate failed on these rows (see the evidence)."
    return AutoChoice(
        NONE_NAME, None, evidence, reason, metric, _model_name(model), len(splits), time.perf_counter() - t_start
    )


def _one_sided(p_two: float, d: np.ndarray) -> float:
    """The one-sided p-value (H1: mean difference > 0) of a two-sided one."""
    if not np.isfinite(p_two):
        return 1.0
    return p_two / 2 if d.mean() > 0 else 1 - p_two / 2


def _jsonable(value: Any) -> Any:
    """A candidate's parameter in JSON: a component or model instance as its class and parameters."""
    if hasattr(value, "get_params"):
        cls = type(value)
        params = {k: _jsonable(v) for k, v in value.get_params(deep=False).items()}
        return {"class": f"{cls.__module__}:{cls.__qualname__}", "params": params}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _model_name(model: Any) -> str:
    return model if isinstance(model, str) else type(model).__name__


def _model_key(model: Any) -> str:
    """A hashable key of a teacher model (a name, or a classifier's class and parameters)."""
    return model if isinstance(model, str) else repr(model)


def _unkey(key: str, cands: Sequence[Mapping[str, Any]]) -> Any:
    for c in cands:
        model = c.get("teacher_model", _defaults.TEACHER_MODEL)
        if _model_key(model) == key:
            return model
    return key
