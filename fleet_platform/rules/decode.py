"""From landed bytes to text: empty files, gzip, UTF-8 and the BOM (contracts/fleet.md)."""

import gzip
import re
import zlib

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.reasons import FileRejection

_BOM = "\ufeff"


def decode_text(data: bytes, compressed: bool) -> str:
    """Decompress (when ``compressed``) and decode UTF-8, dropping a leading BOM."""
    if not data:
        raise FileRejected(FileRejection.EMPTY_FILE, "the file has 0 bytes")
    if compressed:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise FileRejected(
                FileRejection.CORRUPT_COMPRESSION, f"not a complete gzip stream: {error}"
            ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FileRejected(
            FileRejection.ENCODING,
            f"not UTF-8 at byte {error.start}: {data[error.start : error.start + 8]!r}",
        ) from None
    return text.removeprefix(_BOM)


def line_series(text: str, name: str = "raw") -> pl.Series:
    """Lines of a text file without their line ends (``\\n``, ``\\r\\n`` or a lone ``\\r``),
    split by Arrow: no Python string per line, and a third less CPU than polars' split."""
    crlf_only = "\r" in text and text.count("\r") == text.count("\r\n")
    if "\r" in text and not crlf_only:  # a lone carriage return ends a line too
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    pieces = pc.split_pattern(pa.array([text], type=pa.large_string()), "\n")
    lines = pl.Series(name, pc.list_flatten(pieces), dtype=pl.String)
    # stripping the one "\r" left at the end of each line costs less than rewriting the text
    return lines.str.strip_suffix("\r") if crlf_only else lines


_LINE_REST = re.compile(r"[^\r\n]*")


def first_nonblank_line(text: str) -> str:
    """The first of :func:`line_series` that is not only white space (``""`` if none),
    without splitting the whole text."""
    start = len(text) - len(text.lstrip())
    if start == len(text):
        return ""
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    return _LINE_REST.match(text, line_start).group()  # type: ignore[union-attr]
