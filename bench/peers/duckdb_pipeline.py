"""Peer: the fleet contract (shared/contracts/fleet.md) as DuckDB SQL.

    python bench/peers/duckdb_pipeline.py LANDING OUT

Parses the three formats, classifies every row (precedence malformed_row > missing_field
> invalid_vin > unparseable_time), normalises, finds duplicates (first kept wins in
(ingest_date, key) / row order), joins the fleet reference, and writes bronze, silver and
the gold tables as Parquet under ``OUT`` (``landed.output``). The whole landing is one
batch on an empty warehouse, as ``bench/engines.py`` runs every alternative.

The Python driver only lists, reads and decodes the files (``landed.py``: key rules,
``empty_file``, ``corrupt_compression``, ``encoding``, BOM): DuckDB can't gunzip a BLOB,
and its readers fail a whole query on one corrupt stream or one invalid UTF-8 byte. The
decoded texts go to DuckDB as Arrow, in batches; everything after that is SQL, including
the format-level file rejections (``schema_mismatch``, ``malformed_document``).

Contract corners this peer does not do like the polars pipeline (see bench/README.md):
- rFMS ``raw`` in bronze is the status re-serialised by DuckDB (minified), not the
  landed text; a repeated key in a JSON object keeps its first value in both formats.
- DuckDB's JSON reader accepts ``NaN`` / ``Infinity``: a non-finite optional number
  makes a pcm row ``malformed_row`` as in the pipeline, but an rFMS document holding
  one is not rejected, and a non-finite number in an ignored field is not seen.
- An integer ``ts`` / ``recv_ts`` wider than 64 bits is ``malformed_row`` here
  (``unparseable_time`` in the pipeline).
- A CSV field with text after its closing quote (``"ab"c``) loses that text (Python's
  csv reader keeps it), which can change the field count.
"""

from pathlib import Path

import duckdb
import pyarrow as pa
from landed import (
    DECIMAL,
    GOLD_TABLES,
    ID_LENGTH,
    ID_SEPARATOR,
    RFC3339,
    VIN_PATTERN,
    WHITESPACE,
    ZSTD_LEVEL,
    arguments,
    loaded_files,
    output,
)

from fleet_platform.rules import schema
from fleet_platform.rules.intellibus import REQUIRED_COLUMNS, UNIT_COLUMNS
from fleet_platform.rules.keys import REFERENCE_KEY
from fleet_platform.rules.pcm import OPTIONAL_NUMBERS as PCM_NUMBERS
from fleet_platform.rules.rfms import MEASUREMENTS as RFMS_MEASUREMENTS
from fleet_platform.rules.times import EPOCH_MS_RANGE

BATCH_CHARS = 64 * 1024 * 1024
READ_THREADS = 2
MEASUREMENTS = tuple(schema.MEASUREMENTS)  # the contract's columns, in order


def literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _sql_list(texts: list[str] | tuple[str, ...]) -> str:
    """``texts`` as a SQL list of string literals."""
    return "[" + ", ".join(literal(text) for text in texts) + "]"


# Trimming with a character list is slow in DuckDB (and ``trim`` alone knows only the
# space): white space is matched with a regular expression class instead.
WS_CLASS = "[" + WHITESPACE + "]"
CR, LF = "chr(13)", "chr(10)"

# --- macros: the contract's value rules, once ------------------------------------------

