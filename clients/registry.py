"""The Schema Registry as our servers and the Avro console tools use it: register, find, cached.

The one client of the repository's servers (the REST Proxy, the KSQL server) and console tools. It
wraps confluent-kafka's own ``SchemaRegistryClient``, whose calls block (HTTP), so the async
methods run them on the caller's thread pool; the blocking ones (``schema_text``,
``register_blocking``, ``latest_schema``, ``delete_subject``) are for code that already runs on a
worker thread (a KSQL query's) or runs no event loop (a command-line tool). Schemas are cached:
after the first request for one, no registry round trip is needed. Failures come out as two
exceptions each caller maps to its own errors: :class:`SchemaRefused` (the registry answered 4xx)
and :class:`RegistryUnavailable` (no answer, or 5xx).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient, SchemaRegistryError

from clients.kafka import off_loop

T = TypeVar("T")

# Distinct schemas are few in practice; the bound only protects memory from a stream of new ones.
CACHE_SIZE = 256


class SchemaRefused(Exception):
    """The registry refused the request (HTTP 4xx): an invalid schema, an unknown id or subject."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class RegistryUnavailable(Exception):
    """The registry could not be reached or failed (HTTP 5xx): worth waiting for, not the request's fault.

    ``status`` is the registry's 5xx and ``reason`` its message; without an answer ``status`` is None
    and ``reason`` says why the transport failed.
    """

    def __init__(self, message: str, reason: str, status: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status


class BoundedCache(OrderedDict[Any, Any]):
    """A small least-recently-stored cache."""

    def remember(self, key: Any, value: Any) -> Any:
        self[key] = value
        self.move_to_end(key)
        while len(self) > CACHE_SIZE:
            self.popitem(last=False)
        return value


def subject_of(topic: str, is_key: bool) -> str:
    """Confluent's TopicNameStrategy: ``<topic>-key`` / ``<topic>-value``."""
    return f"{topic}-{'key' if is_key else 'value'}"


class SchemaRegistry:
    """Registers and looks up Avro schemas for our servers."""

    def __init__(self, url: str, executor: Executor | None = None) -> None:
        self.url = url
        self._client = SchemaRegistryClient({"url": url})
        self._executor = executor
        self._ids: BoundedCache = BoundedCache()
        self._texts: BoundedCache = BoundedCache()

    async def register(self, subject: str, schema_text: str) -> int:
        """The id of ``schema_text`` under ``subject``, registering it if needed."""
        cached = self._ids.get((subject, schema_text))
        if cached is not None:
            return cached
        return await off_loop(self._executor, lambda: self.register_blocking(subject, schema_text))

    def register_blocking(self, subject: str, schema_text: str) -> int:
        """Blocking :meth:`register`."""
        cached = self._ids.get((subject, schema_text))
        if cached is not None:
            return cached

        def register() -> int:
            schema_id = self._client.register_schema(subject, Schema(schema_text, "AVRO"))
            self._texts.remember(schema_id, schema_text)
            return schema_id

        return self._ids.remember((subject, schema_text), self._translate(register))

    async def registered_under(self, subject: str, schema_id: int) -> str:
        """The text of schema ``schema_id``, which must be registered under ``subject`` (SchemaRefused otherwise)."""
        cached = self._ids.get((subject, schema_id))
        if cached is not None:
            return cached

        def lookup() -> str:
            schema = self._client.get_schema(schema_id)
            if schema.schema_type not in (None, "AVRO"):
                raise SchemaRefused(422, f"Schema {schema_id} is not an Avro schema.")
            self._client.lookup_schema(subject, schema)
            return schema.schema_str

        return self._ids.remember((subject, schema_id), await self._call(lookup))

    def schema_text(self, schema_id: int) -> str:
        """Blocking: the text of schema ``schema_id`` (for code already on the thread pool)."""
        cached = self._texts.get(schema_id)
        if cached is None:
            cached = self._texts.remember(
                schema_id, self._translate(lambda: self._client.get_schema(schema_id).schema_str)
            )
        return cached

    def latest_schema(self, subject: str) -> str | None:
        """Blocking: the text of the latest schema under ``subject`` as it is now; None when it has none (404).

        confluent-kafka's client keeps the latest version it saw for good; a version registered or a
        subject deleted since would go unseen, so that memory is dropped first.
        """

        def latest() -> str:
            self._client.clear_latest_caches()
            return self._client.get_latest_version(subject).schema.schema_str

        try:
            return self._translate(latest)
        except SchemaRefused as refused:
            if refused.status == 404:
                return None
            raise

    def delete_subject(self, subject: str) -> list[int]:
        """Blocking: soft-deletes ``subject``; the versions it had."""
        return self._translate(lambda: self._client.delete_subject(subject))

    async def _call(self, call: Callable[[], T]) -> T:
        return await off_loop(self._executor, lambda: self._translate(call))

    def _translate(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except SchemaRegistryError as error:
            if 400 <= error.http_status_code < 500:
                raise SchemaRefused(error.http_status_code, error.error_message) from error
            raise RegistryUnavailable(
                f"the Schema Registry at {self.url} failed: {error.error_message}",
                error.error_message,
                error.http_status_code,
            ) from error
        except SchemaRefused:
            raise
        except Exception as error:  # the client's HTTP transport: connection refused, timeouts, ...
            message = f"the Schema Registry at {self.url} is not reachable: {error}"
            raise RegistryUnavailable(message, str(error)) from error
