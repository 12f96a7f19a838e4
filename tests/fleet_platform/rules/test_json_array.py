"""The exact text of each element of a JSON array (the rFMS bulk path's splitter)."""

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
    assert element_texts(text, 0) == (elements, len(text))


def test_the_array_may_start_anywhere_and_be_followed_by_more_text():
    text = '{"list": [ {"a": 1} , 2 ], "more": [3]}'
    start = text.index("[")
    assert element_texts(text, start) == (['{"a": 1}', "2"], text.index("]") + 1)


@pytest.mark.parametrize(
    "text", ["[1, 2", '[{"a": "]"}', "[1, 2}", "[1,,2]", "[1,]", "[,]", '[1, "2]']
)
def test_an_unclosed_array_or_an_empty_element_is_an_error(text):
    with pytest.raises(ValueError):
        element_texts(text, 0)
