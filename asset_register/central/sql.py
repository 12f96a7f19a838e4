"""A table-backed central register with the OpenAPI ``Asset``'s columns (SQLite/PostgreSQL).

Same semantics as the HTTP API: hash verification (a bad item rejects the whole batch with
per-item errors), idempotency-key replay from a table, retire recomputing ``content_hash``.
Each batch is one transaction, so a crash leaves a batch either fully applied (and its key
recorded) or not at all.
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from asset_register.central.base import (
    Asset,
    AssetPage,
    CentralRegisterRejected,
    ItemError,
    RequestStats,
    RetireResult,
    UpsertResult,
    check_batch_size,
)
from asset_register.source.reader import create_engine
from asset_register.source.rules import ASSET_FIELDS, asset_item_problems, content_hash

_metadata = sa.MetaData()
ASSETS = sa.Table(
    "central_assets",
    _metadata,
    sa.Column("system", sa.String(63), primary_key=True),
    sa.Column("source_id", sa.Text, primary_key=True),
    *(
        sa.Column(name, sa.Text, nullable=True)
        for name in ASSET_FIELDS
        if name not in {"source_id", "tags"}
    ),
    sa.Column("tags", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
)
IDEMPOTENCY = sa.Table(
    "central_idempotency",
    _metadata,
    sa.Column("system", sa.String(63), primary_key=True),
    sa.Column("idempotency_key", sa.String(128), primary_key=True),
    sa.Column("operation", sa.String(32), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("response", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)


def _to_asset(row: sa.RowMapping) -> Asset:
    asset = {name: row[name] for name in (*ASSET_FIELDS, "content_hash", "system")}
    asset["tags"] = json.loads(row["tags"])
    return asset


def _to_row(system: str, item: Asset) -> dict[str, Any]:
    row = {name: item.get(name) for name in (*ASSET_FIELDS, "content_hash")}
    row["tags"] = json.dumps(item["tags"], sort_keys=True, ensure_ascii=False)
    return {**row, "system": system}


class SqlCentralRegister:
    """The central register as two tables reached by a SQLAlchemy URL."""

    def __init__(self, url: str, system: str) -> None:
        self.system = system
        self.stats = RequestStats()
        self._engine = create_engine(url)
        _metadata.create_all(self._engine)

    def close(self) -> None:
        self._engine.dispose()

    def list_assets(self, page_token: str | None = None, page_size: int = 500) -> AssetPage:
        self.stats.count("list", retry=False)
        query = sa.select(ASSETS).where(ASSETS.c.system == self.system)
        if page_token:
            query = query.where(ASSETS.c.source_id > page_token)
        query = query.order_by(ASSETS.c.source_id).limit(page_size + 1)
        with self._engine.connect() as connection:
            rows = list(connection.execute(query).mappings())
        items = [_to_asset(r) for r in rows[:page_size]]
        more = len(rows) > page_size
        return AssetPage(items, items[-1]["source_id"] if more else None)

    def _replay(self, connection: sa.Connection, key: str) -> dict[str, Any] | None:
        row = connection.execute(
            sa.select(IDEMPOTENCY.c.status, IDEMPOTENCY.c.response).where(
                IDEMPOTENCY.c.system == self.system, IDEMPOTENCY.c.idempotency_key == key
            )
        ).first()
        if row is None:
            return None
        response = json.loads(row.response)
        if row.status == 400:
            raise CentralRegisterRejected([ItemError(**e) for e in response["errors"]])
        return response

    def _remember(
        self, connection: sa.Connection, key: str, operation: str, status: int, response: dict
    ) -> None:
        connection.execute(
            sa.insert(IDEMPOTENCY).values(
                system=self.system,
                idempotency_key=key,
                operation=operation,
                status=status,
                response=json.dumps(response),
            )
        )

    def batch_upsert(self, items: Sequence[Asset], idempotency_key: str) -> UpsertResult:
        check_batch_size(items)
        self.stats.count("batchUpsert", retry=False)
        with self._engine.begin() as connection:
            replay = self._replay(connection, idempotency_key)
            if replay is not None:
                return UpsertResult(**replay)
            errors = [
                {"index": i, "message": "; ".join(problems)}
                for i, item in enumerate(items)
                if (problems := asset_item_problems(item))
            ]
            if errors:
                self._remember(connection, idempotency_key, "batchUpsert", 400, {"errors": errors})
        if errors:
            raise CentralRegisterRejected([ItemError(**e) for e in errors])
        with self._engine.begin() as connection:
            ids = [item["source_id"] for item in items]
            held = dict(
                connection.execute(
                    sa.select(ASSETS.c.source_id, ASSETS.c.content_hash).where(
                        ASSETS.c.system == self.system, ASSETS.c.source_id.in_(ids)
                    )
                ).all()
            )
            upserted = 0
            for item in items:
                previous = held.get(item["source_id"])
                if previous == item["content_hash"]:
                    continue
                upserted += 1
                row = _to_row(self.system, item)
                if previous is None:
                    connection.execute(sa.insert(ASSETS).values(row))
                else:
                    connection.execute(
                        sa.update(ASSETS)
                        .where(
                            ASSETS.c.system == self.system,
                            ASSETS.c.source_id == item["source_id"],
                        )
                        .values(row)
                    )
                held[item["source_id"]] = item["content_hash"]
            result = {"upserted": upserted, "unchanged": len(items) - upserted}
            self._remember(connection, idempotency_key, "batchUpsert", 200, result)
        return UpsertResult(**result)

    def batch_retire(self, source_ids: Sequence[str], idempotency_key: str) -> RetireResult:
        check_batch_size(source_ids)
        self.stats.count("batchRetire", retry=False)
        with self._engine.begin() as connection:
            replay = self._replay(connection, idempotency_key)
            if replay is not None:
                return RetireResult(**replay)
            rows = connection.execute(
                sa.select(ASSETS).where(
                    ASSETS.c.system == self.system,
                    ASSETS.c.source_id.in_(list(source_ids)),
                    ASSETS.c.lifecycle_status != "retired",
                )
            ).mappings()
            retired = 0
            for row in list(rows):
                asset = {**_to_asset(row), "lifecycle_status": "retired"}
                connection.execute(
                    sa.update(ASSETS)
                    .where(ASSETS.c.system == self.system, ASSETS.c.source_id == row["source_id"])
                    .values(lifecycle_status="retired", content_hash=content_hash(asset))
                )
                retired += 1
            result = {"retired": retired}
            self._remember(connection, idempotency_key, "batchRetire", 200, result)
        return RetireResult(**result)