MACROS = f"""
CREATE MACRO blank(t) AS t IS NULL OR regexp_full_match(t, {literal(WS_CLASS + "*")});
CREATE MACRO strip(t) AS regexp_replace(t, {literal(f"^{WS_CLASS}+|{WS_CLASS}+$")}, '', 'g');
CREATE MACRO norm_vin(v) AS upper(strip(v));
CREATE MACRO rfc3339_utc(t) AS CASE WHEN regexp_matches(t, {literal(RFC3339)})
    THEN TRY_CAST(upper(t) AS TIMESTAMPTZ) END;
CREATE MACRO epoch_ms_utc(ms) AS CASE WHEN ms BETWEEN {EPOCH_MS_RANGE[0]} AND {EPOCH_MS_RANGE[1]}
    THEN make_timestamp(ms * 1000)::TIMESTAMPTZ END;
-- Paris wall-clock time -> UTC. ICU takes the later instant of the autumn hour that
-- occurs twice, so step back an hour where that is the same wall-clock time (earlier
-- instant wins); a spring-gap time does not come back to itself (null: unparseable).
CREATE MACRO paris_candidate(local) AS timezone('Europe/Paris', local);
CREATE MACRO paris_utc(local) AS CASE
    WHEN timezone('Europe/Paris', paris_candidate(local)) <> local THEN NULL
    WHEN timezone('Europe/Paris', paris_candidate(local) - INTERVAL 1 HOUR) = local
        THEN paris_candidate(local) - INTERVAL 1 HOUR
    ELSE paris_candidate(local) END;
-- Fields of a ';' CSV line with quotes: each field follows one ';' (one is put first).
CREATE MACRO csv_fields(line) AS list_transform(
    regexp_extract_all(';' || line, ';("(?:[^"]|"")*"|[^;]*)', 1),
    lambda f: CASE WHEN len(f) >= 2 AND starts_with(f, '"') AND ends_with(f, '"')
        THEN replace(f[2:-2], '""', '"') ELSE f END);
CREATE MACRO split_fields(line) AS
    CASE WHEN contains(line, '"') THEN csv_fields(line) ELSE string_split(line, ';') END;
CREATE MACRO text_lines(text) AS list_filter(
    string_split(replace(replace(text, {CR} || {LF}, {LF}), {CR}, {LF}), {LF}),
    lambda line: NOT blank(line));
-- JSON type tests, never null (a null would slip through the CASE of the reasons)
CREATE MACRO is_int(t) AS coalesce(t IN ('BIGINT', 'UBIGINT'), false);
CREATE MACRO is_number(t) AS coalesce(t IN ('BIGINT', 'UBIGINT', 'DOUBLE'), false);
CREATE MACRO absent(t) AS t IS NULL OR t = 'NULL';
"""

TABLES = f"""
CREATE TABLE files (
    file_seq INTEGER, key VARCHAR, source VARCHAR, ingest_date DATE, size_bytes BIGINT,
    received_time TIMESTAMPTZ, reason VARCHAR, detail VARCHAR);
CREATE TABLE parsed (
    file_seq INTEGER, row_number BIGINT, raw VARCHAR, malformed BOOLEAN, missing BOOLEAN,
    time_ok BOOLEAN, vin VARCHAR, event_type VARCHAR, event_time TIMESTAMPTZ,
    received_time TIMESTAMPTZ, {", ".join(f"{m} DOUBLE" for m in MEASUREMENTS)});
CREATE TABLE format_rejections (file_seq INTEGER, reason VARCHAR, detail VARCHAR);
"""

# --- the three formats: ``batch`` (file_seq, text) -> parsed rows ------------------------

_PCM_PATHS = ("vin", "ts", "recv_ts", "type", *PCM_NUMBERS)


def _pcm(field: str, of: str) -> str:
    """Element of the JSON types (``t``) or string values (``v``) list for ``field``."""
    return f"{of}[{_PCM_PATHS.index(field) + 1}]"


