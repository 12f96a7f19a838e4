"""Reading the source register on SQLite and PostgreSQL, with the contract's table and with a
site's own names (mapped, validated, quoted)."""

import sqlalchemy as sa
from register_source_db import SourceDb

from asset_register.settings import parse_column_mapping
from asset_register.source.demo import demo_rows
from asset_register.source.resource import RegisterSourceResource
from asset_register.source.rules import SOURCE_FIELDS, split_source

BROKEN_IDS = ["itk-00017", "itk-00054", "itk-00091", "itk-00128", "itk-00165"]
SITE_COLUMNS = {
    "asset_id": "AssetID",  # mixed case: must be quoted to be found
    "resource_arn": "arn",
    "owner": "user",  # a reserved word in PostgreSQL
    "status": "order",  # reserved everywhere
}


def test_reads_the_contract_table(source_db: SourceDb) -> None:
    resource = RegisterSourceResource(
        url=source_db.url,
        table=source_db.table,
        db_schema=source_db.schema,
        columns=parse_column_mapping(""),
    )
    rows = resource.read_rows()
    assert len(rows) == 200
    assert list(rows[0]) == list(SOURCE_FIELDS)
    assert [r["asset_id"] for r in rows] == sorted(r["asset_id"] for r in rows)
    assert all(isinstance(r["updated_at"], str) for r in rows)
    validated = split_source(rows)
    assert len(validated.valid) == 195
    assert sorted(b.source_id for b in validated.invalid) == BROKEN_IDS


def test_reads_a_site_table_through_the_column_mapping(source_db: SourceDb) -> None:
    mapping = parse_column_mapping(",".join(f"{k}={v}" for k, v in SITE_COLUMNS.items()))
    site = sa.Table(
        "ItkAssets",
        sa.MetaData(),
        *(sa.Column(mapping[f], sa.Text) for f in SOURCE_FIELDS),
        schema=source_db.schema,
    )
    rows = demo_rows(30)
    engine = source_db.engine()
    try:
        site.create(engine)
        with engine.begin() as connection:
            connection.execute(
                sa.insert(site), [{mapping[k]: v for k, v in r.items()} for r in rows]
            )
    finally:
        engine.dispose()
    resource = RegisterSourceResource(
        url=source_db.url, table="ItkAssets", db_schema=source_db.schema, columns=mapping
    )
    read = resource.read_rows()
    assert [{k: r[k] for k in SOURCE_FIELDS if k != "updated_at"} for r in read] == [
        {k: r[k] for k in SOURCE_FIELDS if k != "updated_at"} for r in rows
    ]
