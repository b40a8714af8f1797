"""Write the grid specs of the reproductions (benchmarks/*.toml) from one place.

Run: python benchmarks/make_specs.py   (the TOML files are committed; this script documents how
they were made and keeps the strategy names consistent).
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent


#: The selections of the targeting experiment: name -> (selector, its parameters, Augmenter options).
TARGETING_SELECTORS: dict[str, tuple[str, dict, dict]] = {
    "all": ("all", {}, {}),
    "hardest": ("hardest", {"fraction": 0.2}, {}),
    "per_class": ("hardest_per_class", {"fraction": 0.2}, {}),
    "per_class_fit_all": ("hardest_per_class", {"fraction": 0.2}, {"fit_on": "all"}),
    "ambiguous": ("ambiguous", {"lower": 0.5, "upper": 0.9}, {}),
    "denoised": ("hardest_denoised", {"fraction": 0.2, "noise": 0.05}, {}),
    "denoised_drop": ("hardest_denoised", {"fraction": 0.2, "noise": 0.05, "drop_noise": True}, {}),
    "neighbourhood": ("hard_neighbourhood", {"fraction": 0.05, "n_neighbors": 5}, {}),
    "mix": ("hard_mix", {"fraction": 0.1, "targeted_share": 0.5}, {}),
}


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return repr(v)


def write(name: str, header: str, experiment: dict, datasets: list[dict], strategies: list[dict]) -> None:
    lines = [f"# {line}".rstrip() for line in header.strip().splitlines()]
    lines += ["", "[experiment]"] + [f"{k} = {_toml_value(v)}" for k, v in experiment.items()]
    for ds in datasets:
        lines += ["", "[[datasets]]"] + [f"{k} = {_toml_value(v)}" for k, v in ds.items()]
    for st in strategies:
        lines += ["", "[[strategies]]"] + [f"{k} = {_toml_value(v)}" for k, v in st.items()]
    (HERE / f"{name}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def targeting() -> None:
    """Issue 8: which selection makes targeting work; every selector x generator at one budget."""
    selectors = TARGETING_SELECTORS
    generators = {
        "copula": ("gaussian_copula", {}, list(selectors)),
        "smote": ("smote", {}, list(selectors)),
        "arf": ("arf", {}, list(selectors)),
        "tvae": ("tvae", {"epochs": 50}, ["all", "hardest", "per_class", "per_class_fit_all", "mix"]),
    }
    strategies = []
    for gname, (gen, gparams, sel_names) in generators.items():
        for sname in sel_names:
            selector, sparams, extra = selectors[sname]
            st = {"name": f"{sname}+{gname}", "hardness": "knn_shapley", "selector": selector}
            if sparams:
                st["selector_params"] = sparams
            st["generator"] = gen
            if gparams:
                st["generator_params"] = gparams
            st.update(extra)
            st["budget"] = [1.0, 0.2]
            if sname != "all":
                st["compare_to"] = f"all+{gname}"
            strategies.append(st)
    write(
        "targeting",
        """
Issue 8: does targeting beat non-targeted augmentation at an equal budget, and which selection?
Every selector x generator, synthetic rows = 100% and 20% of the training rows (one fitted
generator per seed, sampled at both budgets), hardness = exact
KNN-Shapley (K = 10) against the validation split, LightGBM, 10 seeds, 500 and 2,000 training
rows. Each targeted strategy is compared with the same generator on all rows (compare_to) and
with no augmentation (baseline), Holm-corrected within each dataset x size.
Made by: python benchmarks/make_specs.py
Run: tabaugment run benchmarks/targeting.toml --out benchmarks/results/targeting --n-jobs 2
""",
        {"name": "targeting", "seeds": 10, "models": ["lightgbm"]},
        [
            # german_credit has 1,000 rows: 600 remain after the test and validation splits
            {"name": name, "train_size": [500] if name == "german_credit" else [500, 2000]}
            for name in ("adult", "bank_marketing", "german_credit", "churn_modelling", "give_me_some_credit")
        ],
        strategies,
    )


def targeted_vs_not() -> None:
    """Issue 6: the targeted-augmentation paper's equal-budget comparison."""
    allocations = {"hard5": 0.05, "hard10": 0.10, "hard20": 0.20}
    strategies = []
    for gen in ("tvae", "ctgan"):
        for hardness in ("knn_shapley", "data_iq"):
            for aname, frac in allocations.items():
                strategies.append(
                    {
                        "name": f"{aname}_{'shapley' if hardness == 'knn_shapley' else 'dataiq'}+{gen}",
                        "hardness": hardness,
                        "selector": "hardest",
                        "selector_params": {"fraction": frac},
                        "generator": gen,
                        "generator_params": {"epochs": 50},
                        "budget": 0.1,
                        "compare_to": f"all+{gen}",
                    }
                )
        strategies.append(
            {
                "name": f"all+{gen}",
                "hardness": "random",
                "selector": "all",
                "generator": gen,
                "generator_params": {"epochs": 50},
                "budget": 0.1,
            }
        )
    write(
        "targeted_vs_not",
        """
Issue 6: targeted vs non-targeted synthetic data at an equal budget (Ferracci et al.): 10% of the
training rows spent as hardest 5% x 200%, hardest 10% x 100%, hardest 20% x 50% or all rows x 10%;
TVAE and CTGAN (50 epochs); hardness by exact KNN-Shapley and by Data-IQ; LightGBM and XGBoost;
judged by Gini and the American Express weighted Gini on a separate test split; 5 seeds.
Training rows are capped at 3,000 per dataset (CPU budget; see the results README).
Made by: python benchmarks/make_specs.py
Run: tabaugment run benchmarks/targeted_vs_not.toml --out benchmarks/results/targeted_vs_not --n-jobs 2
""",
        {"name": "targeted-vs-not", "seeds": 5, "models": ["lightgbm", "xgboost"]},
        [
            {"name": name, "train_size": ["full"] if name == "german_credit" else [3000]}
            for name in ("adult", "bank_marketing", "give_me_some_credit", "german_credit")
        ],
        strategies,
    )


