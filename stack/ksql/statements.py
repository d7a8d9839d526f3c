"""The KSQL statements the server understands, as the parser hands them to the engine.

Plain frozen dataclasses, no behaviour: the parser (``parser.py``) builds them from text, the engine
(``engine.py``) validates and runs them. Names are already resolved the way ksqlDB resolves them:
unquoted identifiers upper-cased, back-quoted ones as written. Every statement keeps its own text
(``text``, up to and including its ``;``) because ksqlDB's answers quote it back as ``statementText``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal as Kind

# --- types ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SqlType:
    """A column type: ``base`` is one of BOOLEAN, INTEGER, BIGINT, DOUBLE, DECIMAL, STRING, BYTES,
    DATE, TIME, TIMESTAMP, ARRAY, MAP, STRUCT (INT is INTEGER, VARCHAR is STRING, as ksqlDB prints them).

    DECIMAL carries ``precision`` and ``scale``; ARRAY one ``items`` type; MAP a key and a value type
    in ``items`` (the key is always STRING); STRUCT its ``fields``.
    """

    base: str
    precision: int | None = None
    scale: int | None = None
    items: tuple[SqlType, ...] = ()
    fields: tuple[tuple[str, SqlType], ...] = ()


# --- expressions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnRef:
    """A column, optionally qualified by its source (``t.col``); ``name`` resolved as an identifier."""

    name: str
    source: str | None = None


@dataclass(frozen=True)
class Literal:
    """NULL (None), TRUE/FALSE, an integer, a DOUBLE (float), a decimal literal (Decimal) or a string."""

    value: bool | int | float | Decimal | str | None


@dataclass(frozen=True)
class BinaryOp:
    """``op`` is one of ``= <> < <= > >= + - * / % AND OR`` (``!=`` arrives as ``<>``)."""

    op: str
    left: Expression
    right: Expression


@dataclass(frozen=True)
class Not:
    operand: Expression


@dataclass(frozen=True)
class Negate:
    """Unary minus."""

    operand: Expression


@dataclass(frozen=True)
class IsNull:
    """``x IS NULL`` or, with ``negated``, ``x IS NOT NULL``."""

    operand: Expression
    negated: bool = False


@dataclass(frozen=True)
class InList:
    """``x [NOT] IN (a, b, ...)``."""

    operand: Expression
    items: tuple[Expression, ...]
    negated: bool = False


@dataclass(frozen=True)
class Between:
    """``x [NOT] BETWEEN low AND high``."""

    operand: Expression
    low: Expression
    high: Expression
    negated: bool = False


@dataclass(frozen=True)
class Like:
    """``x [NOT] LIKE 'pattern'`` with SQL's ``%`` and ``_`` wildcards."""

    operand: Expression
    pattern: Expression
    negated: bool = False


@dataclass(frozen=True)
class Cast:
    """``CAST(x AS type)``."""

    operand: Expression
    type: SqlType


@dataclass(frozen=True)
class FunctionCall:
    """A scalar or aggregate function call; ``name`` upper-cased; ``star`` for ``COUNT(*)``."""

    name: str
    args: tuple[Expression, ...] = ()
    star: bool = False


Expression = ColumnRef | Literal | BinaryOp | Not | Negate | IsNull | InList | Between | Like | Cast | FunctionCall


# --- queries -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SelectItem:
    """One projected expression, with its ``AS`` alias if it has one."""

    expression: Expression
    alias: str | None = None


@dataclass(frozen=True)
class AllColumns:
    """``*`` (or ``t.*``) in a projection."""

    source: str | None = None


@dataclass(frozen=True)
class WindowExpression:
    """``WINDOW TUMBLING (SIZE ...)`` or ``WINDOW HOPPING (SIZE ..., ADVANCE BY ...)``, durations in ms.

    A tumbling window advances by its size. ``grace`` and ``retention`` are None when not given:
    ksqlDB's defaults then apply (:attr:`grace_ms`, :attr:`retention_ms`).
    """

    kind: Kind["TUMBLING", "HOPPING"]
    size: int
    advance: int
    retention: int | None = None
    grace: int | None = None

    @property
    def grace_ms(self) -> int:
        """Without GRACE PERIOD, Kafka Streams' ``TimeWindows.of`` default, which ksqlDB keeps: a window is
        kept open until a day after it began (a day less its size)."""
        return max(DAY_MS - self.size, 0) if self.grace is None else self.grace

    @property
    def retention_ms(self) -> int:
        """How long a window stays in the state: at least its size and grace, as Kafka Streams' window store."""
        return self.size + self.grace_ms if self.retention is None else self.retention


DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class Select:
    """``SELECT items FROM source [[AS] alias] [WINDOW] [WHERE] [GROUP BY] [HAVING] [EMIT CHANGES] [LIMIT n]``.

    A qualifier (``t.col``, ``t.*``) may name the source or its ``alias``.
    """

    items: tuple[SelectItem | AllColumns, ...]
    source: str
    where: Expression | None = None
    group_by: tuple[Expression, ...] = ()
    having: Expression | None = None
    emit_changes: bool = False
    limit: int | None = None
    alias: str | None = None
    window: WindowExpression | None = None


# --- statements ----------------------------------------------------------------------------------

SourceKind = Kind["STREAM", "TABLE"]
PropertyValue = str | int | float | bool | None


@dataclass(frozen=True)
class ColumnDef:
    """A declared column; ``key`` for ``KEY`` (streams) and ``PRIMARY KEY`` (tables)."""

    name: str
    type: SqlType
    key: bool = False


@dataclass(frozen=True)
class CreateSource:
    """``CREATE [OR REPLACE] STREAM|TABLE [IF NOT EXISTS] name [(columns)] WITH (...)``.

    ``properties`` has upper-cased names (``KAFKA_TOPIC``, ``VALUE_FORMAT``, ``KEY`` ...) and literal
    values; ``columns`` is empty when the statement lists none (the schema then comes from the registry).
    """

    text: str
    kind: SourceKind
    name: str
    columns: tuple[ColumnDef, ...] = ()
    properties: dict[str, PropertyValue] = field(default_factory=dict)
    or_replace: bool = False
    if_not_exists: bool = False


@dataclass(frozen=True)
class CreateAsSelect:
    """``CREATE [OR REPLACE] STREAM|TABLE [IF NOT EXISTS] name [WITH (...)] AS SELECT ...``."""

    text: str
    kind: SourceKind
    name: str
    query: Select
    properties: dict[str, PropertyValue] = field(default_factory=dict)
    or_replace: bool = False
    if_not_exists: bool = False


@dataclass(frozen=True)
class Query:
    """A top-level ``SELECT``: a push query (``EMIT CHANGES``) or a pull query."""

    text: str
    select: Select


@dataclass(frozen=True)
class Show:
    """``SHOW|LIST STREAMS|TABLES|QUERIES|TOPICS|PROPERTIES``; ``extended`` for ``... EXTENDED``,
    ``all`` for ``SHOW ALL TOPICS``."""

    text: str
    what: Kind["STREAMS", "TABLES", "QUERIES", "TOPICS", "PROPERTIES"]
    extended: bool = False
    all: bool = False


@dataclass(frozen=True)
class Describe:
    """``DESCRIBE [EXTENDED] name``."""

    text: str
    name: str
    extended: bool = False


@dataclass(frozen=True)
class Drop:
    """``DROP STREAM|TABLE [IF EXISTS] name [DELETE TOPIC]``."""

    text: str
    kind: SourceKind
    name: str
    if_exists: bool = False
    delete_topic: bool = False


@dataclass(frozen=True)
class Terminate:
    """``TERMINATE query_id`` or, with ``query_id`` None, ``TERMINATE ALL``."""

    text: str
    query_id: str | None


@dataclass(frozen=True)
class SetProperty:
    """``SET 'name' = 'value'``."""

    text: str
    name: str
    value: str


@dataclass(frozen=True)
class UnsetProperty:
    """``UNSET 'name'``."""

    text: str
    name: str


Statement = CreateSource | CreateAsSelect | Query | Show | Describe | Drop | Terminate | SetProperty | UnsetProperty


class StatementError(Exception):
    """A statement the server cannot run: a syntax error or something outside the supported subset.

    ``str()`` is the message ksqlDB would send (``line 1:8: Syntax Error ...`` for syntax errors);
    ``text`` is the statement it concerns, when known.
    """

    def __init__(self, message: str, text: str = "") -> None:
        super().__init__(message)
        self.text = text
