"""The exact text of each element of a JSON array, found without decoding the elements.

Used by the rFMS bulk path (:mod:`fleet_platform.rules.rfms`): polars then decodes all
the texts at once. Only the array's structure is read here (strings, brackets, commas);
whether each element is valid JSON is for the decoder to say.

The structure is read from the UTF-8 bytes: every byte of a multi-byte character is
above 0x7F, so the structural characters are found at their own bytes, and the elements
are cut from the bytes into a polars column without a Python string per element.
"""

import operator
import re
from functools import reduce

import polars as pl
import pyarrow as pa

_QUOTE, _COMMA = ord('"'), ord(",")
_OPEN, _CLOSE = [ord("["), ord("{")], [ord("]"), ord("}")]
_ESCAPED_QUOTE = re.compile(rb'\\+"')
_JSON_BLANK = " \t\n\r"


def _byte_codes(data: bytes) -> pl.Series:
    """One integer per byte of ``data`` (zero-copy)."""
    return pl.from_arrow(pa.Array.from_buffers(pa.uint8(), len(data), [None, pa.py_buffer(data)]))


def _any_of(codes: list[int]) -> pl.Expr:
    # comparisons, not ``is_in``: several times cheaper on a column of every byte
    code = pl.col("code")
    return reduce(operator.or_, (code == value for value in codes))


def _escaped_quotes(data: bytes) -> list[int]:
    """Positions of the quotes that a backslash escapes (an odd run of backslashes)."""
    return [
        match.end() - 1
        for match in _ESCAPED_QUOTE.finditer(data)
        if (match.end() - match.start() - 1) % 2
    ]


_CODE, _DEPTH = pl.col("code"), pl.col("depth")
_MARK = _any_of([_QUOTE, _COMMA, *_OPEN, *_CLOSE])
# outside strings an even number of quotes precede a mark (a closing quote steps 0)
_OUTSIDE = ((_CODE == _QUOTE).cum_sum() % 2 == 0) & (_CODE != _QUOTE)
_STEP = _any_of(_OPEN).cast(pl.Int32) - _any_of(_CLOSE).cast(pl.Int32)
_SEPARATOR = (_DEPTH == 0) | ((_DEPTH == 1) & (_CODE == _COMMA))


def _separators(data: bytes) -> pl.DataFrame:
    """The commas between the elements of the array that ``data`` starts with and the
    brackets that close it (depth 0), in order: ``at`` (byte position) and ``code``."""
    marks = pl.LazyFrame({"code": _byte_codes(data)}).with_row_index("at").filter(_MARK)
    if b"\\" in data:
        marks = marks.filter(~pl.col("at").is_in(_escaped_quotes(data)))
    return (
        marks.filter(_OUTSIDE)
        .with_columns(depth=_STEP.cum_sum())
        .filter(_SEPARATOR)
        .collect(engine="in-memory")
    )


def _cut(data: bytes, bounds: list[int]) -> pl.Series:
    """The bytes between consecutive ``bounds`` (each bound itself left out), as text
    without the white space around it."""
    offsets = pa.array([0, *bounds], pa.int32())
    pieces = pa.StringArray.from_buffers(len(bounds), offsets.buffers()[1], pa.py_buffer(data))
    # each piece starts with the bound before it: the ``[`` or a comma
    text = pl.lit(pl.Series("raw", pieces))
    return pl.select(text.str.slice(1).str.strip_chars(_JSON_BLANK)).to_series()


def element_texts(text: str, start: int) -> tuple[pl.Series, int]:
    """The elements of the array whose ``[`` is at ``start``, each without the white space
    around it (a String column named ``raw``), and the index after the array's ``]``.

    Raises ``ValueError`` when the array is not closed or an element is empty.
    """
    data = text[start:].encode("utf-8")
    found = _separators(data)
    closing = found["depth"].index_of(0)
    if closing is None or found["code"][closing] != _CLOSE[0]:
        raise ValueError(f"the array at character {start} is not closed")
    bounds = found["at"].head(closing + 1).to_list()
    elements = _cut(data, bounds)
    end = bounds[-1] + 1
    if not text.isascii():  # a byte count, as a count of characters
        end = len(data[:end].decode("utf-8"))
    if len(bounds) == 1 and elements[0] == "":
        return elements.clear(), start + end
    if (elements == "").any():
        raise ValueError(f"an empty element in the array at character {start}")
    return elements, start + end
