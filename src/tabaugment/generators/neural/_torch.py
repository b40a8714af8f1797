"""Shared torch plumbing for neural generators: device, local seeds, threads, training loop,
and conversion of weights to numpy arrays for safetensors. torch is imported lazily."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from tabaugment._optional import import_optional
from tabaugment._progress import progress_bar

__all__ = ["TrainingLog", "init_weights", "load_state_arrays", "resolve_device", "state_arrays", "torch_module"]


def torch_module() -> Any:
    """The torch module, or a :class:`~tabaugment.exceptions.MissingDependencyError` naming the extra."""
    return import_optional("torch", extra="torch", purpose="neural generators")


def resolve_device(device: str) -> Any:
    """``"auto"``: CUDA when available, else CPU; or any torch device string."""
    torch = torch_module()
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def init_weights(module: Any, generator: Any) -> None:
    """Re-initialise every linear and convolutional layer from a local generator (never the
    global RNG); batch norms start at their defaults (2-d ones as in DCGAN)."""
    torch = torch_module()
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, torch.nn.Linear):
                torch.nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
                if layer.bias is not None:
                    bound = 1 / math.sqrt(layer.in_features)
                    torch.nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
            elif isinstance(layer, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):  # DCGAN's initialisation
                torch.nn.init.normal_(layer.weight, 0.0, 0.02, generator=generator)
                if layer.bias is not None:
                    layer.bias.zero_()
            elif isinstance(layer, torch.nn.BatchNorm2d):
                torch.nn.init.normal_(layer.weight, 1.0, 0.02, generator=generator)
                layer.bias.zero_()
            elif isinstance(layer, torch.nn.BatchNorm1d):
                layer.reset_parameters()


def state_arrays(prefix: str, module: Any) -> dict[str, np.ndarray]:
    """A module's state as numpy arrays keyed ``prefix/name`` (for safetensors)."""
    return {f"{prefix}/{k}": v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}


def load_state_arrays(prefix: str, module: Any, arrays: dict[str, np.ndarray]) -> None:
    torch = torch_module()
    state = {k[len(prefix) + 1 :]: torch.as_tensor(v) for k, v in arrays.items() if k.startswith(prefix + "/")}
    module.load_state_dict(state)


class TrainingLog:
    """Loss history, a progress bar showing the loss, and early stopping on a held-out loss."""

    def __init__(self, epochs: int, *, progress: bool, desc: str, patience: int | None) -> None:
        self.history: list[dict[str, float]] = []
        self.patience = patience
        self.best = math.inf
        self.bad = 0
        self.best_epoch = 0
        self.bar = progress_bar(progress, total=epochs, desc=desc, unit="epoch")

    def step(self, epoch: int, losses: dict[str, float], held_out: float | None, snapshot: Callable[[], None]) -> bool:
        """Record an epoch; return True when training should stop early."""
        row = {"epoch": epoch, **losses}
        if held_out is not None:
            row["held_out"] = held_out
        self.history.append(row)
        self.bar.set_postfix_str(" ".join(f"{k}={v:.4g}" for k, v in row.items() if k != "epoch"))
        self.bar.update(1)
        if held_out is None or self.patience is None:
            return False
        if held_out < self.best - 1e-6:
            self.best, self.bad, self.best_epoch = held_out, 0, epoch
            snapshot()
            return False
        self.bad += 1
        return self.bad >= self.patience

    def close(self) -> None:
        self.bar.close()
