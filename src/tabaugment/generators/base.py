"""The generator interface: fit on a table, sample labelled rows, save as safetensors + JSON.

Contract (checked for every registered generator by :mod:`tabaugment.testing`):

- ``fit(table, target=None) -> self``; ``table`` includes the label column named ``target``.
- ``sample(n_samples, *, conditions=None, random_state=None)`` returns a DataFrame with
  exactly the fitted columns, dtypes and category domains. ``conditions={target: label}``
  returns only rows of that label, by construction (no rejection loop). Conditions on other
  categorical columns are honoured by construction where the generator declares
  ``conditionable = "categorical"``; those it cannot honour natively, and ranges of numerical
  columns (``{"age": (18, 30)}``), are met exactly by drawing more rows and keeping those that
  satisfy them, within a fixed budget of draws, or fail with a clear error.
- The same ``random_state`` gives the same rows, also after ``save``/``load``.
- ``save(path)`` writes a folder with ``config.json`` and ``arrays.safetensors``; never pickle.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from tabaugment._random import RandomState, check_random_state
from tabaugment._version import __version__
from tabaugment.data.splits import check_not_test
from tabaugment.exceptions import (
    DataError,
    MissingDependencyError,
    ModelFileError,
    NotFittedError,
    ParameterError,
    TabAugmentError,
)
from tabaugment.generators._table import TableSpec
from tabaugment.params import ParamsMixin

__all__ = ["FORMAT_VERSION", "BaseGenerator", "load_generator"]

#: Version of the on-disk format; files with a higher number are refused.
FORMAT_VERSION = 1
#: The largest generator config file read (the weights live in the safetensors file).
MAX_CONFIG_BYTES = 64 * 2**20
#: Conditions met by keeping the rows that satisfy them draw at most this many rows per row asked
#: for (and at least ``_MIN_DRAWS``) before giving up with an error.
_DRAWS_PER_ROW = 50
_MIN_DRAWS = 2_000
_CONFIG = "config.json"
_ARRAYS = "arrays.safetensors"


class BaseGenerator(ParamsMixin, BaseEstimator):
    """Base class of generators.

    Subclasses declare ``_parameter_constraints`` and implement ``_fit(num, codes)``, ``_sample(n, conditions, rng) -> (num, codes)``
    and ``_get_state() -> (json_state, arrays)`` / ``_set_state(json_state, arrays)``, and
    list in ``conditionable`` which columns ``conditions`` may name (``"target"`` stands for
    the fitted target column, ``"categorical"`` for every categorical column).
    """

    name: ClassVar[str] = "generator"
    conditionable: ClassVar[str] = "target"
    #: Fewest rows per class the generator can be fitted on.
    min_rows_per_class: ClassVar[int] = 1
    #: Whether every row it makes is a copy of a fitted row (the privacy filter refuses it).
    copies_rows: ClassVar[bool] = False

    # ------------------------------------------------------------------ fit
    def fit(self, table: Any, target: str | None = None) -> BaseGenerator:
        """Fit on ``table`` (a DataFrame including the label column ``target``)."""
        from tabaugment.data.io import to_pandas

        check_not_test(table, f"{type(self).__name__}.fit")
        frame = to_pandas(table) if not isinstance(table, pd.DataFrame) else table
        self._validate_params()
        spec = TableSpec.from_frame(frame, target)
        num, codes = spec.encode(frame)
        self.spec_ = spec
        self._rng_ = check_random_state(getattr(self, "random_state", None))
        self._fit(num, codes)
        self.n_rows_fitted_ = len(frame)
        return self

    # ------------------------------------------------------------------ sample
    def sample(
        self,
        n_samples: int,
        *,
        conditions: dict[str, Any] | None = None,
        random_state: RandomState = None,
    ) -> pd.DataFrame:
        """``n_samples`` new rows, all satisfying ``conditions``.

        ``conditions`` maps a categorical column (the label or any other) to one of its values,
        and a numerical column to an inclusive range ``(low, high)`` (``None`` for an open end;
        dates for a date column), e.g. ``{"label": "bad", "city": "Oslo", "age": (18, 30)}``.
        The label, and other categories where the generator's ``conditionable`` is
        ``"categorical"``, are honoured by construction; the rest by keeping the drawn rows that
        satisfy them, drawing at most 50 rows per row asked for (at least 2,000) before a
        :class:`~tabaugment.exceptions.DataError` says how many it found.

        Without ``random_state``, draws continue the generator's own stream (seeded by its
        ``random_state`` parameter at fit), so repeated calls give new rows.
        """
        self._check_fitted()
        if not isinstance(n_samples, (int, np.integer)) or isinstance(n_samples, bool) or n_samples < 0:
            raise ParameterError(f"n_samples must be an int >= 0. Got {n_samples!r} instead.")
        rng = self._rng_ if random_state is None else check_random_state(random_state)
        cond_codes, kept_codes, ranges = self._check_conditions(conditions or {})
        if n_samples == 0:
            return self.spec_.decode(
                np.empty((0, len(self.spec_.numerical))), np.empty((0, len(self.spec_.categorical)), dtype=np.int64)
            )
        if kept_codes or ranges:
            num, codes = self._sample_satisfying(int(n_samples), cond_codes, kept_codes, ranges, rng, conditions)
        else:
            num, codes = self._sample(int(n_samples), cond_codes, rng)
        for j, code in cond_codes.items():  # exact by construction; assert it stays so
            if not np.all(codes[:, j] == code):
                raise AssertionError(f"{type(self).__name__} broke the condition on column {j}.")
        return self.spec_.decode(num, codes)

    def _sample_satisfying(
        self,
        n: int,
        native: dict[int, int],
        codes_wanted: dict[int, int],
        ranges: dict[int, tuple[float, float]],
        rng: np.random.Generator,
        conditions: Any,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw batches (with the native conditions) and keep the rows meeting the others."""
        limit = max(_MIN_DRAWS, _DRAWS_PER_ROW * n)
        kept: list[tuple[np.ndarray, np.ndarray]] = []
        have = drawn = 0
        batch = n
        while have < n and drawn < limit:
            num, codes = self._sample(batch, native, rng)
            drawn += batch
            ok = np.ones(len(codes), dtype=bool)
            for j, code in codes_wanted.items():
                ok &= codes[:, j] == code
            if ranges:
                finished = self.spec_.finish_numbers(num)
                for k, (lo, hi) in ranges.items():
                    ok &= (finished[:, k] >= lo) & (finished[:, k] <= hi)  # NaN (missing) fails both
            kept.append((num[ok], codes[ok]))
            have += int(ok.sum())
            rate = max(have / drawn, 1.0 / limit)
            # what the acceptance so far predicts, but at most 4x the rows drawn so far (a first
            # batch that happened to keep nothing must not spend the whole budget at once)
            batch = int(min(limit - drawn, 4 * drawn, max(64, np.ceil(1.2 * (n - have) / rate))))
        if have < n:
            raise DataError(
                f"{type(self).__name__} made {have:,} of the {n:,} rows asked for with conditions {conditions!r} "
                f"in {drawn:,} draws ({have / drawn:.2%} of its rows satisfy them). Ask for fewer rows, widen the "
                "ranges, or fit the generator on rows that satisfy the conditions."
            )
        num = np.concatenate([k[0] for k in kept])[:n]
        codes = np.concatenate([k[1] for k in kept])[:n]
        return num, codes

    def _check_conditions(
        self, conditions: dict[str, Any]
    ) -> tuple[dict[int, int], dict[int, int], dict[int, tuple[float, float]]]:
        """``(native, kept, ranges)``: category codes the generator honours by construction, codes
        met by keeping satisfying rows, and numerical ranges, by column position."""
        if not isinstance(conditions, dict):
            raise ParameterError(f"conditions must be a dict {{column: value}}. Got {type(conditions).__name__}.")
        spec = self.spec_
        native: dict[int, int] = {}
        kept: dict[int, int] = {}
        ranges: dict[int, tuple[float, float]] = {}
        for col, value in conditions.items():
            if col in spec.numerical:
                ranges[spec.numerical.index(col)] = spec.range_of(col, value)
                continue
            code = spec.code_of(col, value)
            j = spec.categorical.index(col)
            if self.conditionable == "target" and col != spec.target:
                kept[j] = code
                continue
            if not self._has_rows(j, code):
                raise DataError(
                    f"{type(self).__name__} was fitted on no rows with {col}={value!r}, so it cannot "
                    "sample them. Fit it on rows that include that value."
                )
            native[j] = code
        return native, kept, ranges

    def _has_rows(self, column: int, code: int) -> bool:
        return True

    @property
    def target_index(self) -> int | None:
        """Position of the target among the categorical columns, or None."""
        spec = self.spec_
        return None if spec.target is None else spec.categorical.index(spec.target)

    @property
    def label_index(self) -> int:
        """Position of the target among the categorical columns, for generators that need one."""
        index = self.target_index
        if index is None:
            raise DataError(f"{type(self).__name__} samples labelled rows; fit it with target=<label column>.")
        return index

    @property
    def label_categories(self) -> list[Any]:
        """The labels of the fitted target, in code order."""
        return self.spec_.categories[self.spec_.categorical[self.label_index]]

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``config.json`` + ``arrays.safetensors`` to the folder ``path`` (atomically)."""
        from safetensors.numpy import save_file

        from tabaugment._io import atomic_dir

        self._check_fitted()
        state, arrays = self._get_state()
        config = {
            "format_version": FORMAT_VERSION,
            "tabaugment_version": __version__,
            "class": f"{type(self).__module__}:{type(self).__qualname__}",
            "params": _jsonable(self.get_params(deep=False)),
            "spec": self.spec_.to_dict(),
            "n_rows_fitted": int(self.n_rows_fitted_),
            "state": _jsonable(state),
        }
        target = Path(path)
        with atomic_dir(target, replaceable=is_generator_folder) as tmp:
            (tmp / _CONFIG).write_text(json.dumps(config, indent=1), encoding="utf-8")
            save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(tmp / _ARRAYS))
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> BaseGenerator:
        """Read a generator written by :meth:`save`."""
        gen = load_generator(path)
        if cls is not BaseGenerator and not isinstance(gen, cls):
            raise ModelFileError(f"{str(path)!r} holds a {type(gen).__name__}, not a {cls.__name__}.")
        return gen

    # ------------------------------------------------------------------ hooks
    def _check_fitted(self) -> None:
        if not hasattr(self, "spec_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; call fit first.")

    def _fit(self, num: np.ndarray, codes: np.ndarray) -> None:
        raise NotImplementedError

    def _sample(self, n: int, conditions: dict[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise NotImplementedError

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        raise NotImplementedError


def is_generator_folder(path: Path) -> bool:
    """Whether ``path`` holds a saved generator and nothing else (so saving may replace it)."""
    return {p.name for p in path.iterdir()} <= {_CONFIG, _ARRAYS}


def load_generator(path: str | os.PathLike[str]) -> BaseGenerator:
    """Read any generator written by :meth:`BaseGenerator.save`."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    folder = Path(path)
    config_path, arrays_path = folder / _CONFIG, folder / _ARRAYS
    if not config_path.is_file() or not arrays_path.is_file():
        raise ModelFileError(
            f"{str(folder)!r} is not a saved tabaugment generator (expected {_CONFIG} and {_ARRAYS} in it)."
        )
    if config_path.stat().st_size > MAX_CONFIG_BYTES:
        raise ModelFileError(
            f"{str(config_path)!r} is {config_path.stat().st_size:,} bytes; a generator's config is at most "
            f"{MAX_CONFIG_BYTES:,}. It is not a file tabaugment wrote."
        )
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        version = int(config["format_version"])
        class_path = str(config["class"])
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise ModelFileError(f"{str(config_path)!r} is corrupt: {type(exc).__name__}: {exc}") from exc
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{str(folder)!r} was written by tabaugment {config.get('tabaugment_version', '?')} "
            f"(file format {version}); this is tabaugment {__version__}, which reads formats up to "
            f"{FORMAT_VERSION}. Upgrade tabaugment (git pull and pip install -e . in a checkout)"
        )
    cls = _generator_class(class_path)
    try:
        arrays = load_file(str(arrays_path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"{str(arrays_path)!r} is corrupt: {exc}") from exc
    try:
        gen = cls(**config["params"])
        gen._validate_params()
        gen.spec_ = TableSpec.from_dict(config["spec"])
        gen.n_rows_fitted_ = int(config["n_rows_fitted"])
        gen._rng_ = check_random_state(getattr(gen, "random_state", None))
        gen._set_state(config["state"], arrays)
    except (ModelFileError, MissingDependencyError):
        raise
    except TabAugmentError as exc:  # e.g. a parameter out of its range
        raise ModelFileError(f"{str(folder)!r} holds invalid settings: {exc}") from exc
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RuntimeError, RecursionError) as exc:
        # RuntimeError: torch's own complaints about weights that do not fit
        raise ModelFileError(f"{str(folder)!r} is corrupt or incomplete: {type(exc).__name__}: {exc}") from exc
    return gen


