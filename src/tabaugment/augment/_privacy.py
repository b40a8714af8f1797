"""The privacy filter: synthetic rows that copy a training row, or lie too close to one, are
dropped (and replaced by new draws) before they leave the Augmenter.

A copy is judged on the features alone (a training row's features under another label still
discloses that row). Closeness is the Euclidean distance in the encoding the privacy report
uses (standardised numbers, one-hot categories), so ``min_distance`` reads on the same scale as
the report's distance to the closest record (DCR).
"""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd

__all__ = ["CopyGuard"]


class CopyGuard:
    """Flags rows that copy a training row's features or lie within ``min_distance`` of one."""

    def __init__(self, train: pd.DataFrame, *, min_distance: float = 0.0) -> None:
        self.columns = list(train.columns)
        self.dtypes = train.dtypes
        self.min_distance = float(min_distance)
        self.hashes = set(_row_hashes(train).tolist())
        self.encoder = None
        if self.min_distance > 0:
            from tabaugment.data.encoding import FeatureEncoder

            self.encoder = FeatureEncoder().fit(train)
            self.reference = self.encoder.transform(train)

    def flags(self, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``(copies, too_close)``: boolean masks over ``rows`` (copies are also too close)."""
        frame = rows[self.columns]
        for col in self.columns:  # compare like with like: the training rows' dtypes
            if frame[col].dtype != self.dtypes[col]:
                with contextlib.suppress(TypeError, ValueError):
                    frame = frame.assign(**{col: frame[col].astype(self.dtypes[col])})
        copies = np.array([h in self.hashes for h in _row_hashes(frame)], dtype=bool)
        close = copies.copy()
        if self.encoder is not None and len(frame):
            from tabaugment._neighbors import nearest_distances

            dist = nearest_distances(self.encoder.transform(frame), self.reference, n_neighbors=1)[:, 0]
            close |= dist < self.min_distance
        return copies, close


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One hash per row of its values (missing values hash alike, whatever their spelling)."""
    text = frame.astype(object).where(frame.notna(), None).astype(str)
    return pd.util.hash_pandas_object(text, index=False).to_numpy()
