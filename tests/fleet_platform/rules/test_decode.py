"""From landed bytes to text (contracts/fleet.md, "What every input becomes": empty_file,
corrupt_compression, encoding; intellibus's optional BOM; line ends)."""

import gzip

import pytest

from fleet_platform.rules.decode import decode_text, first_nonblank_line, line_series
from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.reasons import FileRejection

LINE = '{"vin":"VFE1BUS0000000001"}\n'


def rejection(data: bytes, compressed: bool) -> FileRejection:
    with pytest.raises(FileRejected) as rejected:
        decode_text(data, compressed)
    return rejected.value.reason


def test_plain_utf8_is_returned_as_is():
    assert decode_text("é;ü\n".encode(), compressed=False) == "é;ü\n"


def test_gzip_is_decompressed_when_compressed():
    assert decode_text(gzip.compress(LINE.encode(), mtime=0), compressed=True) == LINE


def test_compression_is_decided_by_the_flag_not_the_content():
    data = gzip.compress(LINE.encode(), mtime=0)
    assert rejection(data, compressed=False) is FileRejection.ENCODING  # gzip bytes aren't UTF-8


@pytest.mark.parametrize("compressed", [False, True])
def test_zero_bytes_is_empty_file(compressed):
    assert rejection(b"", compressed) is FileRejection.EMPTY_FILE


def test_gzip_of_nothing_is_not_an_empty_file():
    assert decode_text(gzip.compress(b""), compressed=True) == ""


@pytest.mark.parametrize(
    "data",
    [
        gzip.compress(LINE.encode(), mtime=0)[:-10],  # truncated: no trailer
        gzip.compress(LINE.encode(), mtime=0)[:15],  # truncated inside the header/stream
        LINE.encode(),  # not gzip at all
        b"\x1f\x8b",  # only the magic
        gzip.compress(LINE.encode(), mtime=0) + b"garbage",  # trailing bytes after the stream
    ],
    ids=["truncated-trailer", "truncated-stream", "plain-text", "magic-only", "trailing-garbage"],
)
def test_a_broken_gzip_stream_is_corrupt_compression(data):
    assert rejection(data, compressed=True) is FileRejection.CORRUPT_COMPRESSION


def test_a_corrupted_byte_inside_gzip_is_corrupt_compression():
    data = bytearray(gzip.compress((LINE * 50).encode()))
    data[len(data) // 2] ^= 0xFF
    assert rejection(bytes(data), compressed=True) is FileRejection.CORRUPT_COMPRESSION


@pytest.mark.parametrize(
    "data",
    [
        "VIN;DATE\nVFE;été\n".encode("latin-1"),
        b"\xff\xfeV\x00I\x00N\x00",  # UTF-16
        b'{"vin":"\xc3"}',  # truncated multi-byte sequence
    ],
)
def test_bytes_that_are_not_utf8_are_encoding(data):
    assert rejection(data, compressed=False) is FileRejection.ENCODING


def test_not_utf8_inside_gzip_is_encoding():
    data = gzip.compress("été".encode("latin-1"), mtime=0)
    assert rejection(data, compressed=True) is FileRejection.ENCODING


def test_the_detail_names_the_byte_offset():
    with pytest.raises(FileRejected) as rejected:
        decode_text(b"abc\xffdef", compressed=False)
    assert "byte 3" in rejected.value.detail


def test_a_leading_bom_is_dropped():
    assert decode_text(b"\xef\xbb\xbfVIN;DATE\n", compressed=False) == "VIN;DATE\n"
    assert decode_text(gzip.compress(b"\xef\xbb\xbfVIN\n"), compressed=True) == "VIN\n"


def test_a_bom_elsewhere_is_kept():
    assert decode_text("a\ufeffb".encode(), compressed=False) == "a\ufeffb"


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("a\nb\n", ["a", "b", ""]),
        ("a\r\nb\r\n", ["a", "b", ""]),
        ("a\r\nb\nc", ["a", "b", "c"]),
        ("a\n\n\nb", ["a", "", "", "b"]),
        ("a\rb", ["a", "b"]),
        ("a\r\nb\rc\r\n", ["a", "b", "c", ""]),  # CRLF and a lone CR in one text
        ("a\r\r\nb", ["a", "", "b"]),  # a lone CR just before a CRLF
        ("\r\n\r\n", ["", "", ""]),
        ("a\r", ["a", ""]),
        ("", [""]),
    ],
)
def test_lines_handle_lf_crlf_and_cr(text, lines):
    assert line_series(text).to_list() == lines


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("a\nb\n", "a"),
        ("\n  \r\n\t\n x ;y \r\nb", " x ;y "),
        ("\r\rhead\rb", "head"),
        ("only", "only"),
        (" \n\t\r\n", ""),
        ("", ""),
    ],
)
def test_the_first_nonblank_line_is_found_without_splitting(text, first):
    assert first_nonblank_line(text) == first
    assert first == next((line for line in line_series(text) if line.strip()), "")


def test_gzip_members_one_after_another_are_one_text():
    first, second = (gzip.compress(text.encode(), mtime=0) for text in ("a\n", "b\n"))
    assert decode_text(first + second, compressed=True) == "a\nb\n"
    assert decode_text(first + b"\0" * 8, compressed=True) == "a\n"  # padding after a stream
