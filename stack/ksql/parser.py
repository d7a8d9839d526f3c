"""The KSQL statement parser: request text in, the dataclasses of ``statements.py`` out.

``parse`` reads one or more statements, each ending with ``;`` as ksqlDB requires, with the grammar
in ``grammar.lark`` (lark's LALR parser, built once at import). A ``Transformer`` builds each
statement's dataclass while the parser reduces its rules, without a parse tree in between.

Anything that is not a statement of the supported subset raises ``StatementError`` with the
message ksqlDB would give (``line 1:8: Syntax Error ...``) or, for ksqlDB features this server
does not have (JOIN, WINDOW, INSERT INTO, ...), a message naming the feature. Those are recognised
from a flat token stream of the failing statement, so that a user learns what is missing rather
than where the grammar gave up.
"""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr
from lark.parsers.lalr_parser_state import ParserState

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
    Statement,
    StatementError,
    Terminate,
    UnsetProperty,
    WindowExpression,
)

# ksqlDB's reserved words: the keywords of its grammar (SqlBase.g4) that are not in its
# `nonReserved` rule. They need back-quotes to be used as names. TOPIC is reserved in ksqlDB too,
# but this server lets it name a column, as KSQL-era statements do.
RESERVED_WORDS = frozenset(
    """
    ADVANCE AND AS BEGINNING BETWEEN BY CASE CAST CATALOG CONNECTOR CONNECTORS CREATE DAYS DECIMAL
    DELETE DESCRIBE DISTINCT DROP ELSE END EXISTS EXPORT EXTENDED FALSE FROM FULL GROUP HAVING
    HOPPING HOURS IN INNER INSERT INTO IS JOIN LEFT LIKE LIMIT LIST LOAD MATERIALIZED MILLISECOND
    MILLISECONDS MINUTES MONTHS NAMESPACE NOT NULL ON OR OUTER PRINT PROPERTIES QUERIES QUERY RENAME
    RETENTION RIGHT RUN SAMPLE SCRIPT SECONDS SELECT SIZE STREAM STREAMS TABLE TERMINATE THEN TO
    TOPICS TRUE TUMBLING UNSET VALUES VIEW WHEN WHERE WINDOW WITH WITHIN YEARS
    """.split()  # noqa: SIM905 (a word list reads better as text)
)

# Type names as ksqlDB accepts them, and the name it prints for each.
_TYPE_NAMES = {
    "BOOLEAN": "BOOLEAN",
    "INT": "INTEGER",
    "INTEGER": "INTEGER",
    "BIGINT": "BIGINT",
    "DOUBLE": "DOUBLE",
    "STRING": "STRING",
    "VARCHAR": "STRING",
    "BYTES": "BYTES",
    "DATE": "DATE",
    "TIME": "TIME",
    "TIMESTAMP": "TIMESTAMP",
}


# Milliseconds in each of ksqlDB's window units, by their singular spelling.
UNIT_MS = {"MILLISECOND": 1, "SECOND": 1000, "MINUTE": 60_000, "HOUR": 3_600_000, "DAY": 86_400_000}


def _checked_window(window: WindowExpression) -> WindowExpression:
    """Kafka Streams' bounds, which ksqlDB reports: a positive size, 0 < advance <= size, and a retention
    that keeps a window until its grace period is over."""
    if window.size <= 0:
        raise StatementError("Window size (sizeMs) must be larger than zero.")
    if not 0 < window.advance <= window.size:
        raise StatementError("Window advancement interval should be more than zero and less than window duration")
    if window.retention_ms < window.size + window.grace_ms:
        raise StatementError(
            "The retention period of the window store must be no smaller than its window size plus the grace "
            f"period. Got size=[{window.size}], grace=[{window.grace_ms}], retention=[{window.retention_ms}]"
        )
    return window


def parse(text: str) -> list[Statement]:
    """The statements in ``text``, in order; raises ``StatementError`` for the first that is not valid.

    The tokens are fed to the parser one by one, so that each statement's text can be cut out at
    its first token and its ``;``, and an error can be pinned on the statement being read.
    """
    parser = _PARSER.parse_interactive(text, start="statements")
    spans: list[tuple[int, int]] = []
    start = token = None
    try:
        for token in parser.lexer_thread.lex(parser.parser_state):
            if start is None:
                start = token.start_pos
            _feed(parser.parser_state, token)
            if token.type == "SEMICOLON":
                spans.append((start, token.end_pos))
                start = None
        statements = parser.feed_eof(token)
    except UnexpectedInput as error:
        raise _syntax_error(text, error) from None
    except StatementError as error:
        position = token.start_pos if token is not None else 0
        raise _invalid_statement(text, position, str(error)) from None
    return [replace(statement, text=text[begin:end]) for statement, (begin, end) in zip(statements, spans, strict=True)]


