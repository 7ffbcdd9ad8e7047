"""Statements over thousands of rows at once that stay cheap on PostgreSQL.

psycopg converts every statement's ``%(name)s`` placeholders to ``$n`` and caches the result
only for short statements: an ``IN`` of 5,000 ids or a 1,000-row ``VALUES`` is parsed again,
in Python, on every call. Profiling one slot's ladder tick for 300,000 patients found half of
its time there (75 of 150 s). On PostgreSQL the ids go as ONE array parameter
(``= ANY(:ids)``) and the rows of an INSERT as one array per column (``unnest``): the
statement text stays short and constant. SQLite keeps the plain forms (its driver has no such
cost, and its variable limit is far above a batch), but for `ids_in`: a list of hundreds of ids
made per request, which SQLAlchemy itself renders as that many placeholders on each call.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


def dialect_of(session_or_connection: Session | Connection) -> str:
    bind = session_or_connection.get_bind() if isinstance(session_or_connection, Session) \
        else session_or_connection
    return bind.dialect.name


def any_of(column: sa.ColumnElement[Any], values: Iterable[Any], dialect: str) -> sa.ColumnElement[bool]:
    """``column IN (values)``: one array parameter on PostgreSQL."""
    values = list(values)
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def ids_in(column: sa.ColumnElement[Any], ids: Sequence[int], dialect: str) -> sa.ColumnElement[bool]:
    """``column IN (ids)`` with ONE parameter on both databases: the array of `any_of` on
    PostgreSQL, a JSON array read by ``json_each`` on SQLite. For a list made per request (a
    search's hundreds of matches): SQLAlchemy renders a plain ``IN`` of 793 ids as 793
    placeholders on every call, which cost the search page more than its statements did.
    """
    if dialect == "postgresql":
        return any_of(column, ids, dialect)
    listed = sa.func.json_each(sa.bindparam(None, json.dumps([int(i) for i in ids]), type_=sa.String)).table_valued("value")
    return column.in_(sa.select(listed.c.value))


def none_of(column: sa.ColumnElement[Any], values: Iterable[Any], dialect: str) -> sa.ColumnElement[bool]:
    """``column NOT IN (values)``: one array parameter on PostgreSQL (``<> ALL``, hashed)."""
    values = list(values)
    if dialect == "postgresql":
        return column != sa.all_(sa.bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.not_in(values)


def insert_ignoring_conflicts(
    connection: Connection, table: sa.Table, rows: Sequence[dict[str, Any]], *,
    conflict: Sequence[str], returning: Sequence[str],
) -> list[sa.Row[Any]]:
    """INSERT the rows, skipping those that clash on ``conflict``; return ``returning`` of the
    rows written. The rows share their keys (the first row's are the columns)."""
    if not rows:
        return []
    names = list(rows[0])
    if connection.dialect.name != "postgresql":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(conflict))
        result = connection.execute(statement.returning(*(table.c[n] for n in returning)), list(rows))
        return list(result.all())
    dialect = connection.dialect
    params: dict[str, Any] = {}
    select: list[str] = []
    varying: list[str] = []
    for name in names:
        column = table.c[name]
        process = column.type.bind_processor(dialect) if isinstance(column.type, sa.types.TypeDecorator) else None
        sql_type = column.type.compile(dialect)
        values = [row[name] for row in rows]
        first = values[0]
        if all(v == first for v in values):  # one value for the batch (purpose, text, time…)
            params[f"c_{name}"] = process(first) if process else first
            select.append(f"CAST(:c_{name} AS {sql_type})")
        else:  # one array: dumping it costs per element, so only what differs goes this way
            params[f"a_{name}"] = [process(v) for v in values] if process else values
            varying.append(f"CAST(:a_{name} AS {sql_type}[])")
            select.append(f"u.c{len(varying)}")
    source = (f"unnest({', '.join(varying)}) AS u({', '.join(f'c{i + 1}' for i in range(len(varying)))})"
              if varying else "(SELECT 1) AS u")  # every row alike: one row
    statement = sa.text(
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(select)} FROM {source} "  # noqa: S608
        f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING RETURNING {', '.join(returning)}"
    )
    return list(connection.execute(statement, params).all())
