"""The contract's record rules (contracts/register.md "Source register"), one by one."""

import hashlib
from typing import Any

import pytest
from register_fake_central import ASSET, reference_hash

from asset_register.source.rules import (
    InvalidReason,
    canonical_json,
    canonical_record,
    content_hash,
    split_source,
    validate_source_row,
    with_hash,
)

VALID_ROW: dict[str, Any] = {
    "asset_id": "itk-1",
    "resource_arn": "arn:aws:ec2:eu-central-1:123456789012:instance/i-0abc",
    "resource_type": "AWS::EC2::Instance",
    "account_id": "123456789012",
    "region": "eu-central-1",
    "name": "depot-gateway",
    "environment": "production",
    "owner": "platform-team",
    "cost_center": "CC-1010",
    "criticality": "high",
    "data_classification": "internal",
    "status": "active",
    "tags": '{"team": "itk", "app": "gw"}',
    "updated_at": "2024-05-01T08:00:00",
}


def reasons(**changes: Any) -> set[tuple[str, str]]:
    return {(str(p.reason), p.field) for p in validate_source_row({**VALID_ROW, **changes})}


def test_valid_row_has_no_problems() -> None:
    assert reasons() == set()


@pytest.mark.parametrize(
    "field",
    ["asset_id", "resource_arn", "resource_type", "account_id", "region", "environment",
     "owner", "status", "updated_at"],
)  # fmt: skip
@pytest.mark.parametrize("absent", [None, "", "  "])
def test_not_null_fields_are_required(field: str, absent: str | None) -> None:
    assert ("missing_field", field) in reasons(**{field: absent})


@pytest.mark.parametrize("field", ["name", "cost_center", "criticality", "data_classification"])
def test_nullable_fields_may_be_null(field: str) -> None:
    assert reasons(**{field: None}) == set()


@pytest.mark.parametrize(
    "account", ["12345678901", "1234567890123", "12345678901a", "١٢٣٤٥٦٧٨٩٠١٢"]
)
def test_account_id_is_twelve_ascii_digits(account: str) -> None:
    assert ("bad_account_id", "account_id") in reasons(account_id=account)


@pytest.mark.parametrize(
    "arn",
    ["not-an-arn", "arn:aws:ec2:eu-central-1:123456789012", "arn:aws:ec2:eu-central-1:123456789012:",
     "arn:xyz:ec2:eu-central-1:123456789012:instance/i-1", "ARN:aws:ec2:eu-central-1:123456789012:x"],
)  # fmt: skip
def test_arn_must_parse(arn: str) -> None:
    assert reasons(resource_arn=arn) == {("bad_arn", "resource_arn")}


def test_arn_account_must_agree() -> None:
    arn = "arn:aws:ec2:eu-central-1:999999999999:instance/i-0abc"
    assert reasons(resource_arn=arn) == {("arn_account_mismatch", "resource_arn")}


def test_arn_with_empty_account_agrees_with_any_account() -> None:
    row = {"resource_arn": "arn:aws:s3:::depot-logs", "resource_type": "AWS::S3::Bucket"}
    assert reasons(**row, region="global") == set()


def test_arn_region_must_agree() -> None:
    assert reasons(region="eu-west-1") == {("arn_region_mismatch", "resource_arn")}


def test_global_service_has_empty_arn_region_and_region_global() -> None:
    role = "arn:aws:iam::123456789012:role/deployer"
    assert reasons(resource_arn=role, region="global") == set()
    assert reasons(resource_arn=role) == {("arn_region_mismatch", "resource_arn")}
    assert reasons(region="global") == {("arn_region_mismatch", "resource_arn")}


def test_other_partitions_parse() -> None:
    arn = "arn:aws-cn:ec2:eu-central-1:123456789012:instance/i-0abc"
    assert reasons(resource_arn=arn) == set()


@pytest.mark.parametrize(
    ("field", "value"),
    [("environment", "Production"), ("environment", "production "), ("environment", "prod"),
     ("status", "Active"), ("status", "retired"), ("criticality", "High"), ("criticality", ""),
     ("data_classification", "Internal"), ("data_classification", "secret")],
)  # fmt: skip
def test_enumerated_fields_compare_exactly(field: str, value: str) -> None:
    assert reasons(**{field: value}) == {("bad_enum_value", field)}


@pytest.mark.parametrize("tags", ["[]", '"text"', '{"a": 1}', '{"a": null}', "{not json", "42"])
def test_tags_must_be_a_json_object_of_strings(tags: str) -> None:
    assert reasons(tags=tags) == {("bad_tags", "tags")}


@pytest.mark.parametrize("tags", [None, "", "{}", '{"a": "b", "ö": "ü"}'])
def test_tags_empty_or_object_of_strings_are_valid(tags: str | None) -> None:
    assert reasons(tags=tags) == set()


def test_every_reason_is_reported_not_only_the_first() -> None:
    found = reasons(environment="Prod", account_id="1", tags="[]")
    assert {"bad_enum_value", "bad_account_id", "bad_tags"} <= {r for r, _ in found}


def test_canonical_record_maps_the_contract_fields() -> None:
    row = {**VALID_ROW, "status": "decommissioned", "tags": None, "name": None}
    record = canonical_record(row)
    spec_fields = [f for f in ASSET["properties"] if f not in {"content_hash", "system"}]
    assert sorted(record) == sorted(spec_fields)
    assert record["source_id"] == "itk-1"
    assert record["arn"] == VALID_ROW["resource_arn"]
    assert record["lifecycle_status"] == "retired"
    assert record["tags"] == {}
    assert record["name"] is None
    assert "updated_at" not in record


def test_content_hash_vector() -> None:
    """Hand-written canonical JSON: sorted keys at every level, no whitespace, nulls for
    absent optionals, non-ASCII as itself, UTF-8."""
    record = {
        "source_id": "itk-ä1",
        "arn": "arn:aws:s3:::depot-köln",
        "resource_type": "AWS::S3::Bucket",
        "account_id": "123456789012",
        "region": "global",
        "environment": "production",
        "owner": "Straßenbahn-Team",
        "lifecycle_status": "active",
        "tags": {"z": "1", "a": "ü"},
    }
    expected_json = (
        '{"account_id":"123456789012","arn":"arn:aws:s3:::depot-köln","cost_center":null,'
        '"criticality":null,"data_classification":null,"environment":"production",'
        '"lifecycle_status":"active","name":null,"owner":"Straßenbahn-Team",'
        '"region":"global","resource_type":"AWS::S3::Bucket","source_id":"itk-ä1",'
        '"tags":{"a":"ü","z":"1"}}'
    )
    assert canonical_json(record) == expected_json.encode("utf-8")
    assert content_hash(record) == hashlib.sha256(expected_json.encode("utf-8")).hexdigest()
    assert content_hash(record) == reference_hash(record)


def test_hash_ignores_system_and_content_hash_and_changes_with_any_field() -> None:
    record = with_hash(canonical_record(VALID_ROW))
    assert content_hash({**record, "system": "x", "content_hash": "y"}) == record["content_hash"]
    assert content_hash({**record, "owner": "other"}) != record["content_hash"]


def test_duplicate_asset_ids_make_every_copy_invalid() -> None:
    validated = split_source([VALID_ROW, dict(VALID_ROW), {**VALID_ROW, "asset_id": "itk-2"}])
    assert [r["source_id"] for r in validated.valid] == ["itk-2"]
    assert [p.reason for bad in validated.invalid for p in bad.problems] == [
        InvalidReason.DUPLICATE_ASSET_ID
    ] * 2
