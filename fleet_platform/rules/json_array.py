"""The exact text of each element of a JSON array, found without decoding the elements.

Used by the rFMS bulk path (:mod:`fleet_platform.rules.rfms`): polars then decodes all
the texts at once. Only the array's structure is read here (strings, brackets, commas);
whether each element is valid JSON is for the decoder to say.

The structure is read from the UTF-8 bytes: every byte of a multi-byte character is
above 0x7F, so the structural characters are found at their own bytes, and the elements
are cut from the bytes into a polars column without a Python string per element.
"""

import re

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
    return pl.any_horizontal(code == value for value in codes)


def _escaped_quotes(data: bytes) -> list[int]:
    """Positions of the quotes that a backslash escapes (an odd run of backslashes)."""
    return [
        match.end() - 1
        for match in _ESCAPED_QUOTE.finditer(data)
        if (match.end() - match.start() - 1) % 2
    ]


def _separators(data: bytes) -> pl.DataFrame:
    """The commas between the elements of the array that ``data`` starts with and the
    brackets that close it (depth 0), in order: ``at`` (byte position) and ``code``."""
    code, depth = pl.col("code"), pl.col("depth")
    marks = (
        pl.LazyFrame({"code": _byte_codes(data)})
        .with_row_index("at")
        .filter(_any_of([_QUOTE, _COMMA, *_OPEN, *_CLOSE]))
    )
    if b"\\" in data:
        marks = marks.filter(~pl.col("at").is_in(_escaped_quotes(data)))
    # outside strings an even number of quotes precede a mark (a closing quote steps 0)
    outside = ((code == _QUOTE).cum_sum() % 2 == 0) & (code != _QUOTE)
    step = _any_of(_OPEN).cast(pl.Int32) - _any_of(_CLOSE).cast(pl.Int32)
    return (
        marks.filter(outside)
        .with_columns(depth=step.cum_sum())
        .filter((depth == 0) | ((depth == 1) & (code == _COMMA)))
        .collect(engine="in-memory")
    )


def _cut(data: bytes, bounds: pl.Series) -> pl.Series:
    """The bytes between consecutive ``bounds`` (each bound itself left out), as text
    without the white space around it."""
    offsets = pl.concat([pl.Series([0], dtype=pl.Int32), bounds.cast(pl.Int32)]).to_arrow()
    pieces = pa.StringArray.from_buffers(len(bounds), offsets.buffers()[1], pa.py_buffer(data))
    # each piece starts with the bound before it: the ``[`` or a comma
    return pl.Series("raw", pieces).str.slice(1).str.strip_chars(_JSON_BLANK)


def element_texts(text: str, start: int) -> tuple[pl.Series, int]:
    """The elements of the array whose ``[`` is at ``start``, each without the white space
    around it (a String column named ``raw``), and the index after the array's ``]``.

    Raises ``ValueError`` when the array is not closed or an element is empty.
    """
    data = text[start:].encode("utf-8")
    found = _separators(data)
    closing = found["depth"].eq(0).arg_true()
    if closing.is_empty() or found["code"][closing[0]] != _CLOSE[0]:
        raise ValueError(f"the array at character {start} is not closed")
    bounds = found["at"].head(closing[0] + 1)
    elements = _cut(data, bounds)
    end = bounds[-1] + 1
    if not text.isascii():  # a byte count, as a count of characters
        end = len(data[:end].decode("utf-8"))
    if elements.len() == 1 and elements[0] == "":
        return elements.clear(), start + end
    if (elements == "").any():
        raise ValueError(f"an empty element in the array at character {start}")
    return elements, start + end
