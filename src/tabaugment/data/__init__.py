"""Tables: reading, schemas, splits, validity constraints and the benchmark catalog."""

from tabaugment.data.constraints import Constraints, Rule, ValidityResult, learn_constraints
from tabaugment.data.datasets import Dataset, list_datasets, load_breast_cancer, load_dataset
from tabaugment.data.encoding import FeatureEncoder
from tabaugment.data.io import read_table, to_pandas, write_table
from tabaugment.data.schema import DEFAULT_MISSING_VALUES, Schema, infer_schema
from tabaugment.data.splits import Split, check_not_test, split_table

__all__ = [
    "DEFAULT_MISSING_VALUES",
    "Constraints",
    "Dataset",
    "FeatureEncoder",
    "Rule",
    "Schema",
    "Split",
    "ValidityResult",
    "check_not_test",
    "infer_schema",
    "learn_constraints",
    "list_datasets",
    "load_breast_cancer",
    "load_dataset",
    "read_table",
    "split_table",
    "to_pandas",
    "write_table",
]
