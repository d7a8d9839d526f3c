"""Aggregate functions (COUNT, SUM, MIN, MAX, AVG, LATEST_BY_OFFSET, EARLIEST_BY_OFFSET) as mergeable states.

Each function keeps a small JSON-friendly state per group: ``add`` folds one value in, ``merge``
folds in another state. Merging is what lets a query pre-aggregate each consumed batch before it
crosses the repartition topic (one record per group and batch instead of one per event) and still
count exactly. States are stored in the changelog topic as JSON and restored from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stack.ksql.expressions import Evaluate
from stack.ksql.schema import BIGINT, DOUBLE, coerce, type_text
from stack.ksql.statements import SqlType, StatementError

NOT_SET = "__not_set__"  # LATEST/EARLIEST_BY_OFFSET before any non-null value (null is a valid result)
# ksqlDB's table aggregate functions: the ones that can take a value back out when a table row changes.
TABLE_FUNCTIONS = ("COUNT", "SUM", "AVG")


@dataclass(frozen=True)
class Aggregate:
    """One aggregate column: its function, the argument (None for ``COUNT(*)``) and the result type."""

    function: str
    argument: Evaluate | None
    argument_type: SqlType | None
    type: SqlType

    def initial(self) -> Any:
        if self.function in ("COUNT", "SUM"):
            return 0
        if self.function == "AVG":
            return [0, 0]
        if self.function in ("LATEST_BY_OFFSET", "EARLIEST_BY_OFFSET"):
            return NOT_SET
        return None

    def add(self, state: Any, row: dict[str, Any]) -> Any:
        if self.argument is None:
            return state + 1  # COUNT(*)
        value = self.argument(row)
        if value is None:
            return state  # every aggregate skips nulls (LATEST_BY_OFFSET's ignoreNulls default)
        return self.merge(state, self._single(value))

    def remove(self, state: Any, row: dict[str, Any]) -> Any:
        """Takes a replaced or deleted table row back out of the state (the undo of ksqlDB's table aggregation)."""
        if self.argument is None:
            return state - 1  # COUNT(*)
        value = self.argument(row)
        if value is None:
            return state
        if self.function == "COUNT":
            return state - 1
        if self.function == "AVG":
            return [state[0] - value, state[1] - 1]
        return state - value  # SUM: TABLE_FUNCTIONS has no other

    def _single(self, value: Any) -> Any:
        if self.function == "COUNT":
            return 1
        if self.function == "AVG":
            return [value, 1]
        return value

    def merge(self, state: Any, other: Any) -> Any:
        function = self.function
        if function in ("COUNT", "SUM"):
            return state + other
        if function == "AVG":
            return [state[0] + other[0], state[1] + other[1]]
        if function == "LATEST_BY_OFFSET":
            return state if other == NOT_SET else other
        if function == "EARLIEST_BY_OFFSET":
            return other if state == NOT_SET else state
        if state is None or other is None:
            return other if state is None else state
        return min(state, other) if function == "MIN" else max(state, other)

    def result(self, state: Any) -> Any:
        if self.function == "AVG":
            return None if state[1] == 0 else float(state[0]) / state[1]
        if state == NOT_SET:
            return None
        return state

    def to_json(self, state: Any) -> Any:
        if isinstance(state, Decimal):
            return str(state)
        if isinstance(state, list):
            return [str(s) if isinstance(s, Decimal) else s for s in state]
        return state

    def from_json(self, state: Any) -> Any:
        if self.argument_type is None or state in (None, NOT_SET):
            return state
        if self.function == "AVG":
            return [coerce(state[0], self.argument_type), state[1]]
        if self.function == "COUNT":
            return state
        return coerce(state, self.argument_type)


def make_aggregate(function: str, argument: Evaluate | None, argument_type: SqlType | None) -> Aggregate:
    """An aggregate for ``function(argument)``; StatementError for a type the function does not take."""
    if function == "COUNT":
        return Aggregate(function, argument, argument_type, BIGINT)
    if argument is None or argument_type is None:
        raise StatementError(f"Function '{function}' requires an argument.")
    base = argument_type.base
    if function in ("SUM", "AVG") and base not in ("INTEGER", "BIGINT", "DOUBLE", "DECIMAL"):
        raise StatementError(f"Function '{function}' does not accept parameters ({type_text(argument_type)}).")
    if function == "AVG":
        return Aggregate(function, argument, argument_type, DOUBLE)
    if function in ("MIN", "MAX") and base in ("ARRAY", "MAP", "STRUCT", "BOOLEAN"):
        raise StatementError(f"Function '{function}' does not accept parameters ({type_text(argument_type)}).")
    return Aggregate(function, argument, argument_type, argument_type)