def _feed(parser: ParserState, token: Token) -> None:
    """Feeds one token, reading a keyword as a name where only a name fits (``SELECT a key FROM t``).

    The contextual lexer offers a keyword wherever the parser state accepts one, but LALR merges
    the states that follow a name, so a keyword that may follow a name elsewhere (``INT KEY``) can
    be offered where the parser, once it has reduced, needs a name. ``identifier`` refuses reserved
    words afterwards, as ksqlDB does.
    """
    try:
        parser.feed_token(token)
    except UnexpectedToken as error:
        if token.type not in _KEYWORDS or "IDENTIFIER" not in error.expected:
            raise
        parser.feed_token(Token.new_borrow_pos("IDENTIFIER", token, token))


def _number(token: Token) -> int | float | Decimal:
    """An exponent makes a DOUBLE, a decimal point a DECIMAL, anything else an integer (up to BIGINT), as in ksqlDB."""
    if "e" in token or "E" in token:
        value = float(token)
        valid = math.isfinite(value)
    elif "." in token:
        value, valid = Decimal(token), True
    else:
        # int() refuses more than 4300 digits; a BIGINT has 19.
        value = int(token) if len(token.lstrip("0")) <= 19 else 2**63
        valid = value < 2**63
    if not valid:
        raise StatementError(f"line {token.line}:{token.column}: Invalid numeric literal: {token}")
    return value


def _unquote(token: Token) -> str:
    """The text of a ``'string'``, in which ``''`` stands for one quote."""
    return token[1:-1].replace("''", "'")


# --- from tokens to dataclasses ------------------------------------------------------------------