def _generator_class(class_path: str) -> type[BaseGenerator]:
    """The registered generator class a model file names.

    Only registered classes (built in, or plugins registered by entry point or
    :func:`tabaugment.register`) are looked up: a model file cannot make tabaugment import an
    arbitrary module. Files written before the torch and LM generators moved into
    ``generators.neural`` and ``generators.lm`` name the old modules; their classes are found
    by name among the built-in generators.
    """
    from tabaugment._registry import available, get_class

    module, _, qualname = class_path.partition(":")
    classes = [get_class("generators", name) for name in available("generators")]
    for cls in classes:
        if f"{cls.__module__}:{cls.__qualname__}" == class_path:
            return cls
    if module.startswith("tabaugment.generators."):
        for cls in classes:
            if cls.__qualname__ == qualname and cls.__module__.startswith("tabaugment.generators."):
                return cls
        raise ModelFileError(f"Generator class {class_path!r} does not exist in this version of tabaugment.")
    raise ModelFileError(
        f"Generator class {class_path!r} is neither built in nor registered. Install the package that provides "
        "it, or register the class with tabaugment.register('generators', name, cls) before loading."
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.random.Generator):
        return None
    raise ParameterError(f"Cannot store {type(value).__name__} in a model file; use plain values.")


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder, deterministic)."""
    w = np.asarray(weights, dtype=np.float64)
    if total == 0 or w.sum() == 0:
        return np.zeros(len(w), dtype=np.int64)
    exact = total * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    rest = total - int(base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return base
