"""Every error the Schema Registry can answer with, in one place.

Confluent clients read only ``error_code`` and ``message`` from an error body, and decide what went
wrong from the code; the HTTP status follows from it. Keeping the pairs in one enumeration means a
handler never invents a status of its own, and the HTTP layer maps all of them the same way.
"""

from __future__ import annotations

from enum import Enum

from stack.common.errors import ApiError


class ErrorCode(Enum):
    """An error as Confluent's Schema Registry reports it: HTTP status and ``error_code``."""

    # Plain HTTP errors: the body carries the HTTP status as its error code, as Confluent's does.
    BAD_REQUEST = (400, 400)
    NOT_FOUND = (404, 404)
    METHOD_NOT_ALLOWED = (405, 405)
    NOT_ACCEPTABLE = (406, 406)
    UNSUPPORTED_MEDIA_TYPE = (415, 415)
    UNPROCESSABLE_ENTITY = (422, 422)

    SUBJECT_NOT_FOUND = (404, 40401)
    VERSION_NOT_FOUND = (404, 40402)
    SCHEMA_NOT_FOUND = (404, 40403)
    SUBJECT_SOFT_DELETED = (404, 40404)
    SUBJECT_NOT_SOFT_DELETED = (404, 40405)
    VERSION_SOFT_DELETED = (404, 40406)
    VERSION_NOT_SOFT_DELETED = (404, 40407)
    SUBJECT_COMPATIBILITY_NOT_CONFIGURED = (404, 40408)
    SUBJECT_MODE_NOT_CONFIGURED = (404, 40409)

    INCOMPATIBLE_SCHEMA = (409, 40901)

    INVALID_SCHEMA = (422, 42201)
    INVALID_VERSION = (422, 42202)
    INVALID_COMPATIBILITY_LEVEL = (422, 42203)
    INVALID_MODE = (422, 42204)
    OPERATION_NOT_PERMITTED = (422, 42205)
    REFERENCE_EXISTS = (422, 42206)
    ID_DOES_NOT_MATCH = (422, 42207)
    INVALID_SUBJECT = (422, 42208)

    STORE_ERROR = (500, 50001)
    OPERATION_TIMEOUT = (500, 50002)

    @property
    def http_status(self) -> int:
        return self.value[0]

    @property
    def error_code(self) -> int:
        return self.value[1]


class RegistryError(ApiError):
    """Raised anywhere below the HTTP layer; the HTTP layer turns it into an error response."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(code.http_status, code.error_code, message)
        self.code = code