@v_args(inline=True)
class _StatementBuilder(Transformer):
    """Builds each statement's dataclass while the parser reduces its rules, one method per rule.

    Statements are built with an empty ``text``; ``parse`` fills it in.
    """

    # statements

    def statements(self, *statements: Statement) -> list[Statement]:
        return list(statements)

    def statement(self, statement: Statement, semicolon: Token) -> Statement:
        return statement

    def query(self, select: Select) -> Query:
        return Query("", select)

    def create_source(
        self,
        or_replace: bool | None,
        kind: str,
        if_not_exists: bool | None,
        name: str,
        columns: tuple[tuple[ColumnDef, str | None], ...] | None,
        properties: dict | None,
    ) -> CreateSource:
        """Tables declare PRIMARY KEY columns and streams KEY columns, as ksqlDB insists."""
        wrong, right = ("KEY", "PRIMARY KEY") if kind == "TABLE" else ("PRIMARY KEY", "KEY")
        for column, constraint in columns or ():
            if constraint == wrong:
                raise StatementError(
                    f"Column `{column.name}` is a '{wrong}' column: please use '{right}' for {kind.lower()}s.\n"
                    "Tables have PRIMARY KEYs, which are unique and NON NULL.\n"
                    "Streams have KEYs, which have no uniqueness or NON NULL constraints."
                )
        return CreateSource(
            "",
            kind,
            name,
            tuple(column for column, _ in columns or ()),
            properties or {},
            bool(or_replace),
            bool(if_not_exists),
        )

    def create_as_select(
        self,
        or_replace: bool | None,
        kind: str,
        if_not_exists: bool | None,
        name: str,
        properties: dict | None,
        select: Select,
    ) -> CreateAsSelect:
        return CreateAsSelect("", kind, name, select, properties or {}, bool(or_replace), bool(if_not_exists))

    def show(self, what: dict) -> Show:
        return Show("", **what)

    def describe(self, name: str, extended: bool | None) -> Describe:
        return Describe("", name, bool(extended))

    def describe_extended_first(self, extended: bool, name: str) -> Describe:
        """KSQL 5 wrote ``DESCRIBE EXTENDED name``; ksqlDB writes ``DESCRIBE name EXTENDED``."""
        return Describe("", name, True)

    def drop(self, kind: str, if_exists: bool | None, name: str, delete_topic: bool | None) -> Drop:
        return Drop("", kind, name, bool(if_exists), bool(delete_topic))

    def terminate_query(self, query_id: str) -> Terminate:
        return Terminate("", query_id)

    def terminate_all(self) -> Terminate:
        return Terminate("", None)

    def set_property(self, name: str, value: str) -> SetProperty:
        return SetProperty("", name, value)

    def unset_property(self, name: str) -> UnsetProperty:
        return UnsetProperty("", name)

    # parts of statements

    def present(self) -> bool:
        """An optional word that is there: OR REPLACE, IF [NOT] EXISTS, DELETE TOPIC, EXTENDED, NOT, ..."""
        return True

    or_replace = if_not_exists = if_exists = delete_topic = extended = all_topics = negated = emit_changes = present

    def source_kind(self, token: Token) -> str:
        """STREAM or TABLE."""
        return token.upper()

    def listing(self, token: Token) -> str:
        """STREAMS, TABLES or QUERIES."""
        return token.upper()

    def show_listing(self, what: str, extended: bool | None) -> dict:
        return {"what": what, "extended": bool(extended)}

    def show_topics(self, all_topics: bool | None, extended: bool | None) -> dict:
        return {"what": "TOPICS", "extended": bool(extended), "all": bool(all_topics)}

    def show_properties(self) -> dict:
        return {"what": "PROPERTIES"}

    def table_elements(self, *columns: tuple[ColumnDef, str | None]) -> tuple[tuple[ColumnDef, str | None], ...]:
        return columns

    def column_def(self, name: str, type_: SqlType, constraint: str | None) -> tuple[ColumnDef, str | None]:
        """The column with its constraint as written, checked once the statement's kind is known."""
        return ColumnDef(name, type_, constraint is not None), constraint

    def key(self) -> str:
        return "KEY"

    def primary_key(self) -> str:
        return "PRIMARY KEY"

    def with_properties(self, *properties: tuple[str, object]) -> dict:
        return dict(properties)

    def property(self, name: str, value: object) -> tuple[str, object]:
        """Property names in any case are upper-cased; a DECIMAL value becomes a float."""
        return name.upper(), float(value) if isinstance(value, Decimal) else value

    def property_value(self, literal: Literal) -> object:
        return literal.value

    def negative_number(self, token: Token) -> int | float | Decimal:
        return -_number(token)

    # queries

    def select(self, *children) -> Select:
        *items, (source, alias), window, where, group_by, having, emit_changes, limit = children
        return Select(tuple(items), source, where, group_by or (), having, bool(emit_changes), limit, alias, window)

    def tumbling(self, size: int, retention: int | None, grace: int | None) -> WindowExpression:
        return _checked_window(WindowExpression("TUMBLING", size, size, retention, grace))

    def hopping(self, size: int, advance: int, retention: int | None, grace: int | None) -> WindowExpression:
        return _checked_window(WindowExpression("HOPPING", size, advance, retention, grace))

    def retention(self, duration: int) -> int:
        return duration

    def grace(self, duration: int) -> int:
        return duration

    def duration(self, number: Token, unit: Token) -> int:
        """A window duration in ms: a whole number and a unit (``1 HOUR``, ``30 SECONDS``)."""
        count = _number(number)
        if not isinstance(count, int):
            raise StatementError(f"line {number.line}:{number.column}: A window duration is a whole number: {number}")
        return count * UNIT_MS[unit.upper().rstrip("S")]

    def single_column(self, expression, alias: str | None) -> SelectItem:
        return SelectItem(expression, alias)

    def all_columns(self) -> AllColumns:
        return AllColumns()

    def source_columns(self, source: str) -> AllColumns:
        return AllColumns(source)

    def alias(self, name: str) -> str:
        return name

    def source(self, name: str, alias: str | None) -> tuple[str, str | None]:
        return name, alias

    def source_name(self, *parts: str) -> str:
        """KSQL 5 named ``com.udacity.turnstile_summary`` by its last part, ``TURNSTILE_SUMMARY``."""
        return parts[-1]

    def where(self, expression):
        return expression

    def group_by(self, *expressions) -> tuple:
        return expressions

    def having(self, expression):
        return expression

    def limit(self, token: Token) -> int:
        count = _number(token)
        if not isinstance(count, int):
            raise StatementError("Value must be integer for command: LIMIT")
        return count

    # expressions

    def or_op(self, left, right) -> BinaryOp:
        return BinaryOp("OR", left, right)

    def and_op(self, left, right) -> BinaryOp:
        return BinaryOp("AND", left, right)

    def not_op(self, operand) -> Not:
        return Not(operand)

    def comparison(self, left, operator: str, right) -> BinaryOp:
        return BinaryOp(operator, left, right)

    def arithmetic(self, left, operator: str, right) -> BinaryOp:
        return BinaryOp(operator, left, right)

    def comparison_operator(self, token: Token) -> str:
        """``!=`` is ``<>``, as ksqlDB prints it."""
        return "<>" if token == "!=" else str(token)

    def add_operator(self, token: Token) -> str:
        return str(token)

    def multiply_operator(self, token: Token) -> str:
        return str(token)

    def between(self, operand, negated: bool | None, low, high) -> Between:
        return Between(operand, low, high, bool(negated))

    def in_list(self, operand, negated: bool | None, *items) -> InList:
        return InList(operand, items, bool(negated))

    def like(self, operand, negated: bool | None, pattern) -> Like:
        return Like(operand, pattern, bool(negated))

    def is_null(self, operand, negated: bool | None) -> IsNull:
        return IsNull(operand, bool(negated))

    def negate(self, operand) -> Negate:
        return Negate(operand)

    def cast(self, operand, type_: SqlType) -> Cast:
        return Cast(operand, type_)

    def count_star(self, name: str) -> FunctionCall:
        return FunctionCall(name.upper(), (), star=True)

    def function_call(self, name: str, arguments: tuple | None) -> FunctionCall:
        return FunctionCall(name.upper(), arguments or ())

    def arguments(self, *expressions) -> tuple:
        return expressions

    def column(self, name: str) -> ColumnRef:
        return ColumnRef(name)

    def qualified_column(self, source: str, name: str) -> ColumnRef:
        return ColumnRef(name, source)

    def string(self, token: Token) -> Literal:
        return Literal(_unquote(token))

    def number(self, token: Token) -> Literal:
        return Literal(_number(token))

    def true(self) -> Literal:
        return Literal(True)

    def false(self) -> Literal:
        return Literal(False)

    def null(self) -> Literal:
        return Literal(None)

    # types

    def named_type(self, name: str) -> SqlType:
        try:
            return SqlType(_TYPE_NAMES[name.upper()])
        except KeyError:
            raise StatementError(f"Cannot resolve unknown type: {name}") from None

    def decimal_type(self, precision_token: Token, scale_token: Token) -> SqlType:
        """ksqlDB's bounds: 1 <= precision, 0 <= scale <= precision."""
        precision, scale = _number(precision_token), _number(scale_token)
        for value, part in ((precision, "PRECISION"), (scale, "SCALE")):
            if not isinstance(value, int):
                raise StatementError(f"Value must be integer for command: DECIMAL({part})")
        if precision < 1:
            raise StatementError(f"DECIMAL precision must be >= 1: DECIMAL({precision}, {scale})")
        if scale > precision:
            raise StatementError(f"DECIMAL precision must be >= scale: DECIMAL({precision}, {scale})")
        return SqlType("DECIMAL", precision, scale)

    def array_type(self, items: SqlType) -> SqlType:
        return SqlType("ARRAY", items=(items,))

    def map_type(self, key: SqlType, value: SqlType) -> SqlType:
        if key.base != "STRING":
            raise StatementError(f"MAP keys must be STRING, not {key.base}")
        return SqlType("MAP", items=(key, value))

    def struct_type(self, fields: tuple | None) -> SqlType:
        return SqlType("STRUCT", fields=fields or ())

    def struct_fields(self, *fields: tuple[str, SqlType]) -> tuple:
        return fields

    def struct_field(self, name: str, type_: SqlType) -> tuple[str, SqlType]:
        return name, type_

    # names and quoted text

    def identifier(self, token: Token) -> str:
        """Unquoted names are upper-cased and may not be reserved words; quoted ones are kept as written."""
        if token.type == "QUOTED_IDENTIFIER":
            return token[1:-1].replace('""', '"')
        if token.type == "BACKQUOTED_IDENTIFIER":
            return token[1:-1].replace("``", "`")
        name = token.upper()
        if name in _UNSUPPORTED_ANYWHERE:
            raise StatementError(f"{_UNSUPPORTED_ANYWHERE[name]} is not supported by this server")
        if name in RESERVED_WORDS:
            raise StatementError(
                f"line {token.line}:{token.column}: Syntax Error\n"
                f'"{token}" is a reserved keyword and it can\'t be used as an identifier. '
                f"You can use it as an identifier by escaping it as `{token}`"
            )
        return name

    def quoted(self, token: Token) -> str:
        return _unquote(token)


