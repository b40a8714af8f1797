"""Seeds and random generators.

tabaugment never touches the global numpy or torch random state. Every random choice
takes a ``random_state`` that is turned into a local :class:`numpy.random.Generator`;
independent streams come from :class:`numpy.random.SeedSequence` spawning.
"""

from __future__ import annotations

from typing import Union

import numpy as np

from tabaugment.exceptions import ParameterError

__all__ = ["RandomState", "check_random_state", "derive_seed", "spawn_seeds"]

RandomState = Union[int, np.integer, np.random.Generator, np.random.RandomState, None]


def check_random_state(random_state: RandomState) -> np.random.Generator:
    """Turn ``None``, an int, a Generator or a legacy RandomState into a Generator.

    A Generator is returned as is (so callers share its stream); an int seeds a new one.
    """
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ParameterError(f"random_state must be a non-negative int. Got {random_state}.")
        return np.random.default_rng(int(random_state))
    raise ParameterError(
        f"random_state must be None, an int, a numpy Generator or RandomState. Got {type(random_state).__name__}."
    )


def derive_seed(random_state: RandomState) -> int:
    """Draw one 32-bit seed from ``random_state`` (for libraries that take an int seed)."""
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state) % (2**32)
    return int(check_random_state(random_state).integers(0, 2**31 - 1))


def spawn_seeds(seed: int, names: tuple[str, ...] | list[str]) -> dict[str, int]:
    """Independent, order-free seeds for named streams (split, hardness, generator, model...).

    The seed of a stream depends only on ``seed`` and the stream's *name*, so adding a
    stream never changes the others.
    """
    out = {}
    for name in names:
        key = [int(b) for b in name.encode("utf-8")]
        ss = np.random.SeedSequence([int(seed) % (2**32), *key])
        out[name] = int(ss.generate_state(1, dtype=np.uint32)[0])
    return out
