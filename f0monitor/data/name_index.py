"""The name search's index on SQLite: an FTS5 table of trigrams over ``patient_names``.

PostgreSQL finds a part of a name through pg_trgm's GIN index (migration 0012). SQLite had
nothing to find it with: ``LIKE '%lan%'`` read every folded name, 89.6 ms a search page at
300,000 patients (bench/load.py). FTS5's ``trigram`` tokenizer (SQLite 3.34+) indexes every
three-character run of a name, so a word of three or more characters is found by a
``MATCH`` of its phrase, which is substring matching. The table holds no copy of the names
(``content='patient_names'``): three triggers keep its index in step with every INSERT,
UPDATE and DELETE of ``patient_names``, whoever makes it (the app, a cascade from
``patients``, the bench's bulk loader).

Created by migration 0013 where this SQLite has FTS5 and the trigram tokenizer; where it
has not, nothing is created and the search keeps its LIKE (``available``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

TABLE = "patient_names_fts"

SQLITE_CREATE = (
    f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(
        name_search, content='patient_names', content_rowid='patient_id', tokenize='trigram'
    )
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS {TABLE}_insert AFTER INSERT ON patient_names BEGIN
        INSERT INTO {TABLE} (rowid, name_search) VALUES (new.patient_id, new.name_search);
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS {TABLE}_delete AFTER DELETE ON patient_names BEGIN
        INSERT INTO {TABLE} ({TABLE}, rowid, name_search) VALUES ('delete', old.patient_id, old.name_search);
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS {TABLE}_update AFTER UPDATE ON patient_names BEGIN
        INSERT INTO {TABLE} ({TABLE}, rowid, name_search) VALUES ('delete', old.patient_id, old.name_search);
        INSERT INTO {TABLE} (rowid, name_search) VALUES (new.patient_id, new.name_search);
    END
    """,
    # the names already there
    f"INSERT INTO {TABLE} ({TABLE}) VALUES ('rebuild')",
)
SQLITE_DROP = (
    f"DROP TRIGGER IF EXISTS {TABLE}_insert",
    f"DROP TRIGGER IF EXISTS {TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {TABLE}_update",
    f"DROP TABLE IF EXISTS {TABLE}",
)

# A phrase of the trigram tokenizer matches only from three characters.
SHORTEST = 3

_fts = sa.table(TABLE, sa.column("rowid", sa.Integer), sa.column(TABLE))


def supported(connection: Any) -> bool:
    """Whether this SQLite can create the table (FTS5 with the trigram tokenizer)."""
    if connection.dialect.name != "sqlite":
        return False
    try:
        with connection.begin_nested():  # a savepoint: a refusal leaves the caller's work going
            connection.execute(sa.text("CREATE VIRTUAL TABLE temp.f0_trigram_probe USING fts5(x, tokenize='trigram')"))
            connection.execute(sa.text("DROP TABLE temp.f0_trigram_probe"))
    except sa.exc.OperationalError:
        return False
    return True


def execute(connection: Any, *, create: bool) -> None:
    """Create (where supported) or drop the table and its triggers on SQLite; nothing elsewhere."""
    if connection.dialect.name != "sqlite" or (create and not supported(connection)):
        return
    for statement in SQLITE_CREATE if create else SQLITE_DROP:
        connection.execute(sa.text(statement))


_FOUND: dict[str, bool] = {}


def present(dbapi_connection: Any) -> bool:
    """Whether a SQLite database has the table (asked through the driver's own connection)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,))
        return cursor.fetchone() is not None
    finally:
        cursor.close()


def note(engine: Any, dbapi_connection: Any) -> None:
    """Record whether the engine's database has the table: each time a connection opens
    (``data.session.make_engine``), and after ``upgrade_db``."""
    _FOUND[str(engine.url)] = present(dbapi_connection)


def available(session: Any) -> bool:
    """Whether the session's database has the table, as last found (`note`); no statement."""
    connection = session.connection()  # opened, so noted
    return connection.dialect.name == "sqlite" and _FOUND.get(str(connection.engine.url), False)


def matching(words: list[str]) -> sa.Select:
    """The ids of the names holding every one of ``words`` (each of at least `SHORTEST` characters)."""
    phrase = " ".join('"' + word.replace('"', '""') + '"' for word in words)
    return sa.select(_fts.c.rowid).where(_fts.c[TABLE].op("MATCH")(phrase))