_PARSER = Lark(
    Path(__file__).with_name("grammar.lark").read_text(encoding="utf-8"),
    parser="lalr",
    lexer="contextual",
    start=["statements", "tokens"],
    maybe_placeholders=True,
    transformer=_StatementBuilder(),
)
# The keyword terminals (``_SELECT``, ``_KEY``, ...): the tokens `_feed` may read as names instead.
_KEYWORDS = frozenset(name for name in (t.name for t in _PARSER.terminals) if name[:1] == "_" and name[1:].isalpha())


# --- syntax errors -------------------------------------------------------------------------------

# The statements ksqlDB suggests for a mistyped first word ("Did you mean 'SELECT'?").
_COMMANDS = """
    SELECT CREATE INSERT DESCRIBE PRINT EXPLAIN SHOW LIST TERMINATE PAUSE RESUME DROP SET DEFINE
    UNDEFINE UNSET ASSERT ALTER
    """.split()  # noqa: SIM905 (a word list reads better as text)

# ksqlDB statements outside the subset, by their first words (LIST is read as SHOW, and
# CREATE OR REPLACE as CREATE).
_UNSUPPORTED_STATEMENTS = [
    words.split()
    for words in (
        "INSERT INTO", "PRINT", "EXPLAIN", "DEFINE", "UNDEFINE", "ALTER", "ASSERT", "PAUSE", "RESUME", "RUN SCRIPT",
        "CREATE SOURCE CONNECTOR", "CREATE SINK CONNECTOR", "CREATE SOURCE STREAM", "CREATE SOURCE TABLE",
        "CREATE TYPE", "DROP CONNECTOR", "DROP TYPE", "SHOW FUNCTIONS", "SHOW CONNECTORS", "SHOW SOURCE CONNECTORS",
        "SHOW SINK CONNECTORS", "SHOW CONNECTOR PLUGINS", "SHOW TYPES", "SHOW VARIABLES", "DESCRIBE FUNCTION",
        "DESCRIBE CONNECTOR", "DESCRIBE STREAMS",
    )
]  # fmt: skip