PCM = f"""
INSERT INTO parsed
WITH split AS (SELECT file_seq, text_lines(text) AS lines FROM batch),
lines AS (
    SELECT file_seq, unnest(lines) AS raw, generate_subscripts(lines, 1) AS row_number
    FROM split
), decoded AS (
    SELECT *, regexp_matches(raw, {literal("^" + WS_CLASS + "*[{]")}) AND json_valid(raw) AS is_object
    FROM lines
), typed AS (
    -- one parse for the JSON types of the fields, one for their values as text
    SELECT file_seq, row_number, raw, NOT is_object AS not_object,
        CASE WHEN is_object THEN json_type(raw, {_sql_list([f"$.{p}" for p in _PCM_PATHS])}) END AS t,
        CASE WHEN is_object THEN json_extract_string(raw, {_sql_list([f"$.{p}" for p in _PCM_PATHS])}) END AS v
    FROM decoded
), fields AS (
    SELECT file_seq, row_number, raw, not_object,
        {_pcm("vin", "t")} AS t_vin, {_pcm("type", "t")} AS t_type,
        {_pcm("ts", "t")} AS t_ts, {_pcm("recv_ts", "t")} AS t_recv,
        {_pcm("vin", "v")} AS vin, {_pcm("type", "v")} AS event_type,
        CASE WHEN {_pcm("ts", "t")} = 'VARCHAR' THEN {_pcm("ts", "v")} END AS ts_text,
        CASE WHEN is_int({_pcm("ts", "t")}) THEN TRY_CAST({_pcm("ts", "v")} AS BIGINT) END AS ts_ms,
        CASE WHEN is_int({_pcm("recv_ts", "t")}) THEN TRY_CAST({_pcm("recv_ts", "v")} AS BIGINT) END AS recv_ms,
        {", ".join(f"{_pcm(n, 't')} AS t_{n}, TRY_CAST({_pcm(n, 'v')} AS DOUBLE) AS {n}" for n in PCM_NUMBERS)}
    FROM typed
), ruled AS (
    SELECT *,
        not_object
        OR NOT (absent(t_vin) OR t_vin = 'VARCHAR') OR NOT (absent(t_type) OR t_type = 'VARCHAR')
        OR NOT (absent(t_ts) OR t_ts = 'VARCHAR' OR is_int(t_ts))
        OR NOT (absent(t_recv) OR is_int(t_recv))
        {" ".join(f"OR NOT (absent(t_{n}) OR (is_number(t_{n}) AND isfinite({n})))" for n in PCM_NUMBERS)}
        AS malformed,
        CASE WHEN is_int(t_ts) THEN epoch_ms_utc(ts_ms) ELSE rfc3339_utc(ts_text) END AS event_time,
        epoch_ms_utc(recv_ms) AS received_time
    FROM fields
)
SELECT file_seq, row_number, raw, malformed,
    blank(vin) OR blank(event_type) OR (NOT is_int(t_ts) AND blank(ts_text)) OR absent(t_recv),
    event_time IS NOT NULL AND received_time IS NOT NULL,
    vin, event_type, event_time, received_time,
    {", ".join(f"CASE WHEN NOT malformed THEN {n} END" for n in PCM_NUMBERS)}
FROM ruled
"""

_UNIT_CASES = {
    column: f"CASE WHEN unit = {literal(unit)} THEN number END"
    for unit, column in UNIT_COLUMNS.items()
}

INTELLIBUS_FILES = f"""
CREATE OR REPLACE TEMP TABLE csv_files AS
WITH lines AS (SELECT file_seq, text_lines(text) AS lines FROM batch)
SELECT file_seq, lines[2:] AS rows, len(header) AS width,
    {", ".join(f"list_position(header, {literal(name)}) AS p_{name}" for name in REQUIRED_COLUMNS)}
FROM (SELECT *, list_transform(csv_fields(lines[1]), lambda h: lower(strip(h))) AS header FROM lines);
INSERT INTO format_rejections
SELECT file_seq, 'schema_mismatch', 'header lacks one of ' || {literal(";".join(c.upper() for c in REQUIRED_COLUMNS))}
FROM csv_files WHERE {" OR ".join(f"p_{name} IS NULL" for name in REQUIRED_COLUMNS)};
"""

