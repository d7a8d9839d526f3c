"""The error catalogues: one shape for every server, each code consistent with its HTTP status."""

from __future__ import annotations

import pytest

from stack.common.errors import ApiError, ErrorCode, HttpErrors
from stack.ksql.errors import Errors as KsqlErrors
from stack.ksql.errors import KsqlError, statement_error
from stack.rest_proxy.errors import Errors as RestProxyErrors
from stack.schema_registry.errors import Errors as SchemaRegistryErrors

CATALOGUES = [HttpErrors, SchemaRegistryErrors, RestProxyErrors, KsqlErrors]


def entries(catalogue: type) -> dict[str, ErrorCode]:
    return {name: value for name, value in vars(catalogue).items() if isinstance(value, ErrorCode)}


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.__module__)
def test_every_code_carries_its_status(catalogue: type) -> None:
    """Confluent's and ksqlDB's clients read the status from the code: 40401 is a 404, 415 a 415."""
    found = entries(catalogue)
    assert found, f"{catalogue.__name__} holds no ErrorCode"
    for name, code in found.items():
        digits = str(code.error_code)
        assert digits[:3] == str(code.status), f"{catalogue.__module__}.{name}: {code}"


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.__module__)
def test_a_catalogue_names_each_code_once(catalogue: type) -> None:
    codes = [code.error_code for code in entries(catalogue).values()]
    assert len(codes) == len(set(codes))


def test_an_error_without_a_message_says_its_template() -> None:
    error = ApiError(SchemaRegistryErrors.SCHEMA_NOT_FOUND)
    assert (error.status, error.body()) == (404, {"error_code": 40403, "message": "Schema not found"})
    assert ApiError(HttpErrors.NOT_FOUND, "other").message == "other"


def test_ksql_errors_are_generic_unless_they_name_a_statement() -> None:
    generic = KsqlError(KsqlErrors.BAD_REQUEST, "bad")
    assert generic.body() == {"@type": "generic_error", "error_code": 40000, "message": "bad"}
    failed = statement_error("SHOW X;", "no", [{"@type": "streams"}])
    assert failed.status == 400
    assert failed.body() == {
        "@type": "statement_error",
        "error_code": 40001,
        "message": "no",
        "statementText": "SHOW X;",
        "entities": [{"@type": "streams"}],
    }
