"""Dates as numbers and back: exact round trips, formats found from the text, clear errors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabaugment.data import FeatureEncoder
from tabaugment.data.dates import date_format, days_to_dates, days_to_text, round_like, to_days
from tabaugment.data.schema import Schema, infer_schema
from tabaugment.exceptions import SchemaError

moments = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 12, 31))


@settings(max_examples=200, deadline=None)
@given(st.lists(moments, min_size=1, max_size=30))
def test_days_and_back_is_within_a_microsecond_and_exact_to_the_second(values) -> None:
    # a float64 number of days holds about a microsecond (1 us around 2150)
    series = pd.Series(pd.to_datetime(values)).astype("datetime64[us]")
    back = days_to_dates(to_days(series), "datetime64[us]")
    assert back.dtype == series.dtype
    assert (back - series).abs().max() <= pd.Timedelta(microseconds=2)
    seconds = series.dt.floor("s")
    pd.testing.assert_series_equal(days_to_dates(to_days(seconds), "datetime64[us]"), seconds, check_names=False)


@settings(max_examples=100, deadline=None)
@given(st.lists(moments, min_size=1, max_size=20), st.sampled_from(["UTC", "Asia/Tokyo", "America/Bogota"]))
def test_time_zones_keep_the_wall_clock_time(values, tz) -> None:
    series = pd.Series(pd.to_datetime(values)).dt.floor("s").dt.tz_localize(tz).astype(f"datetime64[us, {tz}]")
    back = days_to_dates(to_days(series), series.dtype)
    pd.testing.assert_series_equal(back, series, check_names=False)


def test_daylight_saving_gaps_and_repeats_do_not_fail() -> None:
    # 02:30 does not exist in Paris on 2021-03-28, and exists twice on 2021-10-31
    naive = pd.Series(pd.to_datetime(["2021-03-28 02:30", "2021-10-31 02:30", "2021-06-01 12:00"]))
    back = days_to_dates(to_days(naive), "datetime64[us, Europe/Paris]")
    assert back.notna().all() and back.iloc[2] == pd.Timestamp("2021-06-01 12:00", tz="Europe/Paris")


def test_missing_and_out_of_range_numbers_are_missing_dates() -> None:
    back = days_to_dates(np.array([np.nan, np.inf, 1e9, 0.5]), "datetime64[ns]")
    assert back.isna().tolist() == [True, True, True, False]
    assert back.iloc[3] == pd.Timestamp("1970-01-01 12:00")


FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S"]


@settings(max_examples=100, deadline=None)
@given(st.lists(moments, min_size=1, max_size=25), st.sampled_from(FORMATS))
def test_a_found_format_writes_every_value_back_as_it_was(values, fmt) -> None:
    text = pd.Series(pd.to_datetime(values).strftime(fmt))
    found = date_format(text)
    assert found is not None
    assert days_to_text(to_days(text, found), found) == text.tolist()


@pytest.mark.parametrize(
    "values",
    [
        ["2020-01-05", "05/01/2020"],  # two formats in one column
        ["2020-01-05", "soon"],
        ["12", "13"],
        ["Oslo", "Lima"],
        [],
    ],
)
def test_columns_that_are_not_all_dates_in_one_format_have_none(values) -> None:
    assert date_format(pd.Series(values, dtype=object)) is None


def test_round_like_keeps_the_columns_resolution() -> None:
    whole_days = np.array([18000.0, 18001.0])
    assert round_like(np.array([18000.4]), whole_days).tolist() == [18000.0]
    seconds = np.array([18000.0 + 5 / 86_400])
    assert round_like(np.array([18000.0 + 5.4 / 86_400]), seconds)[0] * 86_400 == pytest.approx(18000 * 86_400 + 5)
    free = np.array([18000.123456])
    assert round_like(np.array([1.23]), free).tolist() == [1.23]


def _dated(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D")
    return pd.DataFrame(
        {
            "when": days,
            "written": days.strftime("%d/%m/%Y"),
            "x": rng.normal(size=n),
            "y": np.where(np.arange(n) % 3 == 0, "a", "b"),
        }
    )


def test_schema_models_dates_as_numbers_and_remembers_their_format() -> None:
    table = _dated()
    schema = infer_schema(table, "y")
    assert set(schema.numerical) == {"when", "written", "x"}
    assert schema.dates == {"when": "", "written": "%d/%m/%Y"}
    prepared = schema.prepare(table)
    assert prepared["when"].dtype == np.float64
    np.testing.assert_array_equal(prepared["when"], prepared["written"])
    assert Schema.from_dict(schema.to_dict()) == schema


def test_a_value_that_is_not_a_date_names_the_column_the_value_and_the_row() -> None:
    table = _dated()
    schema = infer_schema(table, "y")
    table.loc[7, "written"] = "next week"
    with pytest.raises(SchemaError, match=r"'written'.*%d/%m/%Y.*'next week'.*row 7"):
        schema.prepare(table)


def test_models_and_encoders_read_dates_as_numbers() -> None:
    table = _dated()
    encoder = FeatureEncoder().fit(table[["when", "x"]])
    assert encoder.numerical_ == ["when", "x"] and encoder.n_features_out_ == 2
    encoded = encoder.transform(table[["when", "x"]])
    assert np.isfinite(encoded).all() and abs(encoded[:, 0].mean()) < 1e-9
