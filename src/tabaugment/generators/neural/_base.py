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
            self.transformer_ = TableTransformer(random_state=seed).fit(num, codes, n_cats)
        self.preprocess_seconds_ = time.perf_counter() - t0  # the transform of the rows is timed in _train
        labels = codes[:, t]
        self.class_counts_ = np.bincount(labels[labels >= 0], minlength=n_cats[t]).astype(np.int64)
        self.device_ = resolve_device(self.device)
        with self._threads():
            self._train(num, codes, seed)

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
