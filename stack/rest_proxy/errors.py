"""Every error the REST Proxy can answer with, in one place.

Confluent's REST Proxy reports failures as ``{"error_code": int, "message": str}``; clients branch on
``error_code``.  Five-digit codes carry their HTTP status in the first three digits (40401 -> 404);
three-digit codes are plain HTTP statuses that Confluent also reports as the code (e.g. 415).
"""

from __future__ import annotations

from enum import IntEnum

from stack.common.errors import ApiError


class ErrorCode(IntEnum):
    """Confluent REST Proxy v2 error codes (kafka-rest ``Errors.java`` and rest-utils)."""

    BAD_REQUEST = 400
    NOT_FOUND = 404
    METHOD_NOT_ALLOWED = 405
    NOT_ACCEPTABLE = 406
    UNSUPPORTED_MEDIA_TYPE = 415
    UNPROCESSABLE_ENTITY = 422
    TOPIC_NOT_FOUND = 40401
    PARTITION_NOT_FOUND = 40402
    CONSUMER_INSTANCE_NOT_FOUND = 40403
    CONSUMER_FORMAT_MISMATCH = 40601
    SCHEMA_REGISTRY_UNAVAILABLE = 40801
    CONSUMER_ALREADY_EXISTS = 40902
    ILLEGAL_STATE = 40903
    KEY_SCHEMA_MISSING = 42201
    VALUE_SCHEMA_MISSING = 42202
    JSON_CONVERSION_FAILED = 42203
    INVALID_CONSUMER_CONFIG = 42204
    INVALID_SCHEMA = 42205
    SCHEMA_NOT_USABLE = 42207
    KAFKA_ERROR = 50002
    KAFKA_RETRIABLE_ERROR = 50003
    BROKER_NOT_AVAILABLE = 50302

    @property
    def http_status(self) -> int:
        return int(self) if self < 1000 else int(self) // 100


class RestProxyError(ApiError):
    """A failure that is answered to the client with its error code and a readable message."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(code.http_status, int(code), message)
        self.code = code
