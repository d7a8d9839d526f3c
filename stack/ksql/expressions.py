"""Compiles expressions of a statement into Python functions over a row, with their result types.

A row is a dict of column name to value. :func:`compile_expression` checks every column and
function against the source's schema once, when the statement is accepted, so that a bad
reference is a 40001 error to the client and never an exception in a running query. SQL's null
rules hold: comparisons and arithmetic with NULL give NULL, and a WHERE that is NULL drops the row.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stack.ksql.schema import BIGINT, BOOLEAN, DOUBLE, INTEGER, NUMERIC, STRING, LogicalSchema, coerce, type_text
from stack.ksql.statements import (
    Between,
    BinaryOp,
    Cast,
    ColumnRef,
    Expression,
    FunctionCall,
    InList,
    IsNull,
    Like,
    Literal,
    Negate,
    Not,
    SqlType,
    StatementError,
)

Row = dict[str, Any]
Evaluate = Callable[[Row], Any]

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
AGGREGATES = {"COUNT", "SUM", "MIN", "MAX", "AVG", "LATEST_BY_OFFSET", "EARLIEST_BY_OFFSET"}


@dataclass(frozen=True)
class Compiled:
    evaluate: Evaluate
    type: SqlType


def compile_expression(expression: Expression, schema: LogicalSchema, qualifiers: tuple[str, ...] = ()) -> Compiled:
    """A function computing ``expression`` for a row of ``schema``; StatementError for a bad reference.

    ``qualifiers`` are the names a column may be qualified with (the source's name and alias).
    """
    return _Compiler(schema, qualifiers).compile(expression)


def contains_aggregate(expression: Expression) -> bool:
    if isinstance(expression, FunctionCall):
        return expression.name in AGGREGATES or any(contains_aggregate(a) for a in expression.args)
    return any(contains_aggregate(child) for child in _children(expression))


def _children(expression: Expression) -> list[Expression]:
    if isinstance(expression, BinaryOp):
        return [expression.left, expression.right]
    if isinstance(expression, Not | Negate | IsNull | Cast):
        return [expression.operand]
    if isinstance(expression, InList):
        return [expression.operand, *expression.items]
    if isinstance(expression, Between):
        return [expression.operand, expression.low, expression.high]
    if isinstance(expression, Like):
        return [expression.operand, expression.pattern]
    if isinstance(expression, FunctionCall):
        return list(expression.args)
    return []


def literal_type(value: Any) -> SqlType:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER if -(2**31) <= value < 2**31 else BIGINT
    if isinstance(value, float):
        return DOUBLE
    if isinstance(value, Decimal):
        _, digits, exponent = value.as_tuple()
        scale = max(0, -int(exponent))
        return SqlType("DECIMAL", max(len(digits), scale), scale)
    return STRING


def _numeric_result(left: SqlType, right: SqlType) -> SqlType:
    bases = {left.base, right.base}
    if "DOUBLE" in bases:
        return DOUBLE  # a DOUBLE with a DECIMAL too: Java turns the decimal into a double
    if "DECIMAL" in bases:
        scale = max(left.scale or 0, right.scale or 0)
        return SqlType("DECIMAL", max(left.precision or 10, right.precision or 10) + 1, scale)
    return BIGINT if "BIGINT" in bases else INTEGER


def _null_safe(function: Callable[..., Any]) -> Callable[..., Any]:
    def call(*values: Any) -> Any:
        return None if any(v is None for v in values) else function(*values)

    return call


def _divide(left: Any, right: Any) -> Any:
    if right == 0:
        return None
    if isinstance(left, int) and isinstance(right, int):
        return int(left / right)  # Java's integer division truncates toward zero
    return left / right


def _modulo(left: Any, right: Any) -> Any:
    if right == 0:
        return None
    return (
        math.fmod(left, right) if isinstance(left, float) or isinstance(right, float) else int(math.fmod(left, right))
    )


ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _divide,
    "%": _modulo,
}


def _substring(text: str, start: int, length: int | None = None) -> str:
    begin = start - 1 if start > 0 else len(text) + start  # 1-based; negative counts from the end
    begin = max(begin, 0)
    return text[begin:] if length is None else text[begin : begin + length]


def _round(value: Any, digits: int = 0) -> Any:
    if isinstance(value, float):
        return float(Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding="ROUND_HALF_UP"))
    if isinstance(value, Decimal):
        return value.quantize(Decimal(1).scaleb(-digits), rounding="ROUND_HALF_UP")
    return value


# name -> (function, result type given the argument types, allowed argument counts)
SCALARS: dict[str, tuple[Callable[..., Any], Callable[[list[SqlType]], SqlType], tuple[int, ...]]] = {
    "UCASE": (_null_safe(str.upper), lambda t: STRING, (1,)),
    "UPPER": (_null_safe(str.upper), lambda t: STRING, (1,)),
    "LCASE": (_null_safe(str.lower), lambda t: STRING, (1,)),
    "LOWER": (_null_safe(str.lower), lambda t: STRING, (1,)),
    "TRIM": (_null_safe(str.strip), lambda t: STRING, (1,)),
    "LEN": (_null_safe(len), lambda t: INTEGER, (1,)),
    "CONCAT": (lambda *v: "".join(x for x in v if x is not None), lambda t: STRING, tuple(range(1, 64))),
    "SUBSTRING": (_null_safe(_substring), lambda t: STRING, (2, 3)),
    "ABS": (_null_safe(abs), lambda t: t[0], (1,)),
    "FLOOR": (_null_safe(math.floor), lambda t: t[0], (1,)),
    "CEIL": (_null_safe(math.ceil), lambda t: t[0], (1,)),
    "ROUND": (_null_safe(_round), lambda t: BIGINT if t[0].base in ("INTEGER", "BIGINT") else t[0], (1, 2)),
    "COALESCE": (lambda *v: next((x for x in v if x is not None), None), lambda t: t[0], tuple(range(1, 64))),
    "IFNULL": (lambda v, default: default if v is None else v, lambda t: t[0], (2,)),
    "AS_VALUE": (lambda v: v, lambda t: t[0], (1,)),
}


class _Compiler:
    def __init__(self, schema: LogicalSchema, qualifiers: tuple[str, ...]) -> None:
        self.schema = schema
        self.qualifiers = qualifiers

    def compile(self, expression: Expression) -> Compiled:
        method = getattr(self, f"_{type(expression).__name__}")
        return method(expression)

    def _ColumnRef(self, expression: ColumnRef) -> Compiled:
        if expression.source is not None and self.qualifiers and expression.source not in self.qualifiers:
            raise StatementError(f"Source '{expression.source}' not found.")
        column = self.schema.find(expression.name)
        if column is None:
            raise StatementError(f"Column '{expression.name}' cannot be resolved.")
        name = column.name
        return Compiled(lambda row: row.get(name), column.type)

    def _Literal(self, expression: Literal) -> Compiled:
        value = expression.value
        return Compiled(lambda row: value, literal_type(value))

    def _BinaryOp(self, expression: BinaryOp) -> Compiled:
        left, right = self.compile(expression.left), self.compile(expression.right)
        op = expression.op
        if op in ("AND", "OR"):
            for side in (left, right):
                self._require(side.type, {"BOOLEAN"}, op)
            return Compiled(
                _and(left.evaluate, right.evaluate) if op == "AND" else _or(left.evaluate, right.evaluate), BOOLEAN
            )
        if op in COMPARISONS:
            self._comparable(left.type, right.type, op)
            compare = COMPARISONS[op]
            kind = _compared_as(left.type, right.type)
            lf, rf = _as(left, kind), _as(right, kind)

            def evaluate(row: Row) -> Any:
                a, b = lf(row), rf(row)
                return None if a is None or b is None else compare(a, b)

            return Compiled(evaluate, BOOLEAN)
        if op == "+" and left.type.base == "STRING" and right.type.base == "STRING":
            return Compiled(_binary(operator.add, left.evaluate, right.evaluate), STRING)
        self._require(left.type, NUMERIC, op)
        self._require(right.type, NUMERIC, op)
        result = _numeric_result(left.type, right.type)
        return Compiled(_binary(ARITHMETIC[op], _as(left, result.base), _as(right, result.base)), result)

    def _Not(self, expression: Not) -> Compiled:
        inner = self.compile(expression.operand)
        self._require(inner.type, {"BOOLEAN"}, "NOT")
        evaluate = inner.evaluate
        return Compiled(lambda row: None if (v := evaluate(row)) is None else not v, BOOLEAN)

    def _Negate(self, expression: Negate) -> Compiled:
        inner = self.compile(expression.operand)
        self._require(inner.type, NUMERIC, "-")
        evaluate = inner.evaluate
        return Compiled(lambda row: None if (v := evaluate(row)) is None else -v, inner.type)

    def _IsNull(self, expression: IsNull) -> Compiled:
        evaluate, negated = self.compile(expression.operand).evaluate, expression.negated
        return Compiled(lambda row: (evaluate(row) is None) != negated, BOOLEAN)

    def _InList(self, expression: InList) -> Compiled:
        operand = self.compile(expression.operand)
        items = [self.compile(item) for item in expression.items]
        for item in items:
            self._comparable(operand.type, item.type, "IN")
        negated = expression.negated
        pairs = [(_as(operand, k), _as(item, k)) for item in items for k in [_compared_as(operand.type, item.type)]]

        def evaluate(row: Row) -> Any:
            if operand.evaluate(row) is None:
                return None
            found = any(left(row) == right(row) for left, right in pairs)
            return found != negated

        return Compiled(evaluate, BOOLEAN)

    def _Between(self, expression: Between) -> Compiled:
        operand, low, high = (self.compile(e) for e in (expression.operand, expression.low, expression.high))
        self._comparable(operand.type, low.type, "BETWEEN")
        self._comparable(operand.type, high.type, "BETWEEN")
        negated = expression.negated
        kind = _compared_as(operand.type, low.type, high.type)
        value_of, low_of, high_of = (_as(e, kind) for e in (operand, low, high))

        def evaluate(row: Row) -> Any:
            value, lo, hi = value_of(row), low_of(row), high_of(row)
            if value is None or lo is None or hi is None:
                return None
            return (lo <= value <= hi) != negated

        return Compiled(evaluate, BOOLEAN)

    def _Like(self, expression: Like) -> Compiled:
        operand, pattern = self.compile(expression.operand), self.compile(expression.pattern)
        self._require(operand.type, {"STRING"}, "LIKE")
        self._require(pattern.type, {"STRING"}, "LIKE")
        negated = expression.negated
        cache: dict[str, re.Pattern[str]] = {}

        def evaluate(row: Row) -> Any:
            value, text = operand.evaluate(row), pattern.evaluate(row)
            if value is None or text is None:
                return None
            compiled = cache.get(text)
            if compiled is None:
                regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in text)
                compiled = cache[text] = re.compile(regex, re.DOTALL)
            return (compiled.fullmatch(value) is not None) != negated

        return Compiled(evaluate, BOOLEAN)

    def _Cast(self, expression: Cast) -> Compiled:
        inner, target = self.compile(expression.operand), expression.type

        def evaluate(row: Row) -> Any:
            try:
                return coerce(inner.evaluate(row), target)
            except ValueError:
                return None

        return Compiled(evaluate, target)

    def _FunctionCall(self, expression: FunctionCall) -> Compiled:
        if expression.name in AGGREGATES:
            raise StatementError(
                f"Aggregate function {expression.name} is only allowed in the SELECT of a GROUP BY query."
            )
        found = SCALARS.get(expression.name)
        if found is None:
            raise StatementError(f"Can't find any functions with the name '{expression.name}'")
        function, result_type, arities = found
        args = [self.compile(a) for a in expression.args]
        if len(args) not in arities:
            raise StatementError(f"Function '{expression.name}' does not accept {len(args)} parameters.")
        evaluators = [a.evaluate for a in args]

        def evaluate(row: Row) -> Any:
            try:
                return function(*(e(row) for e in evaluators))
            except (TypeError, ValueError, OverflowError):
                return None  # ksqlDB logs a processing error and yields NULL

        return Compiled(evaluate, result_type([a.type for a in args]))

    @staticmethod
    def _require(sql_type: SqlType, bases: set[str], op: str) -> None:
        if sql_type.base not in bases:
            raise StatementError(f"Unsupported operand type {type_text(sql_type)} for '{op}'.")

    @staticmethod
    def _comparable(left: SqlType, right: SqlType, op: str) -> None:
        if left.base in NUMERIC and right.base in NUMERIC:
            return
        if left.base != right.base:
            raise StatementError(f"Cannot compare {type_text(left)} to {type_text(right)} with {op}.")


def _compared_as(*types: SqlType) -> str | None:
    """The kind of number ksqlDB compares these as: DECIMAL if one is, else DOUBLE if one is (None: as they are)."""
    bases = {t.base for t in types}
    if not bases <= NUMERIC:
        return None
    return "DECIMAL" if "DECIMAL" in bases else "DOUBLE" if "DOUBLE" in bases else None


def _as(side: Compiled, base: str | None) -> Evaluate:
    """``side``'s value as a ``base`` number, as Java converts it for a comparison or an arithmetic operator.

    A DOUBLE becomes a DECIMAL as BigDecimal.valueOf(double) makes it, from the double's shortest decimal
    text: ``d > 0.1`` is false for the double 0.1 (Python's exact float/Decimal comparison calls it greater).
    """
    evaluate = side.evaluate
    if base is None or side.type.base == base or base not in ("DECIMAL", "DOUBLE"):
        return evaluate
    convert: Callable[[Any], Any] = _to_decimal if base == "DECIMAL" else float

    def converted(row: Row) -> Any:
        value = evaluate(row)
        return None if value is None else convert(value)

    return converted


def _to_decimal(value: Any) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _binary(function: Callable[[Any, Any], Any], left: Evaluate, right: Evaluate) -> Evaluate:
    def evaluate(row: Row) -> Any:
        a, b = left(row), right(row)
        if a is None or b is None:
            return None
        try:
            return function(a, b)
        except (ArithmeticError, TypeError):
            return None

    return evaluate


def _and(left: Evaluate, right: Evaluate) -> Evaluate:
    def evaluate(row: Row) -> Any:
        a = left(row)
        if a is False:
            return False
        b = right(row)
        if b is False:
            return False
        return None if a is None or b is None else True

    return evaluate


def _or(left: Evaluate, right: Evaluate) -> Evaluate:
    def evaluate(row: Row) -> Any:
        a = left(row)
        if a is True:
            return True
        b = right(row)
        if b is True:
            return True
        return None if a is None or b is None else False

    return evaluate