INTELLIBUS = f"""
INSERT INTO parsed
WITH numbered AS (
    SELECT * EXCLUDE (rows), unnest(rows) AS raw, generate_subscripts(rows, 1) AS row_number
    FROM csv_files
    WHERE {" AND ".join(f"p_{name} IS NOT NULL" for name in REQUIRED_COLUMNS)}
), rows AS (
    SELECT *, split_fields(raw) AS f FROM numbered
), fields AS (
    SELECT file_seq, row_number, raw, len(f) <> width AS wrong_width,
        {", ".join(f"strip(f[p_{name}]) AS {name}" for name in REQUIRED_COLUMNS)}
    FROM rows
), values AS (
    SELECT *, lower(unite) AS unit,
        TRY_CAST(replace(valeur, ',', '.') AS DOUBLE) AS number,
        CASE WHEN regexp_matches(date, '^\\d{{2}}/\\d{{2}}/\\d{{4}}$')
              AND regexp_matches(heure, '^\\d{{2}}:\\d{{2}}:\\d{{2}}$')
            THEN paris_utc(try_strptime(date || ' ' || heure, '%d/%m/%Y %H:%M:%S')) END AS event_time
    FROM fields
)
SELECT v.file_seq, row_number, raw,
    wrong_width OR (NOT blank(valeur) AND NOT regexp_matches(valeur, {literal(DECIMAL)})),
    blank(vin) OR blank(date) OR blank(heure) OR blank(code),
    event_time IS NOT NULL,
    vin, code, event_time, f.received_time,
    {", ".join(_UNIT_CASES.get(m, "NULL::DOUBLE") for m in MEASUREMENTS)}
FROM values v JOIN files f USING (file_seq)
"""

_RFMS_TEXTS = ("$.vin", "$.triggerType.triggerType", "$.createdDateTime", "$.receivedDateTime")
# column: (JSON path, divisor), from the pipeline's own table of rFMS measurements
_RFMS_NUMBERS = {
    column: ("$." + ".".join(path), divisor)
    for column, (path, divisor) in RFMS_MEASUREMENTS.items()
}
_RFMS_PATHS = [*_RFMS_TEXTS, "$.triggerType", *(path for path, _ in _RFMS_NUMBERS.values())]


def _rfms_number(column: str) -> str:
    """The SQL of one measurement column of an rFMS status (null where not a number)."""
    if column not in _RFMS_NUMBERS:
        return "NULL::DOUBLE"
    path, divisor = _RFMS_NUMBERS[column]
    index = _RFMS_PATHS.index(path) + 1
    return f"CASE WHEN is_number(t[{index}]) THEN TRY_CAST(json_extract(s, {literal(path)}) AS DOUBLE) / {divisor} END"


RFMS_FILES = """
CREATE OR REPLACE TEMP TABLE documents AS
SELECT file_seq, valid, CASE WHEN valid
    THEN json_extract(text, '$.vehicleStatusResponse.vehicleStatuses') END AS statuses
FROM (SELECT file_seq, text, json_valid(text) AS valid FROM batch);
INSERT INTO format_rejections
SELECT file_seq, 'malformed_document', CASE WHEN valid THEN
    'no vehicleStatusResponse.vehicleStatuses array' ELSE 'not valid JSON' END
FROM documents WHERE json_type(statuses) IS DISTINCT FROM 'ARRAY';
"""

