"""Every error the Schema Registry can answer with, in one place: its catalogue.

Confluent clients read only ``error_code`` and ``message`` from an error body, and decide what went
wrong from the code; the HTTP status follows from it. Keeping the codes in one table means a
handler never invents a status of its own, and the HTTP layer maps all of them the same way.
"""

from __future__ import annotations

from stack.common.errors import ApiError, ErrorCode, HttpErrors


class Errors(HttpErrors):
    """The Schema Registry's errors as Confluent's reports them (``Errors.java`` of schema-registry)."""

    SUBJECT_NOT_FOUND = ErrorCode(404, 40401)
    VERSION_NOT_FOUND = ErrorCode(404, 40402)
    SCHEMA_NOT_FOUND = ErrorCode(404, 40403, "Schema not found")
    SUBJECT_SOFT_DELETED = ErrorCode(404, 40404)
    SUBJECT_NOT_SOFT_DELETED = ErrorCode(404, 40405)
    VERSION_SOFT_DELETED = ErrorCode(404, 40406)
    VERSION_NOT_SOFT_DELETED = ErrorCode(404, 40407)
    SUBJECT_COMPATIBILITY_NOT_CONFIGURED = ErrorCode(404, 40408)
    SUBJECT_MODE_NOT_CONFIGURED = ErrorCode(404, 40409)

    INCOMPATIBLE_SCHEMA = ErrorCode(409, 40901)

    INVALID_SCHEMA = ErrorCode(422, 42201)
    INVALID_VERSION = ErrorCode(422, 42202)
    INVALID_COMPATIBILITY_LEVEL = ErrorCode(422, 42203)
    INVALID_MODE = ErrorCode(422, 42204)
    OPERATION_NOT_PERMITTED = ErrorCode(422, 42205)
    REFERENCE_EXISTS = ErrorCode(422, 42206)
    ID_DOES_NOT_MATCH = ErrorCode(422, 42207)
    INVALID_SUBJECT = ErrorCode(422, 42208)

    STORE_ERROR = ErrorCode(500, 50001, "Internal Server Error")
    OPERATION_TIMEOUT = ErrorCode(500, 50002)


class RegistryError(ApiError):
    """Raised anywhere below the HTTP layer; the HTTP layer turns it into an error response."""
