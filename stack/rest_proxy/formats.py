"""Embedded formats: which one a request speaks, and how keys and values travel inside JSON.

REST Proxy v2 names the format of the records in the media type,
``application/vnd.kafka.<format>.v2+json``.  ``binary`` carries bytes as base64 strings, ``json``
embeds any JSON value as-is, ``avro`` carries Avro's JSON encoding plus a schema (see schemas.py).
Requests without records use ``application/vnd.kafka.v2+json``.

Confluent answers 415 to a produce request whose type names no embedded format (even plain
``application/json``); this proxy does the same, so clients written against it work against
Confluent too.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from confluent_kafka import Message

from stack.common.codecs import BinaryCodec, CodecError, JsonCodec
from stack.common.http import media_type

from .errors import Errors, RestProxyError

KAFKA_V2_JSON = "application/vnd.kafka.v2+json"
# Types Confluent also tolerates on requests without records, and for responses.
_GENERIC_JSON_TYPES = {KAFKA_V2_JSON, "application/vnd.kafka+json", "application/json"}


class EmbeddedFormat(Enum):
    BINARY = "binary"
    JSON = "json"
    AVRO = "avro"

    @property
    def content_type(self) -> str:
        return f"application/vnd.kafka.{self.value}.v2+json"


_BY_CONTENT_TYPE = {f.content_type: f for f in EmbeddedFormat}


def produce_format(content_type: str | None) -> EmbeddedFormat:
    """The embedded format a produce request declares (415 when it declares none we speak)."""
    found = _BY_CONTENT_TYPE.get(media_type(content_type or ""))
    if found is None:
        raise RestProxyError(
            Errors.UNSUPPORTED_MEDIA_TYPE,
            f"Content-Type {content_type or '(none)'} is not supported for producing; use one of "
            + ", ".join(_BY_CONTENT_TYPE),
        )
    return found


def check_request_type(content_type: str | None) -> None:
    """Accepts the JSON types Confluent accepts on requests without records (none means JSON)."""
    if content_type is None:
        return
    requested = media_type(content_type)
    if requested not in _GENERIC_JSON_TYPES and requested not in _BY_CONTENT_TYPE:
        raise RestProxyError(
            Errors.UNSUPPORTED_MEDIA_TYPE, f"Content-Type {content_type} is not supported; use {KAFKA_V2_JSON}"
        )


def response_type(accept: str | None) -> str:
    """Plain ``application/json`` for clients that ask only for it, Confluent's v2 type otherwise."""
    wanted = {media_type(part) for part in (accept or "").split(",")}
    if "application/json" in wanted and not wanted & {KAFKA_V2_JSON, "application/vnd.kafka+json"}:
        return "application/json"
    return KAFKA_V2_JSON


def records_format(accept: str | None, consumer_format: EmbeddedFormat) -> EmbeddedFormat:
    """The embedded format a records request asks for in its Accept header.

    As in Confluent, ``application/vnd.kafka.v2+json`` means binary.  A request that names no Kafka
    type (no Accept, ``*/*``, ``application/json``) gets the consumer's own format, where Confluent
    would assume binary: no Confluent client depends on that refusal.
    """
    for part in (accept or "").split(","):
        accepted = media_type(part)
        if accepted in _BY_CONTENT_TYPE:
            return _BY_CONTENT_TYPE[accepted]
        if accepted == KAFKA_V2_JSON:
            return EmbeddedFormat.BINARY
    return consumer_format


PLAIN_CODECS: dict[EmbeddedFormat, BinaryCodec | JsonCodec] = {
    EmbeddedFormat.BINARY: BinaryCodec(),
    EmbeddedFormat.JSON: JsonCodec(),
}


def encode_plain(fmt: EmbeddedFormat, value: Any, what: str) -> bytes | None:
    """Turns a binary or json key/value from a request into the bytes written to Kafka."""
    if value is None:
        return None
    try:
        return PLAIN_CODECS[fmt].encode(value)
    except CodecError as error:
        raise RestProxyError(Errors.UNPROCESSABLE_ENTITY, f"{what} {error}") from error


def render_record(fmt: EmbeddedFormat, message: Message, avro_to_json: Callable[[str, bytes], Any]) -> dict[str, Any]:
    """One record of a records response; blocking for Avro (its schema may have to be fetched)."""
    topic = message.topic()
    where = f"{topic}/{message.partition()}@{message.offset()}"

    def render(data: bytes | None) -> Any:
        if data is None:
            return None
        if fmt is EmbeddedFormat.AVRO:
            return avro_to_json(topic, data)
        try:
            return PLAIN_CODECS[fmt].decode(data)
        except CodecError as error:
            raise RestProxyError(Errors.JSON_CONVERSION_FAILED, f"The record at {where} {error}") from error

    return {
        "topic": topic,
        "key": render(message.key()),
        "value": render(message.value()),
        "partition": message.partition(),
        "offset": message.offset(),
    }
