"""One self-contained HTML file: inline CSS, plots as data URIs, no network needed to view it."""

from __future__ import annotations

import html
import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["render_html"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#222;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;border-bottom:2px solid #eee;padding-bottom:.2rem;margin-top:2.2rem}
h3{font-size:1.02rem;margin-top:1.4rem}.muted{color:#666;font-size:.9rem}
table{border-collapse:collapse;font-size:.92rem;margin:.6rem 0}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f6f6}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:.8rem 0}.card{border:1px solid #e3e3e3;border-radius:6px;padding:.6rem .9rem;min-width:150px}
.card b{display:block;font-size:1.25rem}.good{color:#1b7f3b}.bad{color:#b3261e}
.grid{display:flex;flex-wrap:wrap;gap:.4rem}img{max-width:100%}details{margin:.5rem 0}
.note{background:#fff8e6;border-left:4px solid #f0b400;padding:.5rem .8rem;font-size:.9rem}
"""


_NUMBER_TEXT = re.compile(r"^[\s+\-\d.,%e\[\]/]*(seeds)?$")


def _numeric(values: pd.Series) -> bool:
    """Whether a column holds numbers (or numbers written as text: "+0.0012", "[-0.1, 0.2]", "2/3 seeds")."""
    present = [v for v in values if v is not None and not (isinstance(v, float) and v != v)]
    return bool(present) and all(
        (isinstance(v, (int, float, np.number)) and not isinstance(v, bool))
        or (isinstance(v, str) and _NUMBER_TEXT.match(v) is not None and any(ch.isdigit() for ch in v))
        for v in present
    )


def _table(frame: pd.DataFrame, floatfmt: str = "{:.4f}") -> str:
    """An HTML table: text left-aligned, numbers right-aligned in tabular figures."""

    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return "" if v != v else floatfmt.format(v)
        return html.escape(str(v))

    numeric = [_numeric(frame[c]) for c in frame.columns]
    head = "".join(f"<th{' class=num' if n else ''}>{html.escape(str(c))}</th>" for c, n in zip(frame.columns, numeric))
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if n else ''}>{fmt(v)}</td>" for v, n in zip(row, numeric)) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(b64: str, alt: str) -> str:
    return f'<img class="plot" alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'


def _card(label: str, value: str, cls: str = "") -> str:
    return f'<div class="card"><span class="muted">{html.escape(label)}</span><b class="{cls}">{html.escape(value)}</b></div>'


def _count(seeds: Any) -> int:
    return len(seeds) if isinstance(seeds, (list, tuple)) else int(seeds)


def _decisions(dec: dict[str, Any], params: dict[str, Any]) -> list[str]:
    """What the strategy decided: auto's choice and evidence, curation, the filters."""
    parts: list[str] = []
    auto, cur = dec.get("auto"), dec.get("curation")
    filt, valid, origin = dec.get("privacy_filter"), dec.get("validity_filter"), dec.get("origin") or {}
    if not (auto or cur or filt or valid or len(origin) > 1):
        return parts
    parts.append("<h2>What the strategy decided</h2>")
    if origin:
        made = ", ".join(f"{n:,} {kind}" for kind, n in origin.items())
        auto_params = (dec.get("auto") or {}).get("params") or {}
        soft = "soft" in (params.get("teacher"), auto_params.get("teacher"))
        why = " (a soft teacher writes each added row once per label, weighted by its probability)" if soft else ""
        parts.append(f"<p>Training rows it returns: {html.escape(made)}{why}.</p>")
    if auto:
        parts.append(
            f"<h3>auto's choice: {html.escape(str(auto['chosen']))}</h3><p>{html.escape(auto['reason'])}</p>"
            f"<p class='muted'>{auto['splits']} cross-validation splits of the training rows with {html.escape(auto['model'])}, "
            f"judged by {html.escape(auto['metric'])}; p: one-sided corrected resampled t-test, p adjusted: candidates "
            "tested in a fixed sequence.</p>"
        )
        evidence = pd.DataFrame(auto["evidence"])
        cols = [
            c
            for c in ("candidate", "baseline_mean", "candidate_mean", "mean_diff", "p", "p_adjusted", "wins", "verdict")
            if c in evidence
        ]
        parts.append(_table(evidence[cols]))
    if cur:
        parts.append(
            f"<h3>Curation ({html.escape(str(cur.get('curator')))})</h3><p>Of {cur['drawn']:,} synthetic rows drawn, "
            f"{cur['accepted']:,} passed the curator and {cur['kept']:,} were kept"
            + (
                f"; short by {html.escape(str(cur['shortfall']))} rows."
                if cur.get("shortfall")
                else " (the budget filled)."
            )
            + "</p>"
        )
    if filt:
        parts.append(
            f"<h3>Privacy filter</h3><p>{filt.get('copies', 0):,} drawn rows copied a training row and "
            f"{filt.get('too_close', 0):,} were closer than {filt.get('min_distance', 0):g} to one; "
            "they were dropped and drawn again.</p>"
        )
    if valid:
        parts.append(
            f"<h3>Validity filter</h3><p>{valid['dropped']:,} of {valid['drawn']:,} drawn rows broke a rule and "
            "were drawn again.</p>"
        )
    return parts


def render_html(data: dict[str, Any], plots: dict[str, Any]) -> str:
    """The report page from the report's numbers (``data``) and plots (base64 PNGs)."""
    cfg = data["config"]
    ds = data["dataset"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>tabaugment report: {html.escape(ds['name'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>tabaugment report: {html.escape(ds['name'])}</h1>",
        f"<p class='muted'>strategy <b>{html.escape(cfg['strategy'])}</b> · model {html.escape(str(cfg['model']))} · "
        f"seeds {html.escape(str(cfg['seeds']))} · tabaugment {html.escape(cfg['versions'].get('tabaugment', '?'))} · "
        f"{html.escape(cfg['created'])} · {html.escape(cfg['machine'])}</p>",
    ]
    # ---- dataset
    parts.append("<h2>Data</h2><div class='cards'>")
    parts.append(
        _card(
            "rows (train / validation / test)",
            f"{ds['train_rows']:,} / {ds['validation_rows']:,} / {ds['test_rows']:,}",
        )
    )
    parts.append(_card("features (categorical / numerical)", f"{ds['categorical']} / {ds['numerical']}"))
    rare = "positive" if len(ds.get("classes", ())) <= 2 else "rare-class"
    parts.append(_card(f"{rare} rate ({ds['positive_label']})", f"{ds['positive_rate']:.1%}"))
    parts.append(_card("target", ds["target"]))
    parts.append("</div>")
    # ---- utility
    util = data["utility"]
    parts.append("<h2>Does it help? Utility on real test rows</h2>")
    parts.append(
        "<p class='muted'>Each seed splits the data anew; the baseline model (real rows only) and the augmented model "
        "(real + synthetic rows) share the model seed and are scored on the same real test rows. p and 95% CI: the "
        "corrected resampled t-test (the seeds' splits overlap); p (t): the plain paired t-test; p (W): Wilcoxon "
        "signed-rank.</p>"
    )
    comp = pd.DataFrame(util["comparison"])
    shown = pd.DataFrame(
        {
            "metric": comp["metric"],
            "baseline": comp["baseline_mean"],
            "augmented": comp["treatment_mean"],
            "difference": comp["mean_diff"].map(lambda v: f"{v:+.4f}"),
            "95% CI": [f"[{a:+.4f}, {b:+.4f}]" for a, b in zip(comp["ci_low"], comp["ci_high"])],
            "p": comp["p"].map(lambda v: f"{v:.3g}"),
            "p (t)": comp["p_ttest"].map(lambda v: f"{v:.3g}"),
            "p (W)": comp["p_wilcoxon"].map(lambda v: f"{v:.3g}"),
            "augmented better": [f"{w}/{n} seeds" for w, n in zip(comp["better"], comp["n_seeds"])],
        }
    )
    parts.append(_table(shown))
    parts.append(_img(plots["utility"], "utility differences per seed"))
    verdict = util.get("verdict")
    if verdict:
        parts.append(f"<p class='note'>{html.escape(verdict)}</p>")
    if data.get("tstr"):
        parts.append("<h3>Train on synthetic, test on real (TSTR)</h3>")
        parts.append(
            "<p class='muted'>A model trained on the synthetic rows only (with their weights) against one trained "
            f"on the real rows they were generated from, over {_count(cfg['seeds'])} model seeds, "
            "on the same real test rows.</p>"
        )
        parts.append(_table(pd.DataFrame(data["tstr"])))
    parts.extend(_decisions(data.get("decisions") or {}, cfg.get("strategy_params") or {}))
    # ---- hardness
    hard = data["hardness"]
    parts.append("<h2>Where the generator was fitted: hardness and selection</h2>")
    if not hard["selected_rows"]:
        parts.append("<p>No generator was fitted: the strategy adds no synthetic rows.</p>")
    else:
        parts.append(
            f"<p>{hard['selected_rows']:,} of {hard['training_rows']:,} training rows selected "
            f"({hard['selected_positive_share']:.0%} {rare} against {ds['positive_rate']:.0%} overall); "
            f"{hard['synthetic_rows']:,} synthetic rows generated.</p>"
        )
    if "hardness" in plots:
        parts.append(_img(plots["hardness"], "hardness histogram"))
    elif hard["selected_rows"]:
        parts.append(
            "<p class='muted'>The selector does not use hardness scores, so none were computed; the generator was "
            "fitted on the selected rows above.</p>"
        )
    note = (data.get("decisions") or {}).get("note")
    if data.get("fidelity") is None:
        parts.append(
            f"<h2>Fidelity, privacy and validity</h2><p class='note'>{html.escape(note or 'No synthetic rows.')}</p>"
        )
        parts.append(f"<p class='muted'>Command: <code>{html.escape(cfg.get('command') or '(Python API)')}</code></p>")
        parts.append("</body></html>")
        return "\n".join(parts)
    # ---- fidelity
    fid = data["fidelity"]
    s = fid["summary"]
    parts.append("<h2>Fidelity: synthetic rows against the rows the generator was fitted on</h2><div class='cards'>")
    parts.append(_card("column shapes (KS/TV complement)", f"{s['column_shapes']:.3f}"))
    parts.append(_card("column pairs (correlation/contingency)", f"{s['column_pairs']:.3f}"))
    if "detection_auc" in s:
        cls = "good" if s["detection_auc"] < 0.7 else "bad"
        parts.append(_card("detection AUC (0.5 = indistinguishable)", f"{s['detection_auc']:.3f}", cls))
    parts.append(_card("mean normalised Wasserstein", f"{s['wasserstein_mean']:.4f}"))
    parts.append("</div><h3>Marginals, real vs synthetic</h3><div class='grid'>")
    for col, b64 in plots["marginals"].items():
        parts.append(_img(b64, f"marginal {col}"))
    parts.append("</div><h3>Column pairs</h3>")
    parts.append(_img(plots["pairs"], "correlation difference heatmap"))
    parts.append("<details><summary>Per-column scores</summary>" + _table(pd.DataFrame(fid["shapes"])) + "</details>")
    parts.append(
        "<details><summary>Data mismatch (DM)</summary>" + _table(pd.DataFrame(fid["mismatch"])) + "</details>"
    )
    parts.append("<details><summary>Per-pair scores</summary>" + _table(pd.DataFrame(fid["pairs"])) + "</details>")
    # ---- privacy
    pv = data["privacy"]["summary"]
    parts.append("<h2>Privacy</h2><div class='cards'>")
    parts.append(
        _card(
            "new rows (not copies)",
            f"{pv['new_row_synthesis']:.1%}",
            "good" if pv["new_row_synthesis"] > 0.99 else "bad",
        )
    )
    parts.append(_card("median distance to closest training row", f"{pv['dcr_train_median']:.3f}"))
    if "closer_to_train_share" in pv:
        cls = "good" if pv["closer_to_train_share"] < 0.55 else "bad"
        parts.append(
            _card("closer to training than holdout (0.5 = no leak)", f"{pv['closer_to_train_share']:.3f}", cls)
        )
        cls = "good" if pv["membership_attack_auc"] < 0.55 else "bad"
        parts.append(_card("membership attack AUC (0.5 = no leak)", f"{pv['membership_attack_auc']:.3f}", cls))
    parts.append(_card("median NNDR", f"{pv['nndr_median']:.3f}"))
    parts.append("</div>")
    dlt = data["privacy"].get("data_leakage_test")
    if dlt:
        parts.append(
            "<h3>Data Leakage Test</h3><p>Perplexity (exp of the mean token cross-entropy, natural log) under "
            "the generator. DLT = PPL(training rows) - PPL(synthetic rows); training rows much more likely "
            "than fresh real rows (holdout) point to memorisation.</p><div class='cards'>"
        )
        parts.append(_card("PPL training rows", f"{dlt['ppl_train']:.3f}"))
        parts.append(_card("PPL synthetic rows", f"{dlt['ppl_synthetic']:.3f}"))
        if "ppl_holdout" in dlt:
            gap = dlt["holdout_minus_train"]
            parts.append(_card("PPL holdout rows", f"{dlt['ppl_holdout']:.3f}"))
            cls = "good" if gap < 0.1 * dlt["ppl_train"] else "bad"
            parts.append(_card("holdout - training PPL (0 = no memorisation)", f"{gap:.3f}", cls))
        parts.append(_card("DLT", f"{dlt['dlt']:.3f}"))
        parts.append("</div>")
    parts.append(_img(plots["dcr"], "distance to closest record"))
    parts.append(_table(pd.DataFrame([{"measure": k, "value": v} for k, v in pv.items()]), floatfmt="{:.4g}"))
    # ---- LLM effectiveness
    lle = data.get("lle")
    if lle:
        syn, real = lle["synthetic"], lle["real"]
        parts.append(
            f"<h2>LLM Effectiveness</h2><p>{html.escape(lle['model'])} fine-tuned as a classifier on "
            f"{syn['n_train']:,} synthetic rows and on {real['n_train']:,} real rows, scored on {syn['n_test']:,} "
            "real test rows.</p><div class='cards'>"
        )
        parts.append(_card("ROC-AUC, trained on synthetic", f"{syn['roc_auc']:.4f}"))
        parts.append(_card("ROC-AUC, trained on real", f"{real['roc_auc']:.4f}"))
        parts.append("</div>")
    # ---- validity
    val = data["validity"]
    parts.append("<h2>Validity</h2>")
    parts.append(
        f"<p>{val['valid_rows']:,} of {val['rows']:,} synthetic rows ({val['valid_share']:.1%}) satisfy every rule "
        f"learned from the training rows{' and every user rule' if val.get('user_rules') else ''}; "
        f"{val['rows'] - val['valid_rows']:,} would be dropped by the filter.</p>"
    )
    rules = pd.DataFrame(val["rules"])
    broken = rules[rules.violations > 0]
    parts.append("<h3>Rules with violations</h3>" + (_table(broken) if len(broken) else "<p>None.</p>"))
    parts.append(f"<details><summary>All {len(rules)} rules</summary>" + _table(rules) + "</details>")
    parts.append(f"<p class='muted'>Command: <code>{html.escape(cfg.get('command') or '(Python API)')}</code></p>")
    parts.append("</body></html>")
    return "\n".join(parts)
