"""Splits what a user types into whole statements, as ksqlDB's CLI does before it sends anything.

A statement ends at a semicolon outside quotes and comments; what follows the last semicolon waits
for more lines (the REPL's continuation prompt). Comments (``-- …`` to the end of the line and
``/* … */``) are dropped here, so every server gets the same statements whether or not its parser
skips comments. The first words of a statement tell the console where it goes: SELECT to
``/query``, SET and UNSET to the CLI's own properties, everything else to ``/ksql``.
"""

from __future__ import annotations

from dataclasses import dataclass

QUOTES = {"'": "string", "`": "identifier", '"': "identifier"}


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "string", "identifier" or "symbol"
    text: str  # words as typed, strings and identifiers without their quotes


@dataclass(frozen=True)
class Statement:
    """One whole statement: its text without comments (ending in ``;``) and its tokens."""

    text: str
    tokens: tuple[Token, ...]

    def starts_with(self, *words: str) -> bool:
        leading = self.tokens[: len(words)]
        return len(leading) == len(words) and all(
            t.kind == "word" and t.text.upper() == w for t, w in zip(leading, words, strict=True)
        )

    @property
    def is_query(self) -> bool:
        return self.starts_with("SELECT")

    def property_change(self) -> tuple[str, str | None] | None:
        """``SET 'name' = 'value'`` → (name, value); ``UNSET 'name'`` → (name, None); otherwise None."""
        kinds = [t.kind for t in self.tokens]
        if (
            self.starts_with("SET")
            and kinds == ["word", "string", "symbol", "string", "symbol"]
            and self.tokens[2].text == "="
        ):
            return self.tokens[1].text, self.tokens[3].text
        if self.starts_with("UNSET") and kinds == ["word", "string", "symbol"]:
            return self.tokens[1].text, None
        return None


@dataclass(frozen=True)
class Split:
    statements: list[Statement]
    rest: str  # the start of an unfinished statement ("" when nothing but blanks and comments is left)


def split_statements(text: str) -> Split:
    """The whole statements in ``text`` and the unfinished rest."""
    statements: list[Statement] = []
    start = 0  # where the pending statement begins in ``text``
    kept: list[str] = []  # the pending statement's text without comments
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if text.startswith("--", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return Split(statements, text[start:])
            kept.append(" ")
            i = end + 2
        elif char in QUOTES:
            end = closing_quote(text, i)
            if end < 0:
                return Split(statements, text[start:])
            body = text[i + 1 : end].replace(char * 2, char)
            tokens.append(Token(QUOTES[char], body))
            kept.append(text[i : end + 1])
            i = end + 1
        elif char == ";":
            kept.append(";")
            if tokens:
                statements.append(Statement("".join(kept).strip(), (*tokens, Token("symbol", ";"))))
            kept, tokens = [], []
            i += 1
            start = i
        elif char.isalnum() or char in "_$":
            end = i
            while end < len(text) and (text[end].isalnum() or text[end] in "_$"):
                end += 1
            tokens.append(Token("word", text[i:end]))
            kept.append(text[i:end])
            i = end
        else:
            if not char.isspace():
                tokens.append(Token("symbol", char))
            kept.append(char)
            i += 1
    return Split(statements, text[start:] if tokens else "")


def closing_quote(text: str, opening: int) -> int:
    """Index of the quote that closes the one at ``opening`` (a doubled quote is an escaped one); -1 if none."""
    quote = text[opening]
    i = opening + 1
    while True:
        i = text.find(quote, i)
        if i < 0:
            return -1
        if text.startswith(quote * 2, i):
            i += 2
            continue
        return i