# Parts of a query outside the subset. Reserved words and symbols cannot appear in a supported
# statement at all; the non-reserved words only count where the parse failed.
_UNSUPPORTED_ANYWHERE = {
    **dict.fromkeys(("JOIN", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "ON", "WITHIN"), "JOIN"),
    "CASE": "CASE",
    "DISTINCT": "DISTINCT",
    "->": "Struct field access with '->'",
    "[": "Array indexing and ARRAY[...] constructors",
    "||": "String concatenation with '||'",
    ":=": "MAP(...) and STRUCT(...) constructors",
    "=>": "Lambda functions",
    "${": "Variable substitution",
}
_UNSUPPORTED_AT_ERROR = {
    "AT": "AT TIME ZONE",  # not reserved in ksqlDB: a stream may be called AT
    "PARTITION": "PARTITION BY",
    "SESSION": "WINDOW SESSION",
    "FINAL": "EMIT FINAL",
    "HEADERS": "HEADERS columns",
    "HEADER": "HEADER columns",
    "ESCAPE": "LIKE ... ESCAPE",
}


def _display(terminal: str) -> str:
    """A terminal as ANTLR names it in ksqlDB's messages: ``';'``, ``'WITH'``, ``IDENTIFIER``."""
    pattern = _PARSER.get_terminal(terminal).pattern
    if isinstance(pattern, PatternStr):
        return f"'{pattern.value}'"
    if terminal.startswith("_"):
        return f"'{terminal.lstrip('_')}'"
    return "IDENTIFIER" if terminal.endswith("IDENTIFIER") else terminal


_DISPLAY = {terminal.name: _display(terminal.name) for terminal in _PARSER.terminals}


