"""Hand-made canonical records for the asset register tests."""

from typing import Any

from asset_register.source.rules import with_hash

SYSTEM = "dbrb-itk"


def asset(i: int, **changes: Any) -> dict[str, Any]:
    base = {
        "source_id": f"itk-{i:03d}",
        "arn": f"arn:aws:sqs:eu-central-1:123456789012:queue-{i}",
        "resource_type": "AWS::SQS::Queue",
        "account_id": "123456789012",
        "region": "eu-central-1",
        "name": f"queue-{i}",
        "environment": "staging",
        "owner": "platform-team",
        "cost_center": None,
        "criticality": "low",
        "data_classification": None,
        "lifecycle_status": "active",
        "tags": {"n": str(i)},
    }
    return with_hash({**base, **changes})
