"""The contract's record rules as pure functions (contracts/register.md, OpenAPI ``Asset``).

No Dagster, no I/O: a source row (a mapping of the source table's canonical column names to
values) is validated field by field, and a valid one becomes the canonical record the central
register receives, with its ``content_hash``.
"""

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SOURCE_FIELDS: tuple[str, ...] = (
    "asset_id",
    "resource_arn",
    "resource_type",
    "account_id",
    "region",
    "name",
    "environment",
    "owner",
    "cost_center",
    "criticality",
    "data_classification",
    "status",
    "tags",
    "updated_at",
)
"""Columns of the contract's ``asset_register`` table (the canonical names of the mapping)."""

NULLABLE_SOURCE_FIELDS = frozenset(
    {"name", "cost_center", "criticality", "data_classification", "tags"}
)
REQUIRED_SOURCE_FIELDS: tuple[str, ...] = tuple(
    f for f in SOURCE_FIELDS if f not in NULLABLE_SOURCE_FIELDS
)
"""The NOT NULL columns."""

ENVIRONMENTS = frozenset({"production", "staging", "development", "sandbox"})
CRITICALITIES = frozenset({"low", "medium", "high", "critical"})
DATA_CLASSIFICATIONS = frozenset({"public", "internal", "confidential", "strictly_confidential"})
SOURCE_STATUSES = frozenset({"active", "decommissioned"})
LIFECYCLE_STATUSES = frozenset({"active", "retired"})
LIFECYCLE_BY_STATUS = {"active": "active", "decommissioned": "retired"}
GLOBAL_REGION = "global"

ASSET_FIELDS: tuple[str, ...] = (
    "source_id",
    "arn",
    "resource_type",
    "account_id",
    "region",
    "name",
    "environment",
    "owner",
    "cost_center",
    "criticality",
    "data_classification",
    "lifecycle_status",
    "tags",
)
"""Fields of the OpenAPI ``Asset`` that ``content_hash`` covers (all but content_hash, system)."""

_ACCOUNT_RE = re.compile(r"[0-9]{12}")
_ARN_RE = re.compile(
    r"arn:(?P<partition>aws(?:-[a-z]+)*):(?P<service>[a-z0-9][a-z0-9-]*)"
    r":(?P<region>[^:]*):(?P<account>[^:]*):(?P<resource>.+)",
    re.DOTALL,
)

Record = dict[str, Any]


class InvalidReason(StrEnum):
    """Why a source record is invalid: one vocabulary for code, tables and docs."""

    MISSING_FIELD = "missing_field"
    BAD_ACCOUNT_ID = "bad_account_id"
    BAD_ARN = "bad_arn"
    ARN_ACCOUNT_MISMATCH = "arn_account_mismatch"
    ARN_REGION_MISMATCH = "arn_region_mismatch"
    BAD_ENUM_VALUE = "bad_enum_value"
    BAD_TAGS = "bad_tags"
    DUPLICATE_ASSET_ID = "duplicate_asset_id"


@dataclass(frozen=True)
class Problem:
    """One reason a record is invalid, with the field and a sentence for people."""

    reason: InvalidReason
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.reason}({self.field}): {self.message}"


@dataclass(frozen=True)
class ParsedArn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(text: str) -> ParsedArn | None:
    """Split ``arn:partition:service:region:account:resource``; ``None`` when it isn't one."""
    match = _ARN_RE.fullmatch(text)
    return ParsedArn(**match.groupdict()) if match else None


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_tags(value: Any) -> dict[str, str] | None:
    """Tags as a dict: empty → ``{}``; ``None`` when not a JSON object of strings."""
    if _is_missing(value):
        return {}
    try:
        tags = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        return None
    return tags


def _enum_problem(field: str, value: Any, allowed: frozenset[str]) -> Problem | None:
    if value in allowed:
        return None
    return Problem(
        InvalidReason.BAD_ENUM_VALUE,
        field,
        f"{value!r} is not one of {', '.join(sorted(allowed))} (exact case)",
    )


def _arn_problems(row: Mapping[str, Any]) -> list[Problem]:
    arn_text, account, region = row["resource_arn"], row["account_id"], row["region"]
    arn = parse_arn(arn_text)
    if arn is None:
        return [
            Problem(
                InvalidReason.BAD_ARN,
                "resource_arn",
                f"{arn_text!r} is not arn:partition:service:region:account:resource",
            )
        ]
    problems = []
    if arn.account and arn.account != account:
        problems.append(
            Problem(
                InvalidReason.ARN_ACCOUNT_MISMATCH,
                "resource_arn",
                f"ARN account {arn.account!r} differs from account_id {account!r}",
            )
        )
    expected_region = "" if region == GLOBAL_REGION else region
    if arn.region != expected_region:
        shown = arn.region or "empty (global service)"
        problems.append(
            Problem(
                InvalidReason.ARN_REGION_MISMATCH,
                "resource_arn",
                f"ARN region {shown} does not agree with region {region!r}"
                " (a global service has an empty ARN region and region 'global')",
            )
        )
    return problems


