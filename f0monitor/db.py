"""Database plumbing: declarative base, UTC datetimes, one engine and session per app."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import sqlalchemy as sa
from flask import Flask, abort, current_app, g
from flask.cli import with_appcontext
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Naive UTC in the database, aware UTC in Python, on SQLite and PostgreSQL alike."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the single writer
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for a URL, with SQLite set up for concurrent web use."""
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs = {"connect_args": {"timeout": 15}}
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def init_app(app: Flask) -> None:
    """Bind an engine and a sessionmaker to the app, and register teardown and commands."""
    engine = make_engine(app.config["DATABASE_URL"])
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
    if session is not None:
        session.close()


# Ids are INTEGER columns (32-bit on PostgreSQL): anything else typed or posted is no id.
MAX_ID = 2**31 - 1


def as_id(value: Any) -> int | None:
    """Return a value as a row id, or None when it cannot be one (text, 0, too large)."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 1 <= number <= MAX_ID else None


M = TypeVar("M")


def get_or_404(session: Session, model: type[M], ident: Any) -> M:
    """Return the row with this primary key.

    :raise 404: when there is none.
    """
    obj = session.get(model, ident) if as_id(ident) is not None else None
    if obj is None:
        abort(404)
    return obj


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


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema to the newest migration."""
    upgrade_db()
    click.echo("Database is at the newest migration.")
