"""Schema inference, preparation, splits and the dataset catalog."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabaugment.data import infer_schema, load_breast_cancer, load_dataset, read_table, split_table
from tabaugment.exceptions import DataError, DataLeakageError, ParameterError, SchemaError
from tabaugment.hardness import KNNShapley


def test_infer_schema_roles_markers_and_positive_label(raw_table) -> None:
    schema = infer_schema(raw_table, "default")
    assert schema.categorical == ("job",)
    assert schema.numerical == ("age", "income")  # "?" is a missing marker, the rest are numbers
    assert schema.positive_label == "yes"  # the rarer class
    prepared = schema.prepare(raw_table)
    assert prepared["income"].dtype == np.float64
    assert prepared["income"].isna().sum() == (raw_table["income"] == "?").sum()
    assert isinstance(prepared["job"].dtype, pd.CategoricalDtype)
    assert schema.encode_target(prepared["default"]).tolist() == (raw_table["default"] == "yes").astype(int).tolist()


def test_zero_one_target_positive_is_one() -> None:
    table = pd.DataFrame({"x": range(10), "y": [0, 1] * 5})
    assert infer_schema(table, "y").positive_label == 1
    assert infer_schema(table, "y", positive_label="0").positive_label == 0


def test_wrong_target_name_suggests_close_names(raw_table) -> None:
    with pytest.raises(SchemaError, match=r"Target column 'defualt' is not in the table. Did you mean 'default'\?"):
        infer_schema(raw_table, "defualt")


def test_one_class_target(raw_table) -> None:
    raw_table["default"] = "no"
    with pytest.raises(SchemaError, match=r"only one class \('no', 60 rows\)"):
        infer_schema(raw_table, "default")


def test_more_than_two_classes_keep_every_label_and_refuse_a_positive_label(raw_table) -> None:
    raw_table.loc[:5, "default"] = "maybe"
    labels = sorted(raw_table["default"].unique())
    schema = infer_schema(raw_table, "default")
    assert schema.classes == tuple(labels) and schema.positive_label is None and not schema.is_binary
    with pytest.raises(SchemaError, match="has 3 classes .* a positive label is for two classes"):
        infer_schema(raw_table, "default", positive_label="maybe")


def test_nan_in_target_names_rows(raw_table) -> None:
    raw_table.loc[[3, 7], "default"] = np.nan
    with pytest.raises(SchemaError, match=r"missing in 2 rows \(e.g. rows \[3, 7\]\)"):
        infer_schema(raw_table, "default")


def test_empty_table() -> None:
    with pytest.raises(SchemaError, match="The table is empty"):
        infer_schema(pd.DataFrame({"x": [], "y": []}), "y")


def test_all_missing_column_and_strings_in_numeric_reported_together(raw_table) -> None:
    raw_table["blank"] = "?"
    raw_table["age"] = raw_table["age"].astype(object)
    raw_table.loc[4, "age"] = "forty"
    with pytest.raises(SchemaError) as err:
        infer_schema(raw_table, "default", numerical=["age"])
    text = str(err.value)
    assert "2 problems" in text
    assert "Column 'blank' has no values (all 60 are missing)" in text
    assert "Column 'age' is numerical but has 1 text values that are not numbers, e.g. 'forty' (first at row 4)" in text


def test_mostly_numeric_text_column_is_flagged(raw_table) -> None:
    raw_table.loc[[2, 9], "income"] = "n/a-ish"
    with pytest.raises(SchemaError, match=r"Column 'income' looks numerical .* e.g. 'n/a-ish' \(row 2\)"):
        infer_schema(raw_table, "default")


def test_id_like_columns_are_excluded() -> None:
    table = pd.DataFrame(
        {"customer_id": range(30), "name": [f"n{i}" for i in range(30)], "x": [1.0, 2.0] * 15, "y": [0, 1] * 15}
    )
    schema = infer_schema(table, "y")
    assert set(schema.excluded) == {"customer_id", "name"}
    assert schema.features == ("x",)


def test_read_table_keeps_markers_as_text(tmp_path, raw_table) -> None:
    path = tmp_path / "t.csv"
    raw_table.to_csv(path, index=False)
    back = read_table(path)
    assert (back["income"] == "?").sum() == (raw_table["income"] == "?").sum()
    pl = pytest.importorskip("polars")
    from_polars = read_table(pl.from_pandas(raw_table))
    pd.testing.assert_frame_equal(from_polars, raw_table, check_dtype=False)
    with pytest.raises(DataError, match="No file at"):
        read_table(tmp_path / "missing.csv")


def test_split_is_stratified_reproducible_and_guards_test_rows() -> None:
    ds = load_breast_cancer()
    a = split_table(ds.table, ds.schema, random_state=3)
    b = split_table(ds.table, ds.schema, random_state=3)
    pd.testing.assert_frame_equal(a.train, b.train)
    ids = [set(a.train.index), set(a.validation.index), set(a.test.index)]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    assert sum(map(len, ids)) == len(ds.table)
    rates = {k: v["positive_rate"] for k, v in a.summary().items()}
    assert max(rates.values()) - min(rates.values()) < 0.03
    X_test, y_test = a.xy("test")
    with pytest.raises(DataLeakageError, match="test split reached KNNShapley.fit"):
        KNNShapley().fit(X_test, y_test)
    with pytest.raises(DataLeakageError, match="test split reached KNNShapley.fit"):
        KNNShapley().fit(a.test.iloc[:30][list(ds.schema.features)], y_test[:30])
    with pytest.raises(DataLeakageError, match="test rows"):
        a.check_no_test_rows(pd.concat([a.train, a.test]), "the generator")


def test_train_size_subsamples_and_refuses_too_many() -> None:
    ds = load_breast_cancer()
    split = split_table(ds.table, ds.schema, train_size=100, random_state=0)
    assert len(split.train) == 100
    with pytest.raises(DataError, match="asks for 10,000 training rows but only 341 remain"):
        split_table(ds.table, ds.schema, train_size=10_000)


def test_unseen_category_in_given_test_table_warns_and_is_missing_unless_error(raw_table) -> None:
    schema = infer_schema(raw_table, "default")
    test = raw_table.copy()
    test.loc[[0, 1], "job"] = "pilot"
    with pytest.warns(UserWarning, match=r"never seen in the training table; they are read as missing: 'job': 2 rows"):
        split = split_table(raw_table, schema, test=test)
    assert split.test["job"].isna().sum() == 2 and split.unseen == {"job": 2}
    with pytest.raises(
        SchemaError, match=r"Column 'job': 2 rows of the test table have categories never seen .* 'pilot'"
    ):
        split_table(raw_table, schema, test=test, unseen_categories="error")
    split = split_table(raw_table, schema, test=test, unseen_categories="missing")
    assert split.test["job"].isna().sum() == 2
    assert split.unseen == {"job": 2}


def test_validation_size_zero_trains_on_every_row(raw_table) -> None:
    schema = infer_schema(raw_table, "default")
    test = raw_table.sample(20, random_state=0)
    split = split_table(raw_table, schema, test=test, validation_size=0.0)
    assert len(split.train) == len(raw_table) and len(split.validation) == 0
    cut = split_table(raw_table, schema, validation_size=0)
    assert len(cut.train) + len(cut.test) == len(raw_table) and len(cut.validation) == 0
    with pytest.raises(ParameterError, match=r"'validation_size' .* must be a float in \[0, 1\)"):
        split_table(raw_table, schema, validation_size=-0.1)


@pytest.mark.datasets
def test_catalog_loads_every_dataset_with_its_declared_schema(datasets_dir) -> None:
    import json

    catalog = json.loads((datasets_dir / "catalog.json").read_text())
    for entry in catalog:
        if entry["rows"] > 50_000:
            continue  # the large ones are read by the benchmarks
        ds = load_dataset(entry["name"], root=datasets_dir)
        assert set(ds.schema.categorical) == set(entry["categorical"]), entry["name"]
        assert set(ds.schema.numerical) == set(entry["numerical"]), entry["name"]
        assert len(ds.table) == entry["rows"]
        prepared = ds.schema.prepare(ds.table)
        assert ds.schema.encode_target(prepared[entry["target"]]).mean() == pytest.approx(
            entry["positive_rate"], abs=1e-3
        )


@pytest.mark.datasets
def test_catalog_per_column_missing_markers(datasets_dir) -> None:
    ds = load_dataset("diabetes", root=datasets_dir)
    prepared = ds.schema.prepare(ds.table)
    assert prepared["Glucose"].isna().sum() == (ds.table["Glucose"] == 0).sum() > 0
    assert prepared["Pregnancies"].isna().sum() == 0  # zero pregnancies is a real value
    with pytest.raises(DataError, match="No dataset named 'adlut'.*Did you mean 'adult'"):
        load_dataset("adlut", root=datasets_dir)
