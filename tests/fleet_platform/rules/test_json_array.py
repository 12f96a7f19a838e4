"""The exact text of each element of a JSON array (the rFMS bulk path's splitter)."""

import polars as pl
import pytest

from fleet_platform.rules.json_array import element_texts


@pytest.mark.parametrize(
    ("text", "elements"),
    [
        ("[]", []),
        ("[ \n ]", []),
        ("[1]", ["1"]),
        ('[{"a":1},{"b":[1,2,{"c":"}"}]}]', ['{"a":1}', '{"b":[1,2,{"c":"}"}]}']),
        (
            '[ {"a" : "x,y]"} ,\n\t"text" , 42 , null , [1, [2]] ]',
            ['{"a" : "x,y]"}', '"text"', "42", "null", "[1, [2]]"],
        ),
        (
            '[{"q":"say \\"hi\\", ]"},{"p":"\\\\"},{"r":"\\\\\\""}]',
            ['{"q":"say \\"hi\\", ]"}', '{"p":"\\\\"}', '{"r":"\\\\\\""}'],
        ),
        ('[{"é":"公交车 🚌, ]"}, "ü"]', ['{"é":"公交车 🚌, ]"}', '"ü"']),
    ],
)
def test_each_element_is_its_exact_text(text, elements):
    found, end = element_texts(text, 0)
    assert (found.to_list(), end) == (elements, len(text))
    assert found.dtype == pl.String


@pytest.mark.parametrize("more", ["[3]", '"公交车 🚌"'])
@pytest.mark.parametrize("before", ["", "é"])
def test_the_array_may_start_anywhere_and_be_followed_by_more_text(before, more):
    # the end is a character index, whatever the characters before or inside the array
    text = '{"' + before + '": [ {"a": "ü"} , 2 ], "more": ' + more + "}"
    start = text.index("[")
    found, end = element_texts(text, start)
    assert (found.to_list(), end) == (['{"a": "ü"}', "2"], text.index("]") + 1)


@pytest.mark.parametrize(
    "text", ["[1, 2", '[{"a": "]"}', "[1, 2}", "[1,,2]", "[1,]", "[,]", '[1, "2]']
)
def test_an_unclosed_array_or_an_empty_element_is_an_error(text):
    with pytest.raises(ValueError):
        element_texts(text, 0)
