"""The exact text of each element of a JSON array, found without decoding the elements.

Used by the rFMS bulk path (:mod:`fleet_platform.rules.rfms`): polars then decodes all
the texts at once. Only the array's structure is read here (strings, brackets, commas);
whether each element is valid JSON is for the decoder to say.
"""

import re
from itertools import pairwise

import polars as pl
import pyarrow as pa

_QUOTE, _COMMA = ord('"'), ord(",")
_OPEN, _CLOSE = [ord("["), ord("{")], [ord("]"), ord("}")]
_STRUCTURAL = [_QUOTE, _COMMA, *_OPEN, *_CLOSE]
_ESCAPED_QUOTE = re.compile(r'\\+"')
_JSON_BLANK = " \t\n\r"


def _code_points(text: str) -> pl.Series:
    """One integer per character of ``text`` (zero-copy from the encoded bytes)."""
    data, dtype = (
        (text.encode("ascii"), pa.uint8())
        if text.isascii()
        else (text.encode("utf-32-le"), pa.uint32())
    )
    return pl.from_arrow(pa.Array.from_buffers(dtype, len(text), [None, pa.py_buffer(data)]))


def _escaped_quotes(text: str) -> list[int]:
    """Positions of the quotes that a backslash escapes (an odd run of backslashes)."""
    return [
        match.end() - 1
        for match in _ESCAPED_QUOTE.finditer(text)
        if (match.end() - match.start() - 1) % 2
    ]


def element_texts(text: str, start: int) -> tuple[list[str], int]:
    """The elements of the array whose ``[`` is at ``start``, each without the white space
    around it, and the index after the array's ``]``.

    Raises ``ValueError`` when the array is not closed or an element is empty.
    """
    tail = text[start:]
    code, depth = pl.col("code"), pl.col("depth")
    marks = pl.DataFrame({"code": _code_points(tail)}).with_row_index("at")
    marks = marks.filter(code.is_in(_STRUCTURAL))
    if "\\" in tail:
        marks = marks.filter(~pl.col("at").is_in(_escaped_quotes(tail)))
    # outside strings an even number of quotes precede a mark (a closing quote steps 0)
    step = code.is_in(_OPEN).cast(pl.Int32) - code.is_in(_CLOSE).cast(pl.Int32)
    found = (
        marks.filter((code == _QUOTE).cum_sum() % 2 == 0)
        .with_columns(depth=step.cum_sum())
        .filter((depth == 0) | ((depth == 1) & (code == _COMMA)))
    )
    closing = found["depth"].eq(0).arg_true()
    if closing.is_empty() or found["code"][closing[0]] != _CLOSE[0]:
        raise ValueError(f"the array at character {start} is not closed")
    end = found["at"][closing[0]]
    commas = found["at"].head(closing[0])
    bounds = [0, *commas, end]
    elements = [tail[a + 1 : b].strip(_JSON_BLANK) for a, b in pairwise(bounds)]
    if elements == [""]:
        return [], start + end + 1
    if "" in elements:
        raise ValueError(f"an empty element in the array at character {start}")
    return elements, start + end + 1