RFMS = f"""
INSERT INTO parsed
WITH arrays AS (
    SELECT file_seq, from_json(statuses, '["JSON"]') AS items
    FROM documents WHERE json_type(statuses) = 'ARRAY'
), statuses AS (
    SELECT file_seq, unnest(items) AS s, generate_subscripts(items, 1) AS row_number FROM arrays
), typed AS (
    SELECT *, coalesce(json_type(s) = 'OBJECT', false) AS is_object,
        json_type(s, {_sql_list(_RFMS_PATHS)}) AS t,
        json_extract_string(s, {_sql_list(_RFMS_TEXTS)}) AS v
    FROM statuses
), texts AS (
    SELECT *, {", ".join(f"CASE WHEN t[{i}] = 'VARCHAR' THEN v[{i}] END AS x{i}" for i in range(1, 5))}
    FROM typed
)
SELECT file_seq, row_number, coalesce(s::VARCHAR, 'null'),  -- a JSON null element is SQL NULL here
    NOT is_object
    OR {" OR ".join(f"NOT (absent(t[{i}]) OR t[{i}] = 'VARCHAR')" for i in range(1, 5))}
    OR NOT (absent(t[5]) OR t[5] = 'OBJECT')
    OR {" OR ".join(f"NOT (absent(t[{i}]) OR is_number(t[{i}]))" for i in range(6, len(_RFMS_PATHS) + 1))},
    NOT is_object OR blank(v[1]) OR blank(v[2]) OR blank(v[3]) OR blank(v[4]),
    rfc3339_utc(x3) IS NOT NULL AND rfc3339_utc(x4) IS NOT NULL,
    x1, x2, rfc3339_utc(x3), rfc3339_utc(x4),
    {", ".join(_rfms_number(m) for m in MEASUREMENTS)}
FROM texts
"""

SOURCES = {
    "pcm": ("", PCM),
    "intellibus": (INTELLIBUS_FILES, INTELLIBUS),
    "rfms": (RFMS_FILES, RFMS),
}

# --- the rules every source shares, then the outputs -----------------------------------

CLASSIFY = f"""
CREATE TABLE classified AS
WITH named AS (
    SELECT p.*, f.source, f.ingest_date, f.key AS source_file, norm_vin(p.vin) AS normalised
    FROM parsed p JOIN files f USING (file_seq)
    WHERE p.file_seq NOT IN (SELECT file_seq FROM format_rejections)
), reasons AS (
    SELECT *,
        CASE WHEN malformed THEN 'malformed_row' WHEN missing THEN 'missing_field'
            WHEN NOT regexp_matches(normalised, {literal(VIN_PATTERN)}) THEN 'invalid_vin'
            WHEN NOT time_ok THEN 'unparseable_time' END AS reason
    FROM named
), kept AS (
    SELECT * EXCLUDE (normalised)
        REPLACE (CASE WHEN reason IS NULL THEN normalised ELSE vin END AS vin),
        CASE WHEN reason IS NULL THEN substr(sha256(concat_ws({literal(ID_SEPARATOR)},
            source, normalised, epoch_us(event_time)::VARCHAR, event_type)), 1, {ID_LENGTH})
        END AS event_id
    FROM reasons
)
SELECT k.*,
    CASE WHEN reason IS NOT NULL THEN 'rejected'
        WHEN row_number() OVER (PARTITION BY event_id ORDER BY file_seq, row_number) = 1
        THEN 'clean' ELSE 'duplicate' END AS fate,
    r.vin IS NOT NULL AS vin_known,
    CASE WHEN event_time > received_time + INTERVAL 5 MINUTE THEN 'future'
        WHEN event_time < TIMESTAMPTZ '2000-01-01 00:00:00+00' THEN 'before_2000'
        ELSE 'ok' END AS date_status,
    (epoch_us(received_time) - epoch_us(event_time)) / 1e6 AS delay_s,
    event_time::DATE AS event_date
FROM kept k LEFT JOIN reference r ON k.vin = r.vin
"""

# Rows are written in no particular order: ``(source_file, row_number)`` identifies them.
BRONZE = "SELECT source, ingest_date, source_file, row_number, raw, fate, reason FROM classified"

VIEWS = f"""
CREATE VIEW silver AS
SELECT event_id, source, vin, event_time, received_time, event_date, ingest_date,
    event_type, {", ".join(MEASUREMENTS)}, vin_known, date_status, delay_s, source_file,
    file_seq, row_number
FROM classified WHERE fate = 'clean';
CREATE VIEW all_files AS
SELECT f.* REPLACE (coalesce(f.reason, r.reason) AS reason, coalesce(f.detail, r.detail) AS detail)
FROM files f LEFT JOIN format_rejections r USING (file_seq);
"""
SILVER = "SELECT * EXCLUDE (file_seq, row_number) FROM silver"

