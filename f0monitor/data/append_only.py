"""The audit trail is append-only: database triggers refuse UPDATE and DELETE on audit_events.

Created by migration 0003 on PostgreSQL (a PL/pgSQL function and a row trigger) and on SQLite
(two triggers); whoever edits or deletes an audit event, through the app or with a database
client, gets an error. TRUNCATE (table owner only) and dropping the table are not row changes:
in production the app's database role should not own the tables (README, Security).
"""

from __future__ import annotations

from typing import Any

MESSAGE = "audit_events is append-only"

POSTGRESQL_CREATE = (
    f"""
    CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
    """,
)
POSTGRESQL_DROP = (
    "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
    "DROP FUNCTION IF EXISTS audit_events_append_only()",
)
SQLITE_CREATE = tuple(
    f"""
    CREATE TRIGGER audit_events_no_{op.lower()} BEFORE {op} ON audit_events
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """
    for op in ("UPDATE", "DELETE")
)
SQLITE_DROP = ("DROP TRIGGER IF EXISTS audit_events_no_update",
               "DROP TRIGGER IF EXISTS audit_events_no_delete")


def statements(dialect: str, *, create: bool) -> tuple[str, ...]:
    """Return the statements that create (or drop) the triggers on a dialect."""
    if dialect == "postgresql":
        return POSTGRESQL_CREATE if create else POSTGRESQL_DROP
    if dialect == "sqlite":
        return SQLITE_CREATE if create else SQLITE_DROP
    return ()


def execute(connection: Any, *, create: bool) -> None:
    """Create or drop the triggers through a SQLAlchemy connection."""
    import sqlalchemy as sa

    for statement in statements(connection.dialect.name, create=create):
        connection.execute(sa.text(statement))
