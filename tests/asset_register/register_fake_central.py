"""A loopback central register that follows central-register.openapi.yaml, with faults.

Independent of the code under test: the Asset schema (required fields, enums, patterns) is
read from the shared OpenAPI file and the canonical hash is written out again here.
Faults are queued and consumed by the next matching request:
``429`` (with Retry-After), ``503``, ``drop`` (close the socket before doing anything) and
``lost`` (apply the request, then close the socket without answering).
"""

import hashlib
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "contracts"
SPEC = yaml.safe_load((CONTRACT / "central-register.openapi.yaml").read_text())
ASSET = SPEC["components"]["schemas"]["Asset"]
HASHED_FIELDS = [f for f in ASSET["properties"] if f not in {"content_hash", "system"}]
MAX_ITEMS = SPEC["paths"]["/v1/systems/{system}/assets:batchUpsert"]["post"]["requestBody"][
    "content"
]["application/json"]["schema"]["properties"]["items"]["maxItems"]
TOKEN = "test-token"
PATH_RE = re.compile(r"/v1/systems/(?P<system>[a-z0-9][a-z0-9-]{1,62})/assets(?P<op>:\w+)?")


def reference_hash(item: dict[str, Any]) -> str:
    body = {f: item.get(f) for f in HASHED_FIELDS}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def item_errors(item: Any) -> list[str]:
    if not isinstance(item, dict):
        return ["not an object"]
    errors = [f"{f} required" for f in ASSET["required"] if item.get(f) is None]
    for name, prop in ASSET["properties"].items():
        value = item.get(name)
        if value is None:
            if name in ASSET["required"] and not prop.get("nullable"):
                continue  # reported above
            continue
        if prop.get("readOnly"):
            continue
        if prop["type"] == "string" and not isinstance(value, str):
            errors.append(f"{name} must be a string")
        elif "enum" in prop and value not in prop["enum"]:
            errors.append(f"{name} must be one of {prop['enum']}")
        elif "pattern" in prop and not re.search(prop["pattern"], value):
            errors.append(f"{name} must match {prop['pattern']}")
        elif prop["type"] == "object" and not (
            isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        ):
            errors.append(f"{name} must be an object of strings")
    if not errors and item["content_hash"] != reference_hash(item):
        errors.append("content_hash does not match")
    return errors


@dataclass
class Fault:
    kind: str  # "429" | "503" | "drop" | "lost"
    method: str | None = None  # GET | POST | None for any
    op: str | None = None  # ":batchUpsert" | ":batchRetire" | "" (list) | None for any
    retry_after: str = "0"