_OK = "FROM silver WHERE date_status = 'ok'"

GOLD = {
    "files_daily": """
        SELECT ingest_date, source, count(*) AS files_received,
            count(*) FILTER (reason IS NOT NULL) AS files_rejected,
            coalesce(sum(received), 0) AS rows_received, coalesce(sum(rejected), 0) AS rows_rejected,
            coalesce(sum(duplicate), 0) AS rows_duplicate, coalesce(sum(clean), 0) AS rows_clean
        FROM all_files LEFT JOIN (
            SELECT file_seq, count(*) AS received, count(*) FILTER (fate = 'rejected') AS rejected,
                count(*) FILTER (fate = 'duplicate') AS duplicate,
                count(*) FILTER (fate = 'clean') AS clean
            FROM classified GROUP BY file_seq) USING (file_seq)
        WHERE source IS NOT NULL AND ingest_date IS NOT NULL
        GROUP BY ALL ORDER BY ALL""",
    "rejected_files": """
        SELECT key, source, ingest_date, reason, detail, size_bytes
        FROM all_files WHERE reason IS NOT NULL ORDER BY key""",
    "rejected_rows_daily": """
        SELECT ingest_date, source, reason, count(*) AS rows
        FROM classified WHERE fate = 'rejected' GROUP BY ALL ORDER BY ALL""",
    "events_daily": f"SELECT event_date, source, count(*) AS events {_OK} GROUP BY ALL ORDER BY ALL",
    "vins_daily": f"""
        SELECT event_date, count(*) AS unique_vins,
            count(*) FILTER (known) AS unique_known_vins,
            count(*) FILTER (NOT known) AS unique_unknown_vins
        FROM (SELECT event_date, vin, bool_or(vin_known) AS known {_OK} GROUP BY ALL)
        GROUP BY ALL ORDER BY ALL""",
    "non_standard_dates_daily": """
        SELECT ingest_date, source, status, count(*) AS rows FROM (
            SELECT ingest_date, source, 'unparseable' AS status
            FROM classified WHERE reason = 'unparseable_time'
            UNION ALL
            SELECT ingest_date, source, date_status FROM silver
            WHERE date_status IN ('future', 'before_2000'))
        GROUP BY ALL ORDER BY ALL""",
    "event_delays_daily": f"""
        SELECT ingest_date, source, count(*) AS events,
            quantile_cont(delay_s, 0.5) AS p50_s, quantile_cont(delay_s, 0.9) AS p90_s,
            quantile_cont(delay_s, 0.99) AS p99_s, max(delay_s) AS max_s,
            count(*) FILTER (delay_s > 3600) AS over_1h,
            count(*) FILTER (delay_s > 86400) AS over_24h
        {_OK} GROUP BY ALL ORDER BY ALL""",
    "unknown_vins_daily": f"""
        SELECT event_date, source, count(*) AS events, count(DISTINCT vin) AS distinct_vins
        {_OK} AND NOT vin_known GROUP BY ALL ORDER BY ALL""",
    "unknown_vins": f"""
        SELECT vin, min(event_time) AS first_seen, max(event_time) AS last_seen,
            count(*) AS events, list_sort(list(DISTINCT source)) AS sources
        {_OK} AND NOT vin_known GROUP BY vin ORDER BY vin""",
}
assert set(GOLD) == set(GOLD_TABLES)


