"""The KSQL parser under generated input: valid statements round-trip, anything else is refused
with a ``StatementError`` and never another exception.

Statements are drawn as dataclasses and printed as KSQL (keywords and names in random case,
names sometimes quoted, expressions fully parenthesised); parsing the printed text must give the
drawn statements back, each with its exact text. Mutations of those texts and random token soup
must either parse or raise ``StatementError``.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stack.ksql.parser import RESERVED_WORDS, parse
from stack.ksql.statements import (
    AllColumns,
    Between,
    BinaryOp,
    Cast,
    ColumnDef,
    ColumnRef,
    CreateAsSelect,
    CreateSource,
    Describe,
    Drop,
    FunctionCall,
    InList,
    IsNull,
    Like,
    Literal,
    Negate,
    Not,
    Query,
    Select,
    SelectItem,
    SetProperty,
    Show,
    SqlType,
    StatementError,
    Terminate,
    UnsetProperty,
    WindowExpression,
)

FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Non-reserved keywords are names too; IF right after STREAM/TABLE and EMIT as a bare source alias
# are read as keywords (ksqlDB's parser looks further ahead), so those two are left out.
KEYWORD_NAMES = ["KEY", "PRIMARY", "SHOW", "SET", "TABLES", "TOPIC", "MAP", "ARRAY", "STRUCT", "CHANGES", "REPLACE"]
PLAIN = re.compile(r"[A-Z_][A-Z0-9_@]*")


def is_plain(name: str) -> bool:
    """Whether ``name`` reads back the same unquoted."""
    return bool(PLAIN.fullmatch(name)) and name not in RESERVED_WORDS | {"IF", "EMIT"}


plain_names = st.one_of(
    st.from_regex(PLAIN.pattern[:-1] + "{0,8}", fullmatch=True).filter(is_plain),
    st.sampled_from([*KEYWORD_NAMES, "COUNT", "LINE", "STATION_ID", "DATE", "TIMESTAMP"]),
)
quoted_names = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=8)
names = st.one_of(plain_names, quoted_names)


# --- drawing statements --------------------------------------------------------------------------

base_types = st.sampled_from(["BOOLEAN", "INTEGER", "BIGINT", "DOUBLE", "STRING", "BYTES", "DATE", "TIME", "TIMESTAMP"])
decimal_types = st.integers(1, 38).flatmap(lambda p: st.integers(0, p).map(lambda s: SqlType("DECIMAL", p, s)))
types = st.recursive(
    base_types.map(SqlType) | decimal_types,
    lambda inner: st.one_of(
        inner.map(lambda items: SqlType("ARRAY", items=(items,))),
        inner.map(lambda value: SqlType("MAP", items=(SqlType("STRING"), value))),
        st.lists(st.tuples(names, inner), max_size=3).map(lambda fields: SqlType("STRUCT", fields=tuple(fields))),
    ),
    max_leaves=4,
)

literals = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(0, 2**63 - 1),
    st.decimals(min_value=0, max_value=10**12, places=3, allow_nan=False, allow_infinity=False),
    st.floats(min_value=0, allow_nan=False, allow_infinity=False),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=10),
).map(Literal)
columns = st.builds(ColumnRef, names, st.none() | names)
expressions = st.recursive(
    literals | columns,
    lambda inner: st.one_of(
        st.builds(
            BinaryOp,
            st.sampled_from(["=", "<>", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "AND", "OR"]),
            inner,
            inner,
        ),
        st.builds(Not, inner),
        st.builds(Negate, inner),
        st.builds(IsNull, inner, st.booleans()),
        st.builds(InList, inner, st.lists(inner, min_size=1, max_size=3).map(tuple), st.booleans()),
        st.builds(Between, inner, inner, inner, st.booleans()),
        st.builds(Like, inner, inner, st.booleans()),
        st.builds(Cast, inner, types),
        st.builds(FunctionCall, plain_names, st.lists(inner, max_size=3).map(tuple)),
        st.builds(FunctionCall, plain_names, st.just(()), st.just(True)),
    ),
    max_leaves=6,
)
UNITS = {"MILLISECOND": 1, "SECOND": 1000, "MINUTE": 60_000, "HOUR": 3_600_000, "DAY": 86_400_000}


@st.composite
def windows(draw) -> WindowExpression:
    """A window the parser accepts: 0 < advance <= size, a retention of at least size and grace."""
    size = draw(st.integers(1, 50)) * draw(st.sampled_from(list(UNITS.values())))
    advance = size if draw(st.booleans()) else draw(st.integers(1, size))
    grace = draw(st.none() | st.integers(0, 10**9))
    window = WindowExpression("TUMBLING" if advance == size else "HOPPING", size, advance, None, grace)
    retention = draw(st.none() | st.integers(window.size + window.grace_ms, 10**11))
    return dataclasses.replace(window, retention=retention)


selects = st.builds(
    Select,
    st.lists(
        st.builds(SelectItem, expressions, st.none() | names) | st.builds(AllColumns, st.none() | names),
        min_size=1,
        max_size=3,
    ).map(tuple),
    names,
    st.none() | expressions,
    st.lists(expressions, max_size=2).map(tuple),
    st.none() | expressions,
    st.booleans(),
    st.none() | st.integers(0, 2**63 - 1),
    st.none() | names,
    st.none() | windows(),
)
property_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63) + 1, 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=10),
)
properties = st.dictionaries(plain_names, property_values, max_size=4)
kinds = st.sampled_from(["STREAM", "TABLE"])


@st.composite
def create_sources(draw) -> CreateSource:
    kind = draw(kinds)
    columns = draw(st.lists(st.builds(ColumnDef, names, types, st.booleans()), max_size=4))
    return CreateSource(
        "", kind, draw(names), tuple(columns), draw(properties), draw(st.booleans()), draw(st.booleans())
    )


@st.composite
def shows(draw) -> Show:
    what = draw(st.sampled_from(["STREAMS", "TABLES", "QUERIES", "TOPICS", "PROPERTIES"]))
    extended = what != "PROPERTIES" and draw(st.booleans())
    return Show("", what, extended, what == "TOPICS" and draw(st.booleans()))


any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
statements = st.one_of(
    create_sources(),
    st.builds(CreateAsSelect, st.just(""), kinds, names, selects, properties, st.booleans(), st.booleans()),
    st.builds(Query, st.just(""), selects),
    shows(),
    st.builds(Describe, st.just(""), names, st.booleans()),
    st.builds(Drop, st.just(""), kinds, names, st.booleans(), st.booleans()),
    st.builds(Terminate, st.just(""), st.none() | plain_names | any_text),
    st.builds(SetProperty, st.just(""), any_text, any_text),
    st.builds(UnsetProperty, st.just(""), any_text),
)


# --- printing them as KSQL -----------------------------------------------------------------------


class Printer:
    """Prints statements as KSQL, with every free choice (case, quotes, optional words) drawn."""

    def __init__(self, draw) -> None:
        self.draw = draw

    def word(self, keyword: str) -> str:
        return self.draw(st.sampled_from([keyword, keyword.lower(), keyword.capitalize()]))

    def words(self, text: str) -> str:
        return " ".join(self.word(keyword) for keyword in text.split())

    def name(self, name: str) -> str:
        """Unquoted (in any case) when it can be, else in back-quotes or double quotes."""
        quoting = self.draw(st.sampled_from(["none", "back", "double"] if is_plain(name) else ["back", "double"]))
        if quoting == "none":
            return self.word(name)
        if quoting == "back":
            return "`" + name.replace("`", "``") + "`"
        return '"' + name.replace('"', '""') + '"'

    def string(self, text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def number(self, value: int | float | Decimal) -> str:
        if isinstance(value, float):
            return f"{value:.17e}"
        if isinstance(value, Decimal):
            text = format(value, "f")
            return text if "." in text else text + "."
        return str(value)

    def literal(self, value) -> str:
        if value is None or isinstance(value, bool):
            return self.word(str(value).upper() if value is not None else "NULL")
        if isinstance(value, str):
            return self.string(value)
        return self.number(value)

    def type(self, sql_type: SqlType) -> str:
        base = sql_type.base
        if base == "DECIMAL":
            return f"{self.word('DECIMAL')}({sql_type.precision}, {sql_type.scale})"
        if base == "ARRAY":
            return f"{self.word('ARRAY')}<{self.type(sql_type.items[0])}>"
        if base == "MAP":
            return f"{self.word('MAP')}<{self.type(sql_type.items[0])}, {self.type(sql_type.items[1])}>"
        if base == "STRUCT":
            fields = ", ".join(f"{self.name(name)} {self.type(field)}" for name, field in sql_type.fields)
            return f"{self.word('STRUCT')}<{fields}>"
        synonyms = {"INTEGER": ["INT", "INTEGER"], "STRING": ["STRING", "VARCHAR"]}
        return self.word(self.draw(st.sampled_from(synonyms.get(base, [base]))))

    def expression(self, node) -> str:
        match node:
            case Literal(value):
                return self.literal(value)
            case ColumnRef(name, None):
                return self.name(name)
            case ColumnRef(name, source):
                return f"{self.name(source)}.{self.name(name)}"
            case BinaryOp(op, left, right):
                return f"({self.expression(left)}) {self.words(op)} ({self.expression(right)})"
            case Not(operand):
                return f"{self.word('NOT')} ({self.expression(operand)})"
            case Negate(operand):
                return f"-({self.expression(operand)})"
            case IsNull(operand, negated):
                return f"({self.expression(operand)}) {self.words('IS NOT NULL' if negated else 'IS NULL')}"
            case InList(operand, items, negated):
                listed = ", ".join(self.expression(item) for item in items)
                return f"({self.expression(operand)}) {self.words('NOT IN' if negated else 'IN')} ({listed})"
            case Between(operand, low, high, negated):
                between = self.words("NOT BETWEEN" if negated else "BETWEEN")
                return f"({self.expression(operand)}) {between} ({self.expression(low)}) AND ({self.expression(high)})"
            case Like(operand, pattern, negated):
                like = self.words("NOT LIKE" if negated else "LIKE")
                return f"({self.expression(operand)}) {like} ({self.expression(pattern)})"
            case Cast(operand, sql_type):
                return f"{self.word('CAST')}({self.expression(operand)} {self.word('AS')} {self.type(sql_type)})"
            case FunctionCall(name, _, True):
                return f"{self.word(name)}(*)"
            case FunctionCall(name, args, False):
                return f"{self.word(name)}({', '.join(self.expression(arg) for arg in args)})"
        raise AssertionError(node)

    def alias(self, name: str) -> str:
        return f" {self.word('AS')} {self.name(name)}" if self.draw(st.booleans()) else f" {self.name(name)}"

    def select(self, select: Select) -> str:
        items = []
        for item in select.items:
            if isinstance(item, AllColumns):
                items.append("*" if item.source is None else f"{self.name(item.source)}.*")
            else:
                items.append(self.expression(item.expression) + (self.alias(item.alias) if item.alias else ""))
        text = f"{self.word('SELECT')} {', '.join(items)} {self.word('FROM')} {self.name(select.source)}"
        if select.alias:
            text += self.alias(select.alias)
        if select.window is not None:
            text += " " + self.window(select.window)
        if select.where is not None:
            text += f" {self.word('WHERE')} {self.expression(select.where)}"
        if select.group_by:
            text += f" {self.words('GROUP BY')} " + ", ".join(f"({self.expression(e)})" for e in select.group_by)
        if select.having is not None:
            text += f" {self.word('HAVING')} {self.expression(select.having)}"
        if select.emit_changes:
            text += f" {self.words('EMIT CHANGES')}"
        if select.limit is not None:
            text += f" {self.word('LIMIT')} {select.limit}"
        return text

    def window(self, window: WindowExpression) -> str:
        parts = [f"{self.word('SIZE')} {self.duration(window.size)}"]
        if window.kind == "HOPPING":
            parts.append(f"{self.words('ADVANCE BY')} {self.duration(window.advance)}")
        if window.retention is not None:
            parts.append(f"{self.word('RETENTION')} {self.duration(window.retention)}")
        if window.grace is not None:
            parts.append(f"{self.words('GRACE PERIOD')} {self.duration(window.grace)}")
        return f"{self.word('WINDOW')} {self.word(window.kind)} ({', '.join(parts)})"

    def duration(self, ms: int) -> str:
        """``ms`` in a unit that divides it, singular or plural, as ksqlDB reads either."""
        unit = self.draw(st.sampled_from([name for name, size in UNITS.items() if ms % size == 0]))
        return f"{ms // UNITS[unit]} {self.word(unit + self.draw(st.sampled_from(['', 'S'])))}"

    def properties(self, properties: dict) -> str:
        if not properties:
            return ""
        printed = []
        for name, value in properties.items():
            key = self.string(name) if self.draw(st.booleans()) else self.word(name)
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                printed.append(f"{key}=-{self.number(-value)}")
            else:
                printed.append(f"{key}={self.literal(value)}")
        return f" {self.word('WITH')} ({', '.join(printed)})"

    def create_head(self, statement: CreateSource | CreateAsSelect) -> str:
        text = self.word("CREATE")
        if statement.or_replace:
            text += " " + self.words("OR REPLACE")
        text += " " + self.word(statement.kind)
        if statement.if_not_exists:
            text += " " + self.words("IF NOT EXISTS")
        return f"{text} {self.name(statement.name)}"

    def statement(self, statement) -> str:
        match statement:
            case CreateSource():
                text = self.create_head(statement)
                if statement.columns:
                    key = "PRIMARY KEY" if statement.kind == "TABLE" else "KEY"
                    text += (
                        " ("
                        + ", ".join(
                            f"{self.name(c.name)} {self.type(c.type)}" + (f" {self.words(key)}" if c.key else "")
                            for c in statement.columns
                        )
                        + ")"
                    )
                return text + self.properties(statement.properties) + ";"
            case CreateAsSelect():
                head = self.create_head(statement) + self.properties(statement.properties)
                return f"{head} {self.word('AS')} {self.select(statement.query)};"
            case Query():
                return self.select(statement.select) + ";"
            case Show(_, what, extended, everything):
                text = f"{self.word(self.draw(st.sampled_from(['SHOW', 'LIST'])))}"
                text += f" {self.word('ALL')}" if everything else ""
                return f"{text} {self.word(what)}" + (f" {self.word('EXTENDED')}" if extended else "") + ";"
            case Describe(_, name, extended):
                if extended and self.draw(st.booleans()):
                    return f"{self.words('DESCRIBE EXTENDED')} {self.name(name)};"
                return (
                    f"{self.word('DESCRIBE')} {self.name(name)}"
                    + (f" {self.word('EXTENDED')}" if extended else "")
                    + ";"
                )
            case Drop(_, kind, name, if_exists, delete_topic):
                text = f"{self.word('DROP')} {self.word(kind)}" + (f" {self.words('IF EXISTS')}" if if_exists else "")
                return f"{text} {self.name(name)}" + (f" {self.words('DELETE TOPIC')}" if delete_topic else "") + ";"
            case Terminate(_, None):
                return f"{self.words('TERMINATE ALL')};"
            case Terminate(_, query_id):
                printed = (
                    self.word(query_id) if is_plain(query_id) and self.draw(st.booleans()) else self.string(query_id)
                )
                return f"{self.word('TERMINATE')} {printed};"
            case SetProperty(_, name, value):
                return f"{self.word('SET')} {self.string(name)}={self.string(value)};"
            case UnsetProperty(_, name):
                return f"{self.word('UNSET')} {self.string(name)};"
        raise AssertionError(statement)


SEPARATORS = ["", " ", "\n", "\n\n  ", " -- a comment; with a semicolon\n", "/* a comment; */", "\t/*\n*/ "]


def typed(value):
    """``value`` as nested tuples that tell ``1``, ``1.0``, ``Decimal(1)`` and ``True`` apart."""
    if dataclasses.is_dataclass(value):
        return (type(value).__name__, *(typed(getattr(value, f.name)) for f in dataclasses.fields(value)))
    if isinstance(value, tuple | list):
        return tuple(typed(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, typed(item)) for key, item in value.items()))
    return (type(value).__name__, value)


# --- properties ----------------------------------------------------------------------------------


@FUZZ
@given(st.lists(statements, min_size=1, max_size=3), st.data())
def test_printed_statements_parse_back_to_themselves(drawn, data):
    printer = Printer(data.draw)
    texts = [printer.statement(statement) for statement in drawn]
    separators = [data.draw(st.sampled_from(SEPARATORS)) for _ in range(len(texts) + 1)]
    text = separators[0] + "".join(piece + separator for piece, separator in zip(texts, separators[1:], strict=True))
    expected = [dataclasses.replace(statement, text=piece) for statement, piece in zip(drawn, texts, strict=True)]
    assert typed(parse(text)) == typed(expected)


FRAGMENTS = [
    "SELECT", "FROM", "WHERE", "GROUP BY", "EMIT CHANGES", "LIMIT", "CREATE", "TABLE", "STREAM", "WITH", "AS",
    "KEY", "PRIMARY", "JOIN", "WINDOW", "PARTITION BY", "INSERT INTO", "SHOW", "DESCRIBE", "DROP", "TERMINATE",
    "SET", "UNSET", "IF NOT EXISTS", "NOT", "NULL", "IN", "BETWEEN", "AND", "CAST", "COUNT(*)", "a", "`b`", '"c"',
    "'d'", "'", '"', "`", "1", "1.5", "1e3", "-", "(", ")", ",", ".", "*", ";", "=", "<>", "->", "[", "||", "--",
    "/*", "*/", "\n", "${x}", ":=", "=>", "#", "é", "\x00",
]  # fmt: skip
fragments = st.sampled_from(FRAGMENTS)


@st.composite
def mutated(draw) -> str:
    """A printed statement with a few characters or fragments deleted, inserted or swapped."""
    text = Printer(draw).statement(draw(statements))
    random = draw(st.randoms())  # spreads the mutations over the text (drawn integers crowd towards 0)
    for _ in range(draw(st.integers(1, 3))):
        at = random.randint(0, len(text))
        match draw(st.sampled_from(["delete", "insert", "truncate", "repeat"])):
            case "delete":
                text = text[:at] + text[at + draw(st.integers(1, 5)) :]
            case "insert":
                text = text[:at] + f" {draw(fragments)} " + text[at:]
            case "truncate":
                text = text[:at]
            case "repeat":
                text = text[:at] + text[at : at + 8] + text[at:]
    return text


def parses_or_is_refused(text: str) -> None:
    try:
        parse(text)
    except StatementError as error:
        assert str(error)
        assert error.text in text


@FUZZ
@given(mutated())
def test_mutated_statements_parse_or_are_refused(text):
    parses_or_is_refused(text)


@FUZZ
@given(st.lists(fragments, max_size=15).map(" ".join) | st.text(max_size=40))
def test_random_text_parses_or_is_refused(text):
    parses_or_is_refused(text)
