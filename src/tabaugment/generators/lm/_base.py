"""The base of generators that fine-tune a local pretrained causal LM on rows as text.

Shared by :class:`~tabaugment.generators.GReaT` and :class:`~tabaugment.generators.HARMONIC`:

- models load from a **local path only** (:mod:`._loading`); nothing is ever downloaded;
- optional LoRA adapters through peft; training draws dropout from a seeded, forked RNG
  (:mod:`._training`);
- sampling is batch-synchronous with a KV cache and constrained per column (:mod:`._decoding`),
  so every row parses; rows that break a filter are counted, and a hard budget of attempts and
  seconds ends sampling with a report of the shortfall;
- saved as safetensors + JSON: the LoRA weights (or all weights after full fine-tuning) and a
  fingerprint of the base model, which must be at ``model_path`` again when loading.
"""

from __future__ import annotations

import math
import numbers
import os
import time
import warnings
from typing import Any, ClassVar

import numpy as np

from tabaugment._optional import import_optional
from tabaugment._progress import progress_bar
from tabaugment.exceptions import ModelFileError, SamplingShortfallWarning
from tabaugment.generators.lm._decoding import ConstrainedDecoder
from tabaugment.generators.lm._loading import fingerprint, load_pretrained, resolve_model_path, wrap_lora
from tabaugment.generators.lm._text import ColumnCodec, RowFormat, build_codecs
from tabaugment.generators.lm._tokens import RowPlan, RowTokens, max_value_tokens
from tabaugment.generators.lm._training import Example, collate, fine_tune, micro_batches, token_loss
from tabaugment.generators.neural._base import NeuralGenerator
from tabaugment.generators.neural._torch import resolve_device, torch_module
from tabaugment.params import BOOL, NONE, Constraints, InstanceOf, Interval, positive

__all__ = ["LMGenerator"]


