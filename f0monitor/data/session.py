"""The Flask glue of the database: one engine and one session per app, and `init-db`.

Web, api and cli use `get_session()`; services never do (they are handed a session)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app, g
from flask.cli import with_appcontext
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from . import name_index

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
PING_AFTER = 1.0  # seconds idle in the pool before a connection is pinged on checkout


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the single writer
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_before_savepoint(conn: Any, _name: Any) -> None:
    """Open a real transaction before a SAVEPOINT on pysqlite.

    Python's sqlite3 driver (3.11) sends BEGIN only before an INSERT, UPDATE or DELETE. A
    SAVEPOINT issued first would start a transaction of SQLite's own, and its RELEASE would
    COMMIT the work of the whole session, which a later rollback could no longer undo.

    SQLAlchemy's documented recipe (``isolation_level=None`` and BEGIN on every "begin")
    would also fix that, but it opens the transaction at the first SELECT of every request:
    in WAL mode a transaction that read and then writes after another writer committed fails
    at once with "database is locked" (busy_timeout cannot wait that out). So the BEGIN is
    sent only here, right before a SAVEPOINT, when none is open yet: elsewhere the driver
    behaves as before. PostgreSQL needs none of this.
    """
    dbapi_connection = conn.connection.dbapi_connection
    if not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")


def make_engine(url: str, *, prepared_statements: bool = True, ping_after: float = PING_AFTER) -> Engine:
    """Create an engine for a URL, with SQLite set up for concurrent web use.

    ``prepared_statements=False`` (setting DATABASE_PREPARED_STATEMENTS) stops psycopg from
    preparing repeated statements on the server: needed behind PgBouncer in transaction mode
    before 1.21, where the next transaction may run on another server connection that never
    saw the PREPARE.

    A PostgreSQL connection idle in the pool for more than ``ping_after`` seconds (setting
    DATABASE_PING_AFTER; 0: every time) is pinged before it is handed out, and replaced if the
    server is gone (`_ping_if_idle`).
    """
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs = {"connect_args": {"timeout": 15}}
    elif not prepared_statements and url.startswith("postgresql+psycopg"):
        kwargs["connect_args"] = {"prepare_threshold": None}
    # Database errors name the statement but never its values (names, phones): an error that
    # reaches a log (a 500's traceback) carries no personal data.
    engine = sa.create_engine(url, hide_parameters=True, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        # whether the name search has its index: asked when a connection opens, not in a request
        event.listen(engine, "connect", lambda dbapi_connection, _record: name_index.note(engine, dbapi_connection))
        event.listen(engine, "savepoint", _sqlite_begin_before_savepoint)
    else:
        _ping_if_idle(engine, ping_after)
    return engine


def _ping_if_idle(engine: Engine, after: float) -> None:
    """Ping a pooled connection on checkout only when it has been idle for ``after`` seconds.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip for every
    request (about 7 % of a report's time under load, measured with py-spy). A connection
    checked in a moment ago is as alive as a ping would find it; one left idle (overnight, or
    while PostgreSQL restarted, or cut by a firewall) is pinged, and a dead one is replaced
    before any request sees it (raising DisconnectionError makes the pool retry with a new
    connection; SQLAlchemy's documented custom pessimistic ping). A database that goes away
    under load still costs each busy connection one failed request: answered 503 with
    Retry-After (http/errors), and SQLAlchemy then drops the whole pool.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _connected(_dbapi_connection: Any, record: Any) -> None:
        record.info["f0_idle_since"] = time.monotonic()  # just opened: nothing to ping

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["f0_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("f0_idle_since")
        if since is not None and time.monotonic() - since <= after:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 — any failure means: not this connection
            raise sa.exc.DisconnectionError() from exc


def init_app(app: Flask) -> None:
    """Bind an engine and a sessionmaker to the app, and register teardown and commands."""
    engine = make_engine(
        app.config["DATABASE_URL"],
        prepared_statements=app.config.get("DATABASE_PREPARED_STATEMENTS", True),
        ping_after=float(app.config.get("DATABASE_PING_AFTER", PING_AFTER)),
    )
    app.extensions["f0monitor.engine"] = engine
    app.extensions["f0monitor.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(close_session)
    app.cli.add_command(init_db_command)


def get_engine() -> Engine:
    """Return the current app's engine."""
    return current_app.extensions["f0monitor.engine"]


def get_session() -> Session:
    """Return the session bound to the current app context."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["f0monitor.sessionmaker"]()
    return g.db_session


def close_session(exc: BaseException | None = None) -> None:
    """Close the request's session; anything not committed is rolled back."""
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except Exception:  # noqa: BLE001 — a dead connection (database restarting)
        # Closing rolls back; on a connection the server dropped that raises after the
        # response is built, which the WSGI server would turn into its own plain 500.
        # Invalidating drops the connection from the pool instead (pre-ping replaces it).
        session.invalidate()


def alembic_config(url: str) -> Any:
    """Return an Alembic config for our migrations and this database URL."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_db(url: str | None = None) -> None:
    """Upgrade the database to the newest migration."""
    from alembic import command

    url = url or current_app.config["DATABASE_URL"]
    cfg = alembic_config(url)
    engine = make_engine(url) if url != current_app.config.get("DATABASE_URL") else get_engine()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
        if engine.dialect.name == "sqlite":  # the name index may have come with it
            name_index.note(engine, connection.connection.dbapi_connection)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema to the newest migration."""
    upgrade_db()
    click.echo("Database is at the newest migration.")
