"""From landed bytes to text: empty files, gzip, UTF-8 and the BOM (contracts/fleet.md)."""

import gzip
import zlib

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


def split_lines(text: str) -> list[str]:
    """Lines of a text file without their line ends (``\\n``, ``\\r\\n`` or a lone ``\\r``)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