class LMGenerator(NeuralGenerator):
    """Common machinery of generators that fine-tune a local pretrained causal LM.

    Subclasses set ``row_format`` and implement ``_examples(rows, rng)`` (token ids and loss
    masks for training), ``_plans(n, conditions, rng)`` (what to sample) and
    ``_score_examples(rows)`` (token ids and masks for perplexity).
    """

    row_format: ClassVar[str] = "text"
    min_rows: ClassVar[int] = 2
    uses_transformer = False
    #: The generator needs a local pretrained model (``model_path``); tests give them a tiny one.
    needs_local_model: ClassVar[bool] = True
    _parameter_constraints: ClassVar[Constraints] = {
        "model_path": [InstanceOf(str, os.PathLike, what="a local model path or 'smollm2'")],
        "lora": [BOOL],
        "lora_r": [positive(numbers.Integral)],
        "batch_size": [positive(numbers.Integral)],
        "max_batch_tokens": [positive(numbers.Integral)],
        "gradient_checkpointing": [BOOL],
        "learning_rate": [NONE, positive()],
        "permute": [BOOL],
        "temperature": [positive()],
        "sample_batch_size": [positive(numbers.Integral)],
        "max_attempts": [Interval(numbers.Real, 1, None, what="a number of attempts per row")],
        "max_seconds": [NONE, positive()],
        "within_range": [BOOL],
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"epochs": 1, "max_attempts": 5}

    def _check_params(self) -> None:
        resolve_model_path(self.model_path)

    @property
    def _format(self) -> RowFormat:
        return RowFormat(self.row_format)

    def _prepare_tokens(self) -> None:
        """Token pieces, column constraints and the decoder (after fit, and again after load)."""
        self.tokens_ = RowTokens(self.tokenizer_, self.codecs_, self._format, self.max_value_tokens_)
        self.decoder_ = ConstrainedDecoder(self.tokens_, within_range=bool(self.within_range))

    def _order(self, rng: np.random.Generator, first: list[int]) -> list[int]:
        """Column positions for one row: ``first`` (conditions), then the rest in a random
        order when ``permute`` is on, else in table order."""
        rest = [k for k in range(len(self.codecs_)) if k not in first]
        if self.permute:
            rest = [rest[i] for i in rng.permutation(len(rest))]
        return [*first, *rest]

    # ------------------------------------------------------------------ training
    def _learning_rate(self) -> float:
        if self.learning_rate is not None:
            return float(self.learning_rate)
        return 5e-4 if self.lora else 5e-5

    def _train(self, num: np.ndarray, codes: np.ndarray, seed: int) -> None:
        torch = torch_module()
        t0 = time.perf_counter()
        base, self.tokenizer_ = load_pretrained(self.model_path, share_weights=self._shares_weights())
        self.base_fingerprint_ = fingerprint(base)
        self.codecs_ = build_codecs(self.spec_, num, codes, self._format)
        self.max_value_tokens_ = max_value_tokens(self.tokenizer_, self.codecs_, self._format, num)
        self._prepare_tokens()
        self.preprocess_seconds_ += time.perf_counter() - t0
        rng = np.random.default_rng(seed)
        self._prepare_rows(num, codes, rng)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = wrap_lora(base, self.lora_r) if self.lora else base
            model.to(self.device_)
            self.history_ = fine_tune(
                model,
                lambda: self._examples(num, codes, rng),
                rng,
                epochs=int(self.epochs),
                batch_size=int(self.batch_size),
                learning_rate=self._learning_rate(),
                max_batch_tokens=int(self.max_batch_tokens),
                gradient_checkpointing=bool(self.gradient_checkpointing),
                pad=self.tokens_.pad,
                device=self.device_,
                progress=self.progress,
                desc=type(self).__name__,
            )
        model.eval()
        self.model_ = model
        self.tokens_trained_ = int(sum(h["tokens"] for h in self.history_))

    def _shares_weights(self) -> bool:
        """LoRA on the CPU trains adapters only, so the frozen base weights can be the cached ones."""
        return bool(self.lora) and self.device_.type == "cpu"

    def _prepare_rows(self, num: np.ndarray, codes: np.ndarray, rng: np.random.Generator) -> None:
        """Hook: set up anything training examples need (neighbours, prompt pools)."""

    # ------------------------------------------------------------------ sampling
    def _sample(self, n: int, conditions: dict[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        self._reports: list[dict[str, Any]] = []
        num, codes = super()._sample(n, conditions, rng)
        rejected: dict[str, int] = {}
        for part in self._reports:
            for reason, count in part["rejected"].items():
                rejected[reason] = rejected.get(reason, 0) + count
        report = {
            "requested": n,
            "produced": len(num),
            "shortfall": n - len(num),
            "attempts": sum(p["attempts"] for p in self._reports),
            "rejected": dict(sorted(rejected.items(), key=lambda kv: -kv[1])),
            "seconds": sum(p["seconds"] for p in self._reports),
        }
        self.sample_report_ = report
        if report["shortfall"]:
            reasons = ", ".join(f"{k}: {v}" for k, v in report["rejected"].items()) or "none"
            budget = f"{report['attempts']} attempts" + (
                "" if self.max_seconds is None else f" and {self.max_seconds} s"
            )
            warnings.warn(
                f"{type(self).__name__} produced {len(num)} of {n} rows within its budget of {budget} "
                f"({report['shortfall']} short; rejected rows by reason: {reasons}). Raise max_attempts or "
                "max_seconds, train longer, or lower the temperature.",
                SamplingShortfallWarning,
                stacklevel=3,
            )
        return num, codes

    def _generate_rows(
        self, n: int, conditions: dict[int, int], rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        spec = self.spec_
        fixed: dict[int, float] = {}
        for k, codec in enumerate(self.codecs_):
            if codec.kind == "cat" and codec.index in conditions:
                fixed[k] = conditions[codec.index]
        max_tries = math.ceil(n * float(self.max_attempts))
        deadline = None if self.max_seconds is None else time.monotonic() + float(self.max_seconds)
        rows: list[dict[int, float]] = []
        rejected: dict[str, int] = {}
        tried = 0
        t0 = time.perf_counter()
        batch = int(self.sample_batch_size)
        with progress_bar(self.progress, total=n, desc=f"{type(self).__name__} sampling", unit="row") as bar:
            while len(rows) < n and tried < max_tries:
                if deadline is not None and time.monotonic() >= deadline:
                    break
                need = n - len(rows)
                size = min(batch, max_tries - tried, max(need + need // 4, 1))
                plans = self._plans(size, fixed, rng)
                results = self.decoder_.decode(
                    self.model_, plans, rng, deadline, temperature=float(self.temperature), device=self.device_
                )
                tried += size
                for res in results:
                    if isinstance(res, str):
                        rejected[res] = rejected.get(res, 0) + 1
                    elif len(rows) < n:
                        rows.append(res)
                        bar.update(1)
        produced = len(rows)
        report = {
            "requested": n,
            "produced": produced,
            "attempts": tried,
            "rejected": dict(sorted(rejected.items(), key=lambda kv: -kv[1])),
            "seconds": time.perf_counter() - t0,
            "shortfall": n - produced,
        }
        self._reports.append(report)
        num = np.full((produced, len(spec.numerical)), np.nan)
        cod = np.full((produced, len(spec.categorical)), -1, dtype=np.int64)
        for r, values in enumerate(rows):
            for k, v in values.items():
                codec = self.codecs_[k]
                if codec.kind == "cat":
                    cod[r, codec.index] = int(v)
                else:
                    num[r, codec.index] = v
        return num, cod

    # ------------------------------------------------------------------ scoring
    def perplexity(self, table: Any) -> float:
        """``exp`` of the mean token cross-entropy (natural log) of ``table``'s rows under the
        fine-tuned LM, over the tokens the model writes when sampling (values and the tokens
        that end them; column names are given). Used by
        :func:`tabaugment.evaluation.privacy.data_leakage_test`."""
        self._check_fitted()
        from tabaugment.data.io import to_pandas

        torch = torch_module()
        frame = to_pandas(table)
        num, codes = self.spec_.encode(frame)
        examples = self._score_examples(num, codes)
        total, count = 0.0, 0
        with self._threads(), torch.no_grad():
            for part in micro_batches(examples, int(self.max_batch_tokens)):
                ids, att, labels = collate(part, self.tokens_.pad, self.device_)
                loss, n_tok = token_loss(self.model_, ids, att, labels, "sum")
                total += float(loss)
                count += n_tok
        return float(np.exp(total / max(count, 1)))

    # ------------------------------------------------------------------ persistence
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        torch = torch_module()
        if self.lora:
            peft = import_optional("peft", extra="llm", purpose="LoRA fine-tuning")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # transformers internals called by peft
                weights = peft.get_peft_model_state_dict(self.model_)
        else:
            weights = self.model_.state_dict()
        arrays = {f"lm/{k}": v.detach().to(torch.float32).cpu().numpy().copy() for k, v in weights.items()}
        arrays["class_counts"] = self.class_counts_
        arrays["max_value_tokens"] = np.asarray(self.max_value_tokens_, dtype=np.int64)
        state = {
            "codecs": [c.to_dict() for c in self.codecs_],
            "history": self.history_,
            "base_fingerprint": self.base_fingerprint_,
            **self._extra_state(),
        }
        return state, arrays

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        torch = torch_module()
        self.class_counts_ = arrays["class_counts"]
        self.max_value_tokens_ = [int(v) for v in arrays["max_value_tokens"]]
        self.history_ = state["history"]
        self.codecs_ = [ColumnCodec(**c) for c in state["codecs"]]
        self.device_ = resolve_device(self.device)
        base, self.tokenizer_ = load_pretrained(self.model_path, share_weights=self._shares_weights())
        found = fingerprint(base)
        if found != state["base_fingerprint"]:
            raise ModelFileError(
                f"The model at model_path={str(self.model_path)!r} is not the base model this generator was "
                f"fine-tuned from (fingerprint {found}, expected {state['base_fingerprint']}). Point model_path "
                "at the original base model."
            )
        self.base_fingerprint_ = found
        weights = {k[3:]: torch.as_tensor(v) for k, v in arrays.items() if k.startswith("lm/")}
        if self.lora:
            peft = import_optional("peft", extra="llm", purpose="LoRA fine-tuning")
            with torch.random.fork_rng(devices=[]):
                model = wrap_lora(base, self.lora_r)
            peft.set_peft_model_state_dict(model, weights)
        else:
            model = base
            model.load_state_dict(weights)
        model.to(self.device_).eval()
        self.model_ = model
        self._prepare_tokens()
        self._load_extra_state(state)

    # ------------------------------------------------------------------ hooks
    def _examples(self, num: np.ndarray, codes: np.ndarray, rng: np.random.Generator) -> list[Example]:
        raise NotImplementedError

    def _plans(self, n: int, fixed: dict[int, float], rng: np.random.Generator) -> list[RowPlan]:
        raise NotImplementedError

    def _score_examples(self, num: np.ndarray, codes: np.ndarray) -> list[Example]:
        raise NotImplementedError
