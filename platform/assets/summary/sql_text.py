"""Reading a model's SELECT with sqlglot: upstream tables, output columns, bound parameters.

The analyst's text is executed as written (not re-generated), so what runs is what they
wrote; sqlglot's tokens only locate the `:name` placeholders, which become psycopg
`%(name)s` parameters. Dependencies come from the parse tree, never from pattern matching.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

READ_DIALECT = "postgres"  # Redshift's grammar is PostgreSQL's; the models keep to the common subset


class SqlError(ValueError):
    """The SQL cannot be used as a model; `line` is 1-based within the text."""

    def __init__(self, message: str, line: int = 1, column: int = 0) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


@dataclass(frozen=True)
class ParsedSelect:
    tables: tuple[tuple[str, str], ...]  # (schema, table) read by the query, CTEs excluded
    columns: tuple[str, ...]  # output column names, in order
    parameters: frozenset[str]  # `:name` placeholders


def parse_query(text: str) -> exp.Query:
    """Parse exactly one query; raise SqlError with the line of the first problem."""
    try:
        statements = [s for s in sqlglot.parse(text, read=READ_DIALECT) if s is not None]
    except sqlglot.errors.ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        raise SqlError(f"syntax error: {first.get('description', exc)}",
                       first.get("line") or 1, first.get("col") or 0) from None  # fmt: skip
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise SqlError("a model is exactly one SELECT statement (no `;`-separated statements, no DML)")
    return statements[0]


def parse_select(text: str) -> ParsedSelect:
    """Parse a model's SELECT: its tables, named output columns and placeholders."""
    query = parse_query(text)
    columns = tuple(query.named_selects)
    if "*" in columns or len(columns) != len(query.selects):
        raise SqlError("name every output column (no `SELECT *`, and give expressions an alias)")
    if len(set(columns)) != len(columns):
        raise SqlError(f"output columns must be unique: {list(columns)}")
    return ParsedSelect(_tables(query), columns, frozenset(p.name for p in query.find_all(exp.Placeholder)))


def _tables(query: exp.Expression) -> tuple[tuple[str, str], ...]:
    ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    found: list[tuple[str, str]] = []
    for table in query.find_all(exp.Table):
        if not table.db and table.name in ctes:
            continue
        if not table.db:
            raise SqlError(f"qualify table `{table.name}` with its schema (e.g. raw.{table.name})")
        if (table.db, table.name) not in found:
            found.append((table.db, table.name))
    return tuple(sorted(found))


def parse_condition(text: str) -> None:
    """Validate a boolean SQL expression used by a check."""
    try:
        sqlglot.parse_one(f"SELECT 1 WHERE {text}", read=READ_DIALECT)
    except sqlglot.errors.ParseError as exc:
        raise SqlError(f"bad check condition {text!r}: {exc.errors[0].get('description') if exc.errors else exc}") from None


def to_psycopg(text: str) -> str:
    """The text with `:name` placeholders as `%(name)s` and every other `%` escaped as `%%`."""
    tokens = sqlglot.tokenize(text, read=READ_DIALECT)
    spans: list[tuple[int, int, str]] = []
    for colon, name in zip(tokens, tokens[1:], strict=False):
        if colon.token_type == TokenType.COLON and name.start == colon.end + 1 and name.text.isidentifier():
            spans.append((colon.start, name.end + 1, name.text))
    out, position = [], 0
    for start, end, name in spans:
        out += [text[position:start].replace("%", "%%"), f"%({name})s"]
        position = end
    out.append(text[position:].replace("%", "%%"))
    return "".join(out)
