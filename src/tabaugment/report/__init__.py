"""The HTML report: one pipeline run examined from every side, in one self-contained file.

:func:`build_report` splits the data, runs the augmentation strategy once (seed
``random_state``) and measures its synthetic rows (fidelity against the rows the generator
was fitted on, privacy against all training rows with the validation rows as the holdout,
validity against rules learned from the training rows), then evaluates utility over
``seeds`` fresh splits. :meth:`Report.save` writes the HTML and a JSON file of every number.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import platform
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tabaugment._io import write_text_atomic
from tabaugment._json import records

__all__ = ["Report", "build_report"]


@dataclasses.dataclass
class Report:
    """The report's numbers (``data``, JSON-ready) and its HTML page."""

    data: dict[str, Any]
    html: str

    def save(self, path: str | Path) -> tuple[Path, Path]:
        """Write ``path`` (HTML) and the same name with ``.json``; both atomically."""
        html_path = Path(path)
        json_path = html_path.with_suffix(".json")
        write_text_atomic(json_path, json.dumps(self.data, indent=1, default=_json_default))
        write_text_atomic(html_path, self.html)
        return html_path, json_path


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def build_report(
    data: Any,
    *,
    strategy: Any,
    strategy_name: str | None = None,
    target: str | None = None,
    schema: Any = None,
    test: pd.DataFrame | None = None,
    model: Any = "lightgbm",
    seeds: int = 5,
    train_size: int | float | None = None,
    test_size: float = 0.2,
    validation_size: float = 0.2,
    unseen_categories: str = "auto",
    user_rules: Any = None,
    random_state: int = 0,
    progress: bool = False,
    command: str | None = None,
    lle_model: str | None = None,
    max_scored_rows: int = 500,
) -> Report:
    """Run ``strategy`` (an :class:`~tabaugment.Augmenter`) on ``data`` and build the report.

    Generators that score rows (the LM generators) also get the Data Leakage Test on at most
    ``max_scored_rows`` training, synthetic and holdout rows. With ``lle_model`` (a local LM
    path, or ``"smollm2"``) the report adds LLM Effectiveness: that LM fine-tuned as a
    classifier on the synthetic rows and on as many real rows, scored on real test rows.

    ``test_size``, ``validation_size`` and ``unseen_categories`` cut the split as
    :func:`~tabaugment.data.split_table` does; with ``validation_size=0`` the generator's rows
    are compared for privacy with the test rows (the only real rows it never saw).
    """
    from sklearn.base import clone

    from tabaugment.data import Constraints
    from tabaugment.data.splits import split_table
    from tabaugment.evaluation.fidelity import fidelity_report
    from tabaugment.evaluation.privacy import privacy_report
    from tabaugment.evaluation.tstr import train_synthetic_test_real
    from tabaugment.exceptions import DataError
    from tabaugment.experiment.evaluate import evaluate_augmentation, resolve_data
    from tabaugment.report import plots
    from tabaugment.report.html import render_html

    resolved = resolve_data(data, target=target, schema=schema, test=test)
    ds = resolved.dataset
    table, schema, test = ds.table, ds.schema, ds.test
    name = strategy_name or "augmented"
    dataset_name = ds.name
    split = split_table(
        table,
        schema,
        test=test,
        test_size=test_size,
        validation_size=validation_size,
        train_size=train_size,
        random_state=random_state,
        unseen_categories=unseen_categories,  # type: ignore[arg-type]
    )
    holdout = split.validation if len(split.validation) else split.test  # real rows the generator never saw
    aug = clone(strategy)
    if aug.random_state is None:
        aug.set_params(random_state=random_state)
    result = aug.fit_augment(split.train, schema.target, validation=split.validation)
    synthetic = result.synthetic
    fitted_rows = split.train.loc[result.selected]
    fitted = aug.delegate_ if aug.is_auto else aug  # None when auto chose no augmentation
    made_rows = len(synthetic) > 0 and len(fitted_rows) > 0

    fidelity = privacy = validity = None
    if made_rows:
        fidelity = fidelity_report(fitted_rows, synthetic, random_state=random_state)
        privacy = privacy_report(split.train, synthetic, holdout, random_state=random_state, progress=progress)
        validity = Constraints.learn(split.train, user_rules=user_rules).check(synthetic)
    utility = evaluate_augmentation(
        resolved,
        strategies={name: strategy},
        model=model,
        seeds=seeds,
        train_size=train_size,
        test_size=test_size,
        validation_size=validation_size,
        unseen_categories=unseen_categories,
        progress=progress,
    )
    tstr_records: list[dict[str, Any]] = []
    if made_rows:
        weights = None if result.sample_weight is None else np.asarray(result.sample_weight)[result.is_synthetic]
        try:
            tstr = train_synthetic_test_real(
                synthetic, fitted_rows, split.test, schema, model=model, seeds=seeds, synthetic_weight=weights
            )
            tstr_records = records(tstr)
        except DataError as exc:
            tstr_records = [{"note": str(exc)}]

    privacy_out = privacy.to_dict() if privacy is not None else None
    generator = getattr(fitted, "generator_", None)
    if privacy_out is not None and hasattr(generator, "perplexity"):
        from tabaugment.evaluation.privacy import data_leakage_test

        cap = int(max_scored_rows)
        privacy_out["data_leakage_test"] = data_leakage_test(
            generator, fitted_rows.iloc[:cap], synthetic.iloc[:cap], holdout.iloc[:cap]
        )
    lle_out = None
    if lle_model is not None and made_rows:
        from tabaugment.evaluation.lle import lm_effectiveness

        cap = int(max_scored_rows)
        real_rows = fitted_rows.sample(min(len(synthetic), len(fitted_rows), cap), random_state=random_state)
        test_rows = split.test.iloc[:cap]
        lle_out = {
            "model": str(lle_model),
            "synthetic": lm_effectiveness(synthetic.iloc[:cap], test_rows, schema.target, model_path=lle_model),
            "real": lm_effectiveness(real_rows, test_rows, schema.target, model_path=lle_model),
        }

    y01 = schema.rare_flags(split.train[schema.target])
    selected_mask = split.train.index.isin(result.selected)
    scored = result.hardness.method != "not scored"
    features = list(schema.features)
    comp = utility.comparison
    data_out: dict[str, Any] = {
        "config": {
            "strategy": name,
            "strategy_params": utility.config["strategies"][name],
            "model": utility.config["model"],
            "seeds": utility.config["seeds"],
            "random_state": random_state,
            "train_size": train_size,
            "versions": utility.config["versions"],
            "machine": f"{platform.machine()} · Python {platform.python_version()} · {platform.system()}",
            "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "command": command,
        },
        "dataset": {
            "name": dataset_name,
            "target": schema.target,
            "positive_label": schema.rare_name(split.train[schema.target]),
            "classes": [str(c) for c in schema.classes],
            "positive_rate": float(y01.mean()),
            "train_rows": len(split.train),
            "validation_rows": len(split.validation),
            "privacy_holdout": "validation" if len(split.validation) else "test",
            "test_rows": len(split.test),
            "categorical": len(schema.categorical),
            "numerical": len(schema.numerical),
        },
        "hardness": {
            "method": result.hardness.method,
            "training_rows": len(split.train),
            "selected_rows": int(selected_mask.sum()),
            "selected_positive_share": float(y01[selected_mask].mean()) if selected_mask.any() else None,
            "synthetic_rows": len(synthetic),
            "budget": {str(k): v for k, v in result.budget.items()},
            "score_quantiles": {
                str(q): float(np.quantile(result.hardness.scores, q)) for q in (0, 0.25, 0.5, 0.75, 0.9, 1)
            }
            if scored
            else None,
        },
        "decisions": {
            "auto": None if result.choice is None else result.choice.to_dict(),
            "curation": result.curation,
            "privacy_filter": result.privacy,
            "validity_filter": result.validity,
            "origin": {str(k): int(v) for k, v in pd.Series(result.origin).value_counts().items()},
            "note": None if made_rows else _no_rows_note(result),
        },
        "utility": {
            "comparison": records(comp),
            "verdict": _verdict(comp, name),
        },
        "tstr": tstr_records,
        "fidelity": fidelity.to_dict() if fidelity is not None else None,
        "privacy": privacy_out,
        "lle": lle_out,
        "validity": {**validity.to_dict(), "user_rules": bool(user_rules)} if validity is not None else None,
    }
    figs: dict[str, Any] = {"utility": plots.utility_plot(utility.scores)}
    if scored:
        names = (
            ("negative class", "positive class")
            if schema.is_binary
            else (f"largest class ({schema.rare_name(split.train[schema.target])[4:]})", "other classes")
        )
        figs["hardness"] = plots.hardness_histogram(
            result.hardness.scores, selected_mask, y01, result.hardness.method, names
        )
    if fidelity is not None and privacy is not None:
        figs["marginals"] = {
            col: plots.marginal_plot(fitted_rows[col], synthetic[col], numerical=col in schema.numerical)
            for col in [*features, schema.target]
        }
        figs["pairs"] = plots.correlation_heatmap(fidelity.pairs, list(fitted_rows.columns))
        figs["dcr"] = plots.dcr_histogram(privacy.distances, privacy.holdout_distances)
    return Report(data=data_out, html=render_html(data_out, figs))


def _no_rows_note(result: Any) -> str:
    """Why there are no synthetic rows to examine."""
    if result.choice is not None and result.choice.params is None:
        return "auto chose no augmentation, so there are no synthetic rows to examine."
    if (result.origin == "teacher").any():
        return "The strategy adds the real rows again with a teacher's labels and no synthetic rows."
    return "The strategy added no synthetic rows."


def _verdict(comp: pd.DataFrame, name: str) -> str:
    row = comp[(comp.strategy == name) & (comp.metric == "roc_auc")].iloc[0]
    p, d = row.p, row.mean_diff
    test = "corrected resampled t-test"
    if p < 0.05 and d > 0:
        return (
            f"{name} improved ROC-AUC by {d:+.4f} on real test rows ({test} p = {p:.3g}, "
            f"{int(row.wins)}/{int(row.n_seeds)} seeds)."
        )
    if p < 0.05 and d < 0:
        return f"{name} made ROC-AUC worse by {d:+.4f} on real test rows ({test} p = {p:.3g}); do not use it as is."
    return f"No significant change in ROC-AUC ({d:+.4f}, {test} p = {p:.3g}); do not expect a gain from {name}."