def _syntax_error(text: str, error: UnexpectedInput) -> StatementError:
    """ksqlDB's message for the first place the text stops making sense."""
    if isinstance(error, UnexpectedToken):
        position = len(text) if error.token.type == "$END" else error.token.start_pos
        expected = error.accepts or error.expected
    else:
        position = error.pos_in_stream if isinstance(error, UnexpectedCharacters) else len(text)
        expected = getattr(error, "allowed", None) or set()
    statement = _statement_tokens(text, position)
    statement_text = _text_of(text, statement)
    # The token the parser stopped at (the whole of `->` when it stopped at its `>`), or None at the end.
    index = next((i for i, token in enumerate(statement) if token.end_pos > position), len(statement))
    offending = statement[index] if index < len(statement) else None
    feature = _unsupported_statement(statement) or _unsupported_part(statement, index)
    if feature:
        return StatementError(f"{feature} is not supported by this server", statement_text)
    where = offending.start_pos if offending else len(text)
    line = text.count("\n", 0, where) + 1
    column = where - text.rfind("\n", 0, where)
    return StatementError(
        f"line {line}:{column}: Syntax Error\n{_explanation(offending, index, expected, line, column)}", statement_text
    )


def _invalid_statement(text: str, position: int, message: str) -> StatementError:
    """The error for a statement that parsed but makes no sense, or is a ksqlDB statement the server lacks."""
    statement = _statement_tokens(text, position)
    feature = _unsupported_statement(statement)
    if feature:
        message = f"{feature} is not supported by this server"
    return StatementError(message, _text_of(text, statement))


def _text_of(text: str, statement: list[Token]) -> str:
    return text[statement[0].start_pos : statement[-1].end_pos] if statement else ""


def _statement_tokens(text: str, position: int) -> list[Token]:
    """The tokens of the statement (up to and including its ``;``) that holds ``position``.

    They come from the grammar's flat ``tokens`` rule, which reads any text, keywords as names.
    """
    statements: list[list[Token]] = [[]]
    for token in _PARSER.parse(text, start="tokens").children:
        statements[-1].append(token)
        if token.type == "SEMICOLON":
            statements.append([])
    statements = [statement for statement in statements if statement]
    for statement in statements:
        if statement[-1].end_pos > position:
            return statement
    return statements[-1] if statements else []


def _words(statement: list[Token]) -> list[str]:
    """The statement's tokens with names upper-cased, as ksqlDB's keywords compare."""
    return [token.upper() if token.type == "IDENTIFIER" else str(token) for token in statement]


def _unsupported_statement(statement: list[Token]) -> str | None:
    """The kind of ksqlDB statement the server lacks that this statement is, by its first words."""
    words = _words(statement[:5])
    if words[:1] == ["LIST"]:
        words[0] = "SHOW"
    if words[:3] == ["CREATE", "OR", "REPLACE"]:
        del words[1:3]
    for prefix in _UNSUPPORTED_STATEMENTS:
        if words[: len(prefix)] == prefix:
            return " ".join(prefix)
    return None


def _unsupported_part(statement: list[Token], index: int) -> str | None:
    """The ksqlDB feature the server lacks that made the parse fail at ``statement[index]``, if any."""
    words = _words(statement[: index + 1])
    for word in words:
        if word in _UNSUPPORTED_ANYWHERE:
            return _UNSUPPORTED_ANYWHERE[word]
    for word in reversed(words[max(index - 1, 0) : index + 1]):
        if word in _UNSUPPORTED_AT_ERROR:
            return _UNSUPPORTED_AT_ERROR[word]
    return None


def _explanation(offending: Token | None, index: int, expected: set[str], line: int, column: int) -> str:
    """The second line of a syntax error: what was wrong, or what would have been right."""
    shown = "<EOF>" if offending is None else offending if len(offending) <= 40 else offending[:37] + "..."
    if offending is not None and index == 0:
        return f"Unknown statement '{shown}'\nDid you mean '{_most_similar(offending[:20].upper())}'?"
    if offending is not None and offending.type in ("UNCLOSED_COMMENT", "UNCLOSED_QUOTE"):
        closing = "*/" if offending.type == "UNCLOSED_COMMENT" else offending[0]
        return f"Syntax error at or near '{shown}': the closing {closing} is missing"
    if offending is None and "SEMICOLON" in expected:
        return "Expecting ';' at the end of the statement"
    names = sorted({_DISPLAY[name] for name in expected if name in _DISPLAY})
    if 0 < len(names) <= 3:
        return "Expecting " + (names[0] if len(names) == 1 else "{" + ", ".join(names) + "}")
    return f"Syntax error at or near '{shown}' at line {line}:{column}"


def _most_similar(word: str) -> str:
    """The ksqlDB command nearest to ``word`` by edit distance (the first of equals)."""
    return min(_COMMANDS, key=lambda command: _edit_distance(command, word))


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions that turn ``a`` into ``b``."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]
