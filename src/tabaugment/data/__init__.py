"""Tables: reading, schemas, splits and the benchmark catalog."""

from tabaugment.data.datasets import Dataset, list_datasets, load_breast_cancer, load_dataset
from tabaugment.data.encoding import FeatureEncoder
from tabaugment.data.io import read_table, to_pandas, write_table
from tabaugment.data.schema import DEFAULT_MISSING_VALUES, Schema, infer_schema
from tabaugment.data.splits import Split, check_not_test, split_table

__all__ = [
    "DEFAULT_MISSING_VALUES",
    "Dataset",
    "FeatureEncoder",
    "Schema",
    "Split",
    "check_not_test",
    "infer_schema",
    "list_datasets",
    "load_breast_cancer",
    "load_dataset",
    "read_table",
    "split_table",
    "to_pandas",
    "write_table",
]
