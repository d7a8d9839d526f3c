"""Avro schemas for the ``avro`` embedded format, through the Schema Registry.

A produce request names its key and value schemas either by text (registered under
``<topic>-key`` / ``<topic>-value``, Confluent's TopicNameStrategy) or by id (which, as in
Confluent's proxy, must be registered under that subject). Records are then written in Confluent's
wire format, so any Confluent deserializer reads them; consumers get them back in Avro's JSON
encoding. The registry's failures become the proxy's error codes here.

A schema given by text is checked, registered and compiled once (see avro_writer.py); later
requests with the same text find its writer without parsing it again.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any

from clients.registry import BoundedCache, RegistryUnavailable, SchemaRefused, SchemaRegistry, subject_of
from stack.common.codecs import AvroCodec, AvroDecoder, CodecError

from .avro_writer import AvroWriter
from .errors import Errors, RestProxyError


class Schemas:
    """The proxy's view of the registry: writers for producing, a decoder for consuming."""

    def __init__(self, url: str, executor: Executor) -> None:
        self.registry = SchemaRegistry(url, executor)
        self._decoder = AvroDecoder(self.registry.schema_text)
        self._writers: BoundedCache = BoundedCache()  # (schema text, id) -> AvroWriter
        self._registered: BoundedCache = BoundedCache()  # (subject, schema text) -> AvroWriter

    async def from_text(self, topic: str, is_key: bool, schema_text: str) -> AvroWriter:
        """The schema given in a request, registered under the topic's subject (42205 if invalid)."""
        subject = subject_of(topic, is_key)
        known = self._registered.get((subject, schema_text))
        if known is not None:
            return known
        try:
            AvroCodec(schema_text, 0)  # refuse an invalid schema before the registry sees it
        except CodecError as error:
            raise RestProxyError(Errors.INVALID_SCHEMA, f"Invalid schema: {error}") from error
        schema_id = await self._ask(
            self.registry.register(subject, schema_text), f"registering a schema under {subject}"
        )
        return self._registered.remember((subject, schema_text), self._writer(schema_text, schema_id))

    async def from_id(self, topic: str, is_key: bool, schema_id: int) -> AvroWriter:
        """The schema with this id, which must be registered under the topic's subject."""
        subject = subject_of(topic, is_key)
        text = await self._ask(
            self.registry.registered_under(subject, schema_id), f"fetching schema id {schema_id} for subject {subject}"
        )
        return self._writer(text, schema_id)

    def _writer(self, text: str, schema_id: int) -> AvroWriter:
        writer = self._writers.get((text, schema_id))
        if writer is None:
            writer = self._writers.remember((text, schema_id), AvroWriter(text, schema_id))
        return writer

    async def _ask(self, call: Any, doing: str) -> Any:
        try:
            return await call
        except SchemaRefused as error:
            if error.status == 422:
                raise RestProxyError(Errors.INVALID_SCHEMA, f"Invalid schema: {error.message}") from error
            raise RestProxyError(Errors.SCHEMA_NOT_USABLE, f"Error when {doing}: {error.message}") from error
        except RegistryUnavailable as error:
            raise RestProxyError(Errors.SCHEMA_REGISTRY_UNAVAILABLE, f"Error when {doing}: {error}") from error

    def avro_to_json(self, topic: str, data: bytes) -> Any:
        """Blocking: decodes one Confluent-framed Avro key or value and renders it as Avro JSON."""
        try:
            return self._decoder.decode(data)
        except SchemaRefused as error:
            raise RestProxyError(
                Errors.JSON_CONVERSION_FAILED, f"A record of {topic} names an unknown schema: {error.message}"
            ) from error
        except RegistryUnavailable as error:
            raise RestProxyError(Errors.SCHEMA_REGISTRY_UNAVAILABLE, str(error)) from error
        except CodecError as error:
            raise RestProxyError(Errors.JSON_CONVERSION_FAILED, f"A record of {topic} {error}") from error
