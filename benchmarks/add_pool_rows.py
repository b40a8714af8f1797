"""Give result folders written before cells recorded ``pool_rows`` that column.

``pool_rows`` is the number of rows a cell's training rows were drawn from (before the
``train_size`` subsample); the corrected resampled t-test needs it for the overlap of the
training sets (``tabaugment.evaluation.stats.split_overlap_ratio``). Without it the analysis
falls back to Nadeau and Bengio's ratio for full training sets, n_test / n_train, which for a
2,000-row subsample of a large table overstates the overlap many times over. The pool of a
split depends only on the dataset, the test and validation shares and the split seed, so this
script recomputes each cell's split exactly as the engine does and adds the column; no score
changes.

    python benchmarks/add_pool_rows.py benchmarks/results/targeting [more folders]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from tabaugment._random import spawn_seeds
from tabaugment.experiment import ResultStore, stored_spec
from tabaugment.experiment.engine import _split


def pools(folder: Path) -> dict[str, int]:
    """cell_id -> pool_rows for every cell of the folder's spec."""
    spec = stored_spec(folder)
    out: dict[str, int] = {}
    seen: dict[tuple[str, str, int], int] = {}
    for cell in spec.cells():
        key = json.dumps(dict(cell.dataset), sort_keys=True)
        pair = cell.pair_key
        split_seed = spawn_seeds(cell.seed, [f"split|{pair}"])[f"split|{pair}"]
        memo = (key, str(cell.train_size), split_seed)
        if memo not in seen:
            seen[memo] = int(_split(key, None, cell.train_size, split_seed, spec.split).pool_rows)
        out[cell.cell_id] = seen[memo]
    return out


def main(folders: list[str]) -> None:
    for name in folders:
        folder = Path(name)
        store = ResultStore(folder)
        store.compact()
        frame = store.load()
        table = pools(folder)
        missing = set(frame.cell_id) - set(table)
        if missing:
            raise SystemExit(f"{folder}: {len(missing)} cells are not in its spec; not changed.")
        frame["pool_rows"] = frame.cell_id.map(table).astype("int64")
        frame.to_parquet(store.compacted.with_suffix(".tmp"), index=False)
        store.compacted.with_suffix(".tmp").replace(store.compacted)
        by = frame.groupby(["dataset", "train_size"])["pool_rows"].agg(["min", "max"])
        print(f"{folder}: pool_rows for {frame.cell_id.nunique():,} cells\n{by.to_string()}")


if __name__ == "__main__":
    pd.set_option("display.width", 120)
    main(sys.argv[1:] or [str(p) for p in (Path(__file__).parent / "results").iterdir() if (p / "spec.json").is_file()])
