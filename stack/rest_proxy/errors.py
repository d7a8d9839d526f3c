"""Every error the REST Proxy can answer with, in one place: its catalogue.

Confluent's REST Proxy reports failures as ``{"error_code": int, "message": str}``; clients branch on
``error_code``. Five-digit codes carry their HTTP status in the first three digits (40401 -> 404);
three-digit codes are plain HTTP statuses that Confluent also reports as the code (e.g. 415).
"""

from __future__ import annotations

from stack.common.errors import ApiError, ErrorCode, HttpErrors


class Errors(HttpErrors):
    """Confluent REST Proxy v2 errors (kafka-rest ``Errors.java`` and rest-utils)."""

    TOPIC_NOT_FOUND = ErrorCode(404, 40401)
    PARTITION_NOT_FOUND = ErrorCode(404, 40402, "Partition not found.")
    CONSUMER_INSTANCE_NOT_FOUND = ErrorCode(404, 40403)
    CONSUMER_FORMAT_MISMATCH = ErrorCode(
        406,
        40601,
        "The requested embedded data format does not match the deserializer for this consumer instance",
    )
    SCHEMA_REGISTRY_UNAVAILABLE = ErrorCode(408, 40801)
    CONSUMER_ALREADY_EXISTS = ErrorCode(409, 40902)
    ILLEGAL_STATE = ErrorCode(409, 40903)
    KEY_SCHEMA_MISSING = ErrorCode(422, 42201)
    VALUE_SCHEMA_MISSING = ErrorCode(422, 42202)
    JSON_CONVERSION_FAILED = ErrorCode(422, 42203)
    INVALID_CONSUMER_CONFIG = ErrorCode(422, 42204)
    INVALID_SCHEMA = ErrorCode(422, 42205)
    SCHEMA_NOT_USABLE = ErrorCode(422, 42207)
    KAFKA_ERROR = ErrorCode(500, 50002)
    KAFKA_RETRIABLE_ERROR = ErrorCode(500, 50003)
    BROKER_NOT_AVAILABLE = ErrorCode(503, 50302)


class RestProxyError(ApiError):
    """A failure that is answered to the client with its error code and a readable message."""