class FakeCentral:
    """State and behaviour of the fake; one instance per test."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.records: dict[tuple[str, str], dict[str, Any]] = {}
        self.idempotency: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str]] = []  # (method, op) of every request received
        self.writes: Counter[str] = Counter()  # source_id → times a change was applied
        self.reject_ids: set[str] = set()
        self.posts_before_outage: int | None = None  # after N applied POSTs: 503 forever
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> "FakeCentral":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.handle(self, "GET")

            def do_POST(self) -> None:
                fake.handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- views for assertions ----------------------------------------------------------
    def assets(self, system: str) -> dict[str, dict[str, Any]]:
        return {sid: rec for (sys_, sid), rec in self.records.items() if sys_ == system}

    def count(self, method: str, op: str | None = None) -> int:
        return sum(1 for m, o in self.log if m == method and (op is None or o == op))

    def seed(self, system: str, items: list[dict[str, Any]]) -> None:
        for item in items:
            self.records[(system, item["source_id"])] = {**item, "system": system}

    # -- request handling --------------------------------------------------------------
    def _take_fault(self, method: str, op: str) -> Fault | None:
        for fault in self.faults:
            if fault.method in (None, method) and fault.op in (None, op):
                self.faults.remove(fault)
                return fault
        return None

    def handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        match = PATH_RE.fullmatch(parts.path)
        op = (match.group("op") or "") if match else "?"
        with self.lock:
            self.log.append((method, op))
            fault = self._take_fault(method, op)
            if fault and fault.kind == "drop":
                request.close_connection = True
                return
            if fault and fault.kind in {"429", "503"}:
                headers = {"Retry-After": fault.retry_after} if fault.kind == "429" else {}
                return self._send(request, int(fault.kind), {"error": "fault"}, headers)
            status, body = self._respond(request, method, parts, match, raw)
            if fault and fault.kind == "lost":
                request.close_connection = True
                return
        self._send(request, status, body)

    def _respond(
        self, request: BaseHTTPRequestHandler, method: str, parts: Any, match: Any, raw: bytes
    ) -> tuple[int, dict[str, Any]]:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": "unauthorized"}
        if not match:
            return 404, {"error": "not found"}
        system, op = match.group("system"), match.group("op") or ""
        if method == "GET" and op == "":
            return self._list(system, parse_qs(parts.query))
        if method != "POST" or op not in {":batchUpsert", ":batchRetire"}:
            return 404, {"error": "not found"}
        if self.posts_before_outage is not None and self.posts_before_outage <= 0:
            return 503, {"error": "outage"}
        key = request.headers.get("Idempotency-Key")
        if not key or len(key) > 128:
            return 400, {"errors": [{"message": "Idempotency-Key header required (≤128)"}]}
        if (system, key) in self.idempotency:
            return self.idempotency[(system, key)]
        body = json.loads(raw or b"{}")
        field = "items" if op == ":batchUpsert" else "source_ids"
        payload = body.get(field)
        if not isinstance(payload, list):
            return 400, {"errors": [{"message": f"{field} required"}]}
        if len(payload) > MAX_ITEMS:
            return 413, {"error": f"more than {MAX_ITEMS} items"}
        result = (
            self._upsert(system, payload) if op == ":batchUpsert" else self._retire(system, payload)
        )
        if result[0] in {200, 400}:
            self.idempotency[(system, key)] = result
        if result[0] == 200 and self.posts_before_outage is not None:
            self.posts_before_outage -= 1
        return result

    def _list(self, system: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        size = int(query.get("page_size", ["500"])[0])
        if not 1 <= size <= 1000:
            return 400, {"errors": [{"message": "page_size must be 1..1000"}]}
        start = int(query.get("page_token", ["0"])[0])
        ids = sorted(self.assets(system))
        page = ids[start : start + size]
        more = start + size < len(ids)
        items = [self.records[(system, i)] for i in page]
        return 200, {"items": items, "next_page_token": str(start + size) if more else None}

    def _upsert(self, system: str, items: list[Any]) -> tuple[int, dict[str, Any]]:
        errors = [
            {"index": i, "message": "; ".join(problems)}
            for i, item in enumerate(items)
            if (problems := item_errors(item))
            or (
                problems := ["rejected by policy"]
                if item.get("source_id") in self.reject_ids
                else []
            )
        ]
        if errors:
            return 400, {"errors": errors}
        upserted = 0
        for item in items:
            stored = {**{f: item.get(f) for f in ASSET["properties"]}, "system": system}
            current = self.records.get((system, item["source_id"]))
            if current and current["content_hash"] == item["content_hash"]:
                continue
            self.records[(system, item["source_id"])] = stored
            self.writes[item["source_id"]] += 1
            upserted += 1
        return 200, {"upserted": upserted, "unchanged": len(items) - upserted}

    def _retire(self, system: str, source_ids: list[Any]) -> tuple[int, dict[str, Any]]:
        retired = 0
        for source_id in source_ids:
            current = self.records.get((system, source_id))
            if current is None or current["lifecycle_status"] == "retired":
                continue
            current["lifecycle_status"] = "retired"
            current["content_hash"] = reference_hash(current)
            self.writes[source_id] += 1
            retired += 1
        return 200, {"retired": retired}

    def _send(
        self,
        request: BaseHTTPRequestHandler,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)
