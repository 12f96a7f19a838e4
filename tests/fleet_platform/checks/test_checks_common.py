"""``key_problems``: the same answer whether the keys are proven unique by their hashes or
grouped (repeated keys, null keys, or two keys that happen to share a hash)."""

import polars as pl
import pytest

from fleet_platform import checks_common
from fleet_platform.checks_common import key_problems

KEYS = ["file", "row"]


def frame(*rows: tuple[str | None, int | None]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"file": pl.String, "row": pl.Int64}, orient="row")


def test_unique_keys_have_no_problem_and_the_columns_of_a_listing():
    duplicates, null_keys = key_problems(frame(("a", 1), ("a", 2), ("b", 1)), KEYS)
    assert null_keys == 0
    assert duplicates.is_empty()
    assert duplicates.schema == pl.Schema({"file": pl.String, "row": pl.Int64, "rows": pl.UInt32})


def test_repeated_keys_listed_most_repeated_first_and_null_keys_counted():
    rows = frame(("a", 1), ("b", 2), ("a", 1), ("b", 2), ("b", 2), (None, 3), ("c", None))
    duplicates, null_keys = key_problems(rows, KEYS)
    assert duplicates.rows() == [("b", 2, 3), ("a", 1, 2)]
    assert null_keys == 2


def test_a_null_key_alone_is_a_problem():
    duplicates, null_keys = key_problems(frame(("a", 1), (None, 1)), KEYS)
    assert duplicates.is_empty() and null_keys == 1


@pytest.mark.parametrize(
    "rows",
    [
        frame(("a", 1), ("a", 2)),
        frame(("a", 1), ("a", 1), ("a", 2)),
        frame(),
    ],
)
def test_keys_whose_hashes_collide_are_grouped_to_the_same_answer(
    rows: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
):
    expected = key_problems(rows, KEYS)
    monkeypatch.setattr(checks_common, "_hashes_distinct", lambda frame, keys: False)
    duplicates, null_keys = key_problems(rows, KEYS)
    assert duplicates.equals(expected[0]) and duplicates.schema == expected[0].schema
    assert null_keys == expected[1]