class DuckPipeline:
    """One run: stage the landing, classify, write the outputs."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.db = duckdb.connect()
        self.db.execute("SET TimeZone = 'UTC'")
        self.db.execute(f"SET temp_directory = {literal(str(out / 'duckdb_tmp'))}")
        self.db.execute(MACROS)
        self.db.execute(TABLES)
        self.pending: dict[str, list[tuple[int, str]]] = {}
        self.pending_chars: dict[str, int] = {}

    def stage(self, landing: Path) -> None:
        """Every file into ``files``; accepted texts parsed into ``parsed``, in batches."""
        files = []
        for seq, item in enumerate(loaded_files(landing, READ_THREADS)):
            f = item.file
            files.append(
                (
                    seq,
                    f.key,
                    f.source,
                    f.ingest_date,
                    f.size_bytes,
                    f.received_time,
                    item.reason,
                    item.detail,
                )
            )
            if item.text is not None:
                self.add(f.source, seq, item.text)
            if seq % 64 == 0:
                self.insert_files(files)
                files = []
        self.insert_files(files)
        for source in list(self.pending):
            self.flush(source)

    def insert_files(self, rows: list[tuple]) -> None:
        """Record landed files (accepted or rejected) in ``files``."""
        if rows:
            self.db.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def add(self, source: str, seq: int, text: str) -> None:
        """Queue a decoded text; parse the source's batch once it is big enough."""
        self.pending.setdefault(source, []).append((seq, text))
        self.pending_chars[source] = self.pending_chars.get(source, 0) + len(text)
        if self.pending_chars[source] >= BATCH_CHARS:
            self.flush(source)

    def flush(self, source: str) -> None:
        """Parse the pending texts of ``source`` with its SQL."""
        texts = self.pending.pop(source, [])
        self.pending_chars[source] = 0
        if not texts:
            return
        batch = pa.table(
            {
                "file_seq": pa.array([seq for seq, _ in texts], pa.int32()),
                "text": pa.array([text for _, text in texts], pa.large_string()),
            }
        )
        self.db.register("batch", batch)
        for statement in SOURCES[source]:
            if statement:
                self.db.execute(statement)
        self.db.unregister("batch")

    def load_reference(self, landing: Path) -> None:
        """Known VINs (trimmed, upper-cased, non-blank) from ``reference/vehicles.csv``;
        none when the file is missing."""
        path = landing / REFERENCE_KEY
        if not path.exists():
            self.db.execute("CREATE TABLE reference (vin VARCHAR)")
            return
        read = f"read_csv({literal(str(path))}, header = true, all_varchar = true, delim = ',')"
        columns = [d[0] for d in self.db.execute(f"SELECT * FROM {read} LIMIT 0").description]
        vin = next(c for c in columns if c.strip().lower() == "vin")
        self.db.execute(
            f'CREATE TABLE reference AS SELECT DISTINCT norm_vin("{vin}") AS vin FROM {read} '
            f'WHERE NOT blank("{vin}")'
        )

    def write(self) -> dict[str, int]:
        """Classify, then write bronze, silver and gold; returns the rows by fate."""
        self.db.execute(CLASSIFY)
        self.db.execute(VIEWS)
        self.copy(BRONZE, "bronze", "raw_bus_events")
        self.copy(SILVER, "silver", "bus_events")
        for table, query in GOLD.items():
            self.copy(query, "gold", table)
        fates = self.db.execute("SELECT fate, count(*) FROM classified GROUP BY fate").fetchall()
        return dict(fates)

    def copy(self, query: str, layer: str, table: str) -> None:
        """Write the result of ``query`` as ``<out>/<layer>/<table>.parquet``."""
        path = literal(str(output(self.out, layer, table)))
        self.db.execute(
            f"COPY ({query}) TO {path} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL {ZSTD_LEVEL})"
        )


def main() -> None:
    """Run the DuckDB peer on the landing and output folders of the command line."""
    landing, out = arguments(__doc__.split("\n")[0])
    pipeline = DuckPipeline(out)
    pipeline.load_reference(landing)
    pipeline.stage(landing)
    print(pipeline.write())


if __name__ == "__main__":
    main()
