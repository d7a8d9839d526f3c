"""Hours of simulated time: the turnstile value's ``entry_time`` (a backward-compatible schema change that
classic readers ignore) and ``ksql.py``'s statements, which window the entries by it.

The same statements run on the platform, with Avro and Kafka, in ``tests/integration/ksql/test_windows_platform.py``.
"""

from __future__ import annotations

import io
import json
import struct

import fastavro

from consumers.ksql import CREATE_ENTRIES, CREATE_HOURLY, ENTRIES, EVENT_TIME, HOURLY
from cta import schemas
from stack.ksql.driver import Driver
from stack.ksql.schema import columns_from_avro, type_text
from stack.schema_registry.compatibility import Level, check
from stack.schema_registry.schemas import SchemaText, parse

HOUR = 3_600_000
SIMULATED = 1_700_000_000_000 // HOUR * HOUR
WALL_CLOCK = SIMULATED - 30 * 24 * HOUR  # the simulated clock runs ahead of the records' own timestamps


def current() -> dict:
    return json.loads(schemas.load("turnstile_value"))


def classic() -> dict:
    """The value schema before ``entry_time``: what the classic project's consumers declare."""
    schema = current()
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "entry_time"]
    return schema


def avro(schema: dict) -> object:
    return parse(SchemaText(json.dumps(schema)), lambda reference: None).avro


def test_the_schema_with_entry_time_is_backward_compatible_with_the_classic_one() -> None:
    assert check(Level.BACKWARD, avro(current()), [avro(classic())]) == []
    assert check(Level.FULL, avro(current()), [avro(classic())]) == []


def roundtrip(value: dict, writer: dict, reader: dict) -> dict:
    data = io.BytesIO()
    fastavro.schemaless_writer(data, fastavro.parse_schema(writer), value)
    data.seek(0)
    return fastavro.schemaless_reader(data, fastavro.parse_schema(writer), fastavro.parse_schema(reader))


def test_classic_readers_ignore_entry_time_and_new_readers_find_none_in_classic_records() -> None:
    value = {"station_id": 40380, "station_name": "Clark/Lake", "line": "blue"}
    assert roundtrip({**value, "entry_time": SIMULATED}, current(), classic()) == value
    assert roundtrip(value, classic(), current()) == {**value, "entry_time": None}


def test_the_entries_stream_is_timed_by_a_bigint_column_of_the_schema() -> None:
    columns = {c.name: type_text(c.type) for c in columns_from_avro(schemas.load("turnstile_value"))}
    assert columns[EVENT_TIME] == "BIGINT"  # what KSQL's TIMESTAMP takes as ms since the epoch
    assert f"TIMESTAMP='{EVENT_TIME}'" in CREATE_ENTRIES
    assert f"FROM {ENTRIES} WINDOW TUMBLING (SIZE 1 HOUR)" in CREATE_HOURLY


def hourly_driver() -> Driver:
    """ksql.py's two statements, the stream's columns written out as the registry would give them (JSON
    instead of AVRO: the driver has no Schema Registry)."""
    columns = ", ".join(f"{c.name} {type_text(c.type)}" for c in columns_from_avro(schemas.load("turnstile_value")))
    entries = CREATE_ENTRIES.replace(" WITH (", f" ({columns}) WITH (").replace("'AVRO'", "'JSON'")
    driver = Driver()
    driver.execute(entries + CREATE_HOURLY)
    return driver


def entry(station: int, simulated: int | None) -> dict:
    return {"STATION_ID": station, "STATION_NAME": "x", "LINE": "blue", "ENTRY_TIME": simulated}


def test_the_hourly_table_counts_per_station_and_simulated_hour_not_per_record_timestamp() -> None:
    driver = hourly_driver()
    topic = CREATE_ENTRIES.split("KAFKA_TOPIC='")[1].split("'")[0]
    driver.pipe(
        topic,
        (None, entry(1, SIMULATED + 5), WALL_CLOCK),
        (None, entry(1, SIMULATED + HOUR + 5), WALL_CLOCK),
        (None, entry(2, SIMULATED + HOUR + 7), WALL_CLOCK + 1),
        (None, entry(1, SIMULATED + HOUR + 9), WALL_CLOCK + 2),
        (None, entry(1, None), WALL_CLOCK + 3),  # written before entry_time existed: no simulated hour
    )
    rows = {struct.unpack(">iq", r.key): (json.loads(r.value)["ENTRIES"], r.timestamp) for r in driver.read(HOURLY)}
    assert rows == {
        (1, SIMULATED): (1, SIMULATED + 5),
        (1, SIMULATED + HOUR): (2, SIMULATED + HOUR + 9),
        (2, SIMULATED + HOUR): (1, SIMULATED + HOUR + 7),
    }
    pull = f"SELECT STATION_ID, WINDOWSTART, ENTRIES FROM {HOURLY} WHERE WINDOWSTART >= {SIMULATED + HOUR};"
    assert sorted(driver.select(pull)) == [[1, SIMULATED + HOUR, 2], [2, SIMULATED + HOUR, 1]]
