"""From landed bytes to text: empty files, gzip, UTF-8 and the BOM (contracts/fleet.md)."""

import re

import polars as pl
from isal import igzip, isal_zlib

from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.reasons import FileRejection

_BOM = "\ufeff"


def decode_text(data: bytes, compressed: bool) -> str:
    """Decompress (when ``compressed``) and decode UTF-8, dropping a leading BOM."""
    if not data:
        raise FileRejected(FileRejection.EMPTY_FILE, "the file has 0 bytes")
    if compressed:
        try:
            # ISA-L's gzip: the same streams as the standard library's (several members,
            # trailing zeros) at about a third of its CPU (measured on a day's files)
            data = igzip.decompress(data)
        except (OSError, EOFError, isal_zlib.error) as error:
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


def _lf_only(text: str) -> str:
    if "\r" not in text:  # one fast scan instead of two copies
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def line_series(text: str, name: str = "raw") -> pl.Series:
    """Lines of a text file without their line ends (``\\n``, ``\\r\\n`` or a lone ``\\r``),
    split by polars: no Python string per line."""
    return pl.Series(name, [_lf_only(text)], dtype=pl.String).str.split("\n").explode()


_LINE_REST = re.compile(r"[^\r\n]*")


def first_nonblank_line(text: str) -> str:
    """The first of :func:`line_series` that is not only white space (``""`` if none),
    without splitting the whole text."""
    start = len(text) - len(text.lstrip())
    if start == len(text):
        return ""
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    return _LINE_REST.match(text, line_start).group()  # type: ignore[union-attr]
