"""Rejection reasons and row fates: one vocabulary for code, tables and docs (contracts/fleet.md)."""

from enum import StrEnum


class FileRejection(StrEnum):
    """Why a whole landed file is rejected (one row in ``gold/rejected_files``)."""

    BAD_KEY = "bad_key"
    UNSUPPORTED_FORMAT = "unsupported_format"
    EMPTY_FILE = "empty_file"
    CORRUPT_COMPRESSION = "corrupt_compression"
    ENCODING = "encoding"
    SCHEMA_MISMATCH = "schema_mismatch"
    MALFORMED_DOCUMENT = "malformed_document"


class RowRejection(StrEnum):
    """Why one row of an accepted file is rejected, in precedence order: a row with
    several problems takes the first."""

    MALFORMED_ROW = "malformed_row"
    MISSING_FIELD = "missing_field"
    INVALID_VIN = "invalid_vin"
    UNPARSEABLE_TIME = "unparseable_time"


class RowFate(StrEnum):
    """What every non-blank row of an accepted file becomes."""

    CLEAN = "clean"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class DateStatus(StrEnum):
    """``date_status`` of a kept row; ``unparseable`` only appears in the KPI tables."""

    OK = "ok"
    FUTURE = "future"
    BEFORE_2000 = "before_2000"
    UNPARSEABLE = "unparseable"


class Source(StrEnum):
    """The three gateways that land telemetry."""

    PCM = "pcm"
    INTELLIBUS = "intellibus"
    RFMS = "rfms"