def validate_source_row(row: Mapping[str, Any]) -> list[Problem]:
    """Every reason the record is invalid under the contract; empty when it is valid.

    NOT NULL fields must be present (``None`` or blank text counts as absent); values are
    compared exactly, no case or whitespace normalisation.
    """
    missing = [f for f in REQUIRED_SOURCE_FIELDS if _is_missing(row.get(f))]
    problems = [
        Problem(InvalidReason.MISSING_FIELD, f, f"{f} is required (NOT NULL)") for f in missing
    ]
    account = row.get("account_id")
    if "account_id" not in missing and not (
        isinstance(account, str) and _ACCOUNT_RE.fullmatch(account)
    ):
        problems.append(
            Problem(InvalidReason.BAD_ACCOUNT_ID, "account_id", f"{account!r} is not 12 digits")
        )
    if not {"resource_arn", "account_id", "region"} & set(missing):
        problems.extend(_arn_problems(row))
    enums = [
        ("environment", ENVIRONMENTS, False),
        ("status", SOURCE_STATUSES, False),
        ("criticality", CRITICALITIES, True),
        ("data_classification", DATA_CLASSIFICATIONS, True),
    ]
    for field, allowed, nullable in enums:
        value = row.get(field)
        if field in missing or (nullable and value is None):
            continue
        problem = _enum_problem(field, value, allowed)
        if problem:
            problems.append(problem)
    if parse_tags(row.get("tags")) is None:
        problems.append(
            Problem(
                InvalidReason.BAD_TAGS,
                "tags",
                f"{row.get('tags')!r} is neither empty nor a JSON object of strings",
            )
        )
    return problems


def canonical_record(row: Mapping[str, Any]) -> Record:
    """The ``Asset`` fields (without ``content_hash``/``system``) of a *valid* source row."""
    tags = parse_tags(row.get("tags"))
    if tags is None:
        raise ValueError(f"{row.get('asset_id')!r}: tags are invalid; validate first")
    return {
        "source_id": row["asset_id"],
        "arn": row["resource_arn"],
        "resource_type": row["resource_type"],
        "account_id": row["account_id"],
        "region": row["region"],
        "name": row.get("name"),
        "environment": row["environment"],
        "owner": row["owner"],
        "cost_center": row.get("cost_center"),
        "criticality": row.get("criticality"),
        "data_classification": row.get("data_classification"),
        "lifecycle_status": LIFECYCLE_BY_STATUS[row["status"]],
        "tags": tags,
    }


def canonical_json(record: Mapping[str, Any]) -> bytes:
    """The OpenAPI's canonical JSON of a record: every ``Asset`` field except content_hash and
    system, absent optional fields as null, keys sorted at every level, no whitespace,
    non-ASCII as itself, UTF-8."""
    body = {field: record.get(field) for field in ASSET_FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def content_hash(record: Mapping[str, Any]) -> str:
    """Lower-case hex SHA-256 of :func:`canonical_json`."""
    return hashlib.sha256(canonical_json(record)).hexdigest()


def with_hash(record: Mapping[str, Any]) -> Record:
    """The record's ``Asset`` fields plus its ``content_hash``."""
    body = {field: record.get(field) for field in ASSET_FIELDS}
    return {**body, "content_hash": content_hash(body)}


def asset_item_problems(item: Mapping[str, Any]) -> list[str]:
    """What a central register refuses in one ``Asset`` item of a batchUpsert (server side):
    missing required fields, schema violations, a ``content_hash`` that doesn't match."""
    optional = {"name", "cost_center", "criticality", "data_classification"}
    required = [f for f in ASSET_FIELDS if f not in optional]
    problems = [f"{f} is required" for f in [*required, "content_hash"] if item.get(f) is None]
    if problems:
        return problems
    checks = [
        (
            "account_id",
            isinstance(item["account_id"], str) and _ACCOUNT_RE.fullmatch(item["account_id"]),
        ),
        ("environment", item["environment"] in ENVIRONMENTS),
        ("lifecycle_status", item["lifecycle_status"] in LIFECYCLE_STATUSES),
        ("criticality", item.get("criticality") is None or item["criticality"] in CRITICALITIES),
        (
            "data_classification",
            item.get("data_classification") is None
            or item["data_classification"] in DATA_CLASSIFICATIONS,
        ),
        (
            "tags",
            isinstance(item["tags"], dict)
            and all(isinstance(v, str) for v in item["tags"].values()),
        ),
    ]
    problems = [f"{field} is invalid: {item.get(field)!r}" for field, ok in checks if not ok]
    if not problems and item["content_hash"] != content_hash(item):
        problems.append("content_hash does not match the record's canonical JSON")
    return problems


@dataclass(frozen=True)
class InvalidRecord:
    """A source row that is not pushed, with every reason."""

    row: Mapping[str, Any]
    problems: tuple[Problem, ...]

    @property
    def source_id(self) -> str | None:
        value = self.row.get("asset_id")
        return None if value is None else str(value)


@dataclass(frozen=True)
class ValidatedSource:
    """A source read split into canonical records (with hash) and invalid rows."""

    valid: list[Record]
    invalid: list[InvalidRecord]


def split_source(rows: list[Mapping[str, Any]]) -> ValidatedSource:
    """Validate every row; valid rows become canonical records with ``content_hash``.

    Besides the contract's rules, an ``asset_id`` that occurs more than once (possible only
    when the mapping points at a table without the contract's primary key) makes every row
    carrying it invalid, so the push never has to guess which one is meant.
    """
    counts: dict[Any, int] = {}
    for row in rows:
        counts[row.get("asset_id")] = counts.get(row.get("asset_id"), 0) + 1
    valid: list[Record] = []
    invalid: list[InvalidRecord] = []
    for row in rows:
        problems = validate_source_row(row)
        asset_id = row.get("asset_id")
        if asset_id is not None and counts[asset_id] > 1:
            problems.append(
                Problem(
                    InvalidReason.DUPLICATE_ASSET_ID,
                    "asset_id",
                    f"{asset_id!r} occurs {counts[asset_id]} times in the source",
                )
            )
        if problems:
            invalid.append(InvalidRecord(row, tuple(problems)))
        else:
            valid.append(with_hash(canonical_record(row)))
    return ValidatedSource(valid, invalid)
