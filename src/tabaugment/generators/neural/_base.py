"""Common base of the torch generators: transformer, seeds, threads, device, persistence."""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np

from tabaugment._random import derive_seed
from tabaugment.exceptions import DataError
from tabaugment.generators.base import BaseGenerator, allocate
from tabaugment.generators.neural._torch import load_state_arrays, resolve_device, state_arrays, torch_module
from tabaugment.generators.neural._transform import TableTransformer
from tabaugment.params import BOOL, NONE, RANDOM_STATE, Constraints, InstanceOf, Interval, positive

__all__ = ["NeuralGenerator"]


class NeuralGenerator(BaseGenerator):
    """Shared machinery; subclasses build ``self.modules_`` (a dict of torch modules) in
    ``_train`` and turn noise into transformed rows in ``_generate``."""

    min_rows: ClassVar[int] = 20
    _modules: ClassVar[tuple[str, ...]] = ()
    uses_transformer: ClassVar[bool] = True
    _parameter_constraints: ClassVar[Constraints] = {
        "epochs": [positive(numbers.Integral)],
        "batch_size": [NONE, Interval(numbers.Integral, 2, None)],
        "early_stopping": [BOOL],
        "patience": [positive(numbers.Integral)],
        "check_every": [positive(numbers.Integral)],
        "device": [InstanceOf(str, what="a device name ('auto', 'cpu', 'cuda', ...)")],
        "n_threads": [positive(numbers.Integral)],
        "random_state": RANDOM_STATE,
        "progress": [BOOL],
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"epochs": 1}

    @contextlib.contextmanager
    def _threads(self) -> Iterator[Any]:
        torch = torch_module()
        old = torch.get_num_threads()
        torch.set_num_threads(int(self.n_threads))
        try:
            yield torch
        finally:
            torch.set_num_threads(old)

    def _seed(self) -> int:
        return derive_seed(self.random_state if self.random_state is not None else self._rng_)

    def _fit(self, num: np.ndarray, codes: np.ndarray) -> None:
        n = len(num) if num.shape[1] else len(codes)
        if n < self.min_rows:
            raise DataError(
                f"{type(self).__name__} needs at least {self.min_rows} rows to fit; got {n}. For smaller "
                "selections use gaussian_copula, smote or random_oversampling, or select more rows."
            )
        t = self.target_index
        if t is None:
            raise DataError(f"{type(self).__name__} samples labelled rows; fit it with target=<label column>.")
        seed = self._seed()
        n_cats = [len(self.spec_.categories[c]) for c in self.spec_.categorical]
        import time

        t0 = time.perf_counter()
        if self.uses_transformer:
            self.transformer_ = TableTransformer(random_state=seed, **self._transformer_options()).fit(
                num, codes, n_cats
            )
        self.preprocess_seconds_ = time.perf_counter() - t0  # the transform of the rows is timed in _train
        labels = codes[:, t]
        self.class_counts_ = np.bincount(labels[labels >= 0], minlength=n_cats[t]).astype(np.int64)
        self.device_ = resolve_device(self.device)
        with self._threads():
            self._train(num, codes, seed)

    def _transformer_options(self) -> dict[str, Any]:
        """Options of the :class:`TableTransformer` a subclass needs beyond the defaults."""
        return {}

    def _has_rows(self, column: int, code: int) -> bool:
        if column == self.target_index:
            return bool(self.class_counts_[code] > 0)
        return True

    def _class_plan(self, n: int, conditions: dict[int, int]) -> dict[int, int]:
        """Rows per class code: all ``n`` of a conditioned class, else the training proportions."""
        t = self.target_index
        if t in conditions:
            return {conditions[t]: n}
        return {c: int(k) for c, k in enumerate(allocate(n, self.class_counts_)) if k > 0}

    def _sample(self, n: int, conditions: dict[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        t = self.label_index
        plan = self._class_plan(n, conditions)
        nums, cods = [], []
        with self._threads():
            for code, k in plan.items():
                conds = {**conditions, t: code}
                num, cod = self._generate_rows(k, conds, rng)
                for j, c in conds.items():
                    cod[:, j] = c  # exact: the conditioned columns are set, never rejected
                nums.append(num)
                cods.append(cod)
        num, cod = np.concatenate(nums), np.concatenate(cods)
        if len(plan) > 1:
            perm = rng.permutation(len(num))
            num, cod = num[perm], cod[perm]
        return num, cod

    def _generate_rows(
        self, n: int, conditions: dict[int, int], rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(num, codes)`` of ``n`` new rows; by default the transformer inverts ``_generate``."""
        return self.transformer_.inverse(self._generate(n, conditions, rng), rng)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        tf_state: Any = None
        arrays: dict[str, np.ndarray] = {}
        if self.uses_transformer:
            tf_state, arrays = self.transformer_.get_state()
        for name in self._modules:
            arrays.update(state_arrays(name, self.modules_[name]))
        arrays["class_counts"] = self.class_counts_
        return {"transformer": tf_state, "history": self.history_, **self._extra_state()}, arrays

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        if self.uses_transformer:
            self.transformer_ = TableTransformer.from_state(state["transformer"], arrays)
        self.class_counts_ = arrays["class_counts"]
        self.history_ = state["history"]
        self.device_ = resolve_device(self.device)
        self._load_extra_state(state)
        self._check_shapes(arrays)  # before anything the file's parameters size is allocated
        self.modules_ = self._build_modules(self._seed())
        for name in self._modules:
            load_state_arrays(name, self.modules_[name], arrays)
            self.modules_[name].to(self.device_).eval()

    def _check_shapes(self, arrays: dict[str, np.ndarray]) -> None:
        """The networks the saved parameters describe, built without memory (torch's meta
        device), must have exactly the shapes of the saved weights; a tampered or mismatched
        file is refused here instead of allocating what its parameters ask for."""
        from tabaugment.exceptions import ModelFileError

        torch = torch_module()
        with torch.device("meta"):
            shapes = self._build_modules(self._seed())
        for name in self._modules:
            # a scalar buffer comes back from safetensors as one value: () and (1,) are the same
            expected = {f"{name}/{k}": tuple(v.shape) or (1,) for k, v in shapes[name].state_dict().items()}
            given = {k: tuple(v.shape) or (1,) for k, v in arrays.items() if k.startswith(name + "/")}
            if expected != given:
                wrong = sorted(set(expected) ^ set(given)) or [k for k in expected if expected[k] != given[k]]
                key = wrong[0]
                raise ModelFileError(
                    f"The saved weights do not match the saved parameters of this {type(self).__name__}: {key!r} "
                    f"should be {expected.get(key, 'absent')}, the weights file has {given.get(key, 'nothing')}. "
                    "The file was changed or damaged; save the generator again."
                )

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        pass

    def _torch_generator(self, rng: np.random.Generator) -> Any:
        torch = torch_module()
        return torch.Generator(device="cpu").manual_seed(int(rng.integers(0, 2**62)))

    def _batch(self, n: int, multiple: int = 1) -> int:
        size = self.batch_size or int(np.clip(2 ** np.floor(np.log2(max(n // 4, 16))), 16, 500))
        size = min(max(size, 2 * multiple), n)
        return max(multiple, size - size % multiple)

    def _holdout(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        idx = rng.permutation(n)
        if not self.early_stopping or n < 5 * self.min_rows:
            return idx, idx[:0]
        cut = max(1, int(0.1 * n))
        return idx[cut:], idx[:cut]

    def _fidelity_monitor(self, num: np.ndarray, codes: np.ndarray, hold_idx: np.ndarray, seed: int) -> Any:
        """A check of generated rows against the held-out rows (``None`` without held-out rows)."""
        if not len(hold_idx):
            return None
        return HeldOutFidelity(self, num[hold_idx], codes[hold_idx], seed)

    def _held_out_check(self, monitor: HeldOutFidelity | None, modules: dict[str, Any], epoch: int) -> float | None:
        """The monitor's distance after every ``check_every``-th epoch; ``None`` after the others
        and without a monitor."""
        if monitor is None or (epoch + 1) % self.check_every:
            return None
        return monitor.distance(modules)


class HeldOutFidelity:
    """How far rows the model generates now are from rows it never trained on.

    Every check samples the same number of rows with the same seed (so two checks differ only
    by the weights) and bins each number at the held-out rows' deciles (missing values in a bin
    of their own). The distance adds two terms:

    - fidelity: ``(mean over columns of the marginal total variation distance + mean over
      column pairs of the joint one) / 2``, 0 when the binned marginals and pairs match, 1 when
      they never overlap (the complement of SDMetrics' column-shapes and column-pairs scores,
      on bins);
    - utility: ``1 - ROC-AUC`` on the held-out rows of a logistic regression trained on the
      generated rows (one-hot bins; macro one-vs-rest over the classes), which measures how
      much of the label's dependence on the features the rows carry.

    A held-out training loss keeps falling long after the rows stop improving, so patience
    over it never stops training; each term here levels off. The utility term is there because
    rows can match column by column and pair by pair while carrying little of the label's
    dependence on the features (``benchmarks/neural_training.py`` measures what stopping costs).
    """

    n_bins = 10
    max_pairs = 120

    def __init__(self, model: NeuralGenerator, num: np.ndarray, codes: np.ndarray, seed: int) -> None:
        self.model, self.seed = model, seed
        self.n_rows = int(min(max(2 * len(num), 2000), 5000))
        self.edges = [np.unique(np.nanquantile(c, np.linspace(0, 1, self.n_bins + 1)[1:-1])) if np.isfinite(c).any()
                      else np.zeros(0) for c in num.T]  # fmt: skip
        self.levels = [len(e) + 2 for e in self.edges]  # bins, plus one for missing
        self.levels += [len(model.spec_.categories[c]) + 1 for c in model.spec_.categorical]  # codes, plus missing
        d = len(self.levels)
        pairs = [(a, b) for a in range(d) for b in range(a + 1, d)]
        if len(pairs) > self.max_pairs:
            pick = np.random.default_rng(seed).choice(len(pairs), self.max_pairs, replace=False)
            pairs = [pairs[i] for i in sorted(pick)]
        self.pairs = pairs
        self.real_binned = self._bin(num, codes)
        self.real = self._hist(self.real_binned)
        self.label_col = len(self.edges) + model.label_index
        self.features = [j for j in range(d) if j != self.label_col]
        self.offsets = np.cumsum([0] + [self.levels[j] for j in self.features])
        self.real_one_hot = self._one_hot(self.real_binned)

    def _bin(self, num: np.ndarray, codes: np.ndarray) -> np.ndarray:
        cols = [np.where(np.isnan(c), len(e) + 1, np.searchsorted(e, np.nan_to_num(c), side="right"))
                for c, e in zip(num.T, self.edges)]  # fmt: skip
        cols += [np.where(c < 0, k - 1, c) for c, k in zip(codes.T, self.levels[len(self.edges) :])]
        return np.stack(cols, axis=1).astype(np.int64) if cols else np.zeros((len(codes), 0), dtype=np.int64)

    def _hist(self, binned: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        n = max(len(binned), 1)
        marg = [np.bincount(binned[:, j], minlength=k) / n for j, k in enumerate(self.levels)]
        joint = [np.bincount(binned[:, a] * self.levels[b] + binned[:, b], minlength=self.levels[a] * self.levels[b]) / n
                 for a, b in self.pairs]  # fmt: skip
        return marg, joint

    def distance(self, modules: dict[str, Any]) -> float:
        """Sample with ``modules`` in evaluation mode and score; training mode is restored."""
        model = self.model
        modes = {k: m.training for k, m in modules.items()}
        before = getattr(model, "modules_", None)
        model.modules_ = modules
        for m in modules.values():
            m.eval()
        try:
            num, codes = model._sample(self.n_rows, {}, np.random.default_rng(self.seed))
        finally:
            for k, m in modules.items():
                m.train(modes[k])
            if before is None:
                del model.modules_
            else:
                model.modules_ = before
        binned = self._bin(num, codes)
        return self.fidelity(binned) + 1.0 - self.utility(binned)

    def fidelity(self, binned: np.ndarray) -> float:
        """Binned marginal and pairwise distance of ``binned`` rows to the held-out rows."""
        marg, joint = self._hist(binned)
        tvd = [0.5 * np.abs(a - b).sum() for a, b in zip(marg, self.real[0])]
        pair_tvd = [0.5 * np.abs(a - b).sum() for a, b in zip(joint, self.real[1])]
        return float((np.mean(tvd) + (np.mean(pair_tvd) if pair_tvd else np.mean(tvd))) / 2)

    def utility(self, binned: np.ndarray) -> float:
        """Held-out macro one-vs-rest ROC-AUC of a logistic regression fitted on ``binned`` rows
        (0.5 when it cannot be fitted: no features, or one class among the generated rows)."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import roc_auc_score

        y_syn, y_real = binned[:, self.label_col], self.real_binned[:, self.label_col]
        classes = np.unique(y_syn)
        if not self.features or len(classes) < 2:
            return 0.5
        clf = LogisticRegression(max_iter=300).fit(self._one_hot(binned), y_syn)
        proba = clf.predict_proba(self.real_one_hot)
        scores = []
        for c in np.unique(y_real):
            hit = y_real == c
            if hit.all():
                continue
            column = proba[:, int(np.searchsorted(classes, c))] if c in classes else np.zeros(len(y_real))
            scores.append(roc_auc_score(hit, column))
        if len(scores) == 2:  # binary: both one-vs-rest AUCs are the same number
            scores = scores[1:]
        return float(np.mean(scores)) if scores else 0.5

    def _one_hot(self, binned: np.ndarray) -> Any:
        from scipy import sparse

        cols = binned[:, self.features] + self.offsets[:-1]
        rows = np.repeat(np.arange(len(binned)), len(self.features))
        data = np.ones(cols.size)
        return sparse.csr_matrix((data, (rows, cols.ravel())), shape=(len(binned), int(self.offsets[-1])))