def imbalance() -> None:
    """Issue 6: minority oversampling with every generator (Nakada et al.), with the budget curve."""
    gens = {
        "duplicate": ("random_oversampling", {}),
        "smote": ("smote", {}),
        "copula": ("gaussian_copula", {}),
        "arf": ("arf", {}),
        "tvae": ("tvae", {"epochs": 50}),
        "ctgan": ("ctgan", {"epochs": 50}),
        "diffusion": ("diffusion", {"epochs": 50}),
    }
    strategies = []
    for gname, (gen, params) in gens.items():
        st = {"name": f"minority+{gname}", "hardness": "random", "selector": "minority", "generator": gen}
        if params:
            st["generator_params"] = params
        st["budget"] = ["0.5x", "1x", "2x", "4x"]
        if gname != "smote":
            st["compare_to"] = "minority+smote"
        strategies.append(st)
    write(
        "imbalance",
        """
Issue 6: minority oversampling (Nakada et al.): every generator fitted on the minority class only,
synthetic minority rows = 0.5, 1, 2 and 4 times the minority rows (one fitted generator per
seed, sampled at each budget), against SMOTE (compare_to) and no resampling (baseline);
LightGBM; 5 seeds; 3,000 training rows.
Made by: python benchmarks/make_specs.py
Run: tabaugment run benchmarks/imbalance.toml --out benchmarks/results/imbalance --n-jobs 2
""",
        {"name": "imbalance", "seeds": 5, "models": ["lightgbm"]},
        [{"name": name, "train_size": [3000]} for name in ("bank_marketing", "give_me_some_credit")],
        strategies,
    )


def utility() -> None:
    """Issue 20: auto (the default) and each of its candidates against no augmentation, on seven
    tables from 100 to 2,000 training rows, with three models."""
    from tabaugment import _defaults

    # ARF rows curated by Data-IQ: a candidate of an earlier auto, kept as evidence
    arf = {
        "name": "arf_curated_teacher",
        "generator": "arf",
        "budget": 1.0,
        "curate": "data_iq",
        "teacher": "soft",
        "synthetic_weight": 0.5,
    }
    strategies: list[dict] = [{"name": "auto"}]
    for cand in [*_defaults.AUTO_CANDIDATES, arf]:
        st = {k: ("none" if v is None else v) for k, v in cand.items()}
        if st["name"] != "self_distillation":
            st["compare_to"] = "self_distillation"  # synthetic rows beyond what the teacher gives
        strategies.append(st)
    big = [100, 250, 500, 1000, 2000]
    datasets = [{"name": n, "train_size": big} for n in ("adult", "bank_marketing", "buddy", "churn_modelling")]
    datasets += [
        {"name": "give_me_some_credit", "train_size": big},
        {"name": "german_credit", "train_size": [100, 250, 500]},
        {"name": "diabetes", "train_size": [100, 250]},
    ]
    write(
        "utility",
        """
Issue 20: does augmentation help, and does auto know when? auto (the default: its candidates
against no augmentation by repeated 5-fold cross-validation on the training rows, one-sided
corrected t-test, candidates in a fixed sequence) and each candidate run explicitly (and ARF
rows curated by Data-IQ), against no augmentation on the real test rows; the synthetic
candidates are also compared with self-distillation (compare_to): what synthetic rows add
beyond the teacher's labels. Seven tables, 100 to 2,000 training rows
(as many as each table's training pool allows), LightGBM, a regularised LightGBM and logistic
regression (auto judges with the model it serves), 10 seeds. The explicit cells measure each
candidate's true effect; auto's verdicts on them give its false-positive rate
(benchmarks/utility_analysis.py).
Made by: python benchmarks/make_specs.py
Run: tabaugment run benchmarks/utility.toml --out benchmarks/results/utility --n-jobs 2
""",
        {"name": "utility", "seeds": 10, "models": ["lightgbm", "lightgbm_small", "logistic_regression"]},
        datasets,
        strategies,
    )


if __name__ == "__main__":
    targeting()
    targeted_vs_not()
    imbalance()
    utility()
