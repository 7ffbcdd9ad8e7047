"""The WSGI app bench/load.py serves with gunicorn: f0monitor, and the two yardsticks beside it.

The yardsticks are bench code, not part of f0monitor: a bare Flask app mounted at /_bench in
the same gunicorn workers (same processes, same settings, same database):

- ``GET /_bench/constant`` returns a constant: the cost of gunicorn, WSGI and Flask alone;
- ``POST /_bench/insert`` inserts one row with SQLAlchemy Core in its own transaction: what the
  database itself can do for one write from Python, the bar a stored report is measured against;
- ``POST /_bench/floor`` takes the report's own request (bearer token, JSON body, Idempotency-Key)
  and does the least any authenticated, validated submission must: the token looked up by its
  hash, the body loaded by a three-field marshmallow schema, one row inserted with its key, the
  row answered as JSON, in one transaction. No risk rules, no ORM, no Flask-Login, no labels: it
  is how close to the bare insert the fixed stack (Flask, SQLAlchemy, marshmallow) can come
  before f0monitor's own work begins.

Configured from the environment: BENCH_DATABASE_URL, BENCH_SECRET_KEY.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import hashlib  # noqa: E402

import sqlalchemy as sa  # noqa: E402
from flask import Flask, jsonify, request  # noqa: E402
from marshmallow import Schema, ValidationError, fields, validate  # noqa: E402
from werkzeug.middleware.dispatcher import DispatcherMiddleware  # noqa: E402

from f0monitor import create_app  # noqa: E402
from f0monitor.config import database_url  # noqa: E402

YARDSTICK = sa.Table(
    "bench_yardstick",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime),
    sa.Column("value", sa.Integer),
)

FLOOR = sa.Table(
    "bench_floor",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("client_key", sa.String(64), nullable=False, unique=True),
    sa.Column("reported_at", sa.DateTime, nullable=False),
    sa.Column("temperature_c", sa.Float),
    sa.Column("spo2", sa.Integer),
    sa.Column("pulse", sa.Integer),
)


class FloorIn(Schema):
    temperature_c = fields.Float(required=True, validate=validate.Range(34, 43))
    spo2 = fields.Integer(required=True, validate=validate.Range(50, 100))
    pulse = fields.Integer(required=True, validate=validate.Range(20, 250))


def make_yardsticks(url: str) -> Flask:
    bare = Flask("yardsticks")
    engine = sa.create_engine(url, **({"pool_pre_ping": True} if not url.startswith("sqlite") else {}))
    if engine.dialect.name == "sqlite":
        from f0monitor.data.session import _sqlite_pragmas

        sa.event.listen(engine, "connect", _sqlite_pragmas)  # the app's own SQLite settings
    insert = YARDSTICK.insert()

    @bare.get("/constant")
    def constant():
        return "ok"

    @bare.post("/insert")
    def insert_one():
        with engine.begin() as conn:
            conn.execute(insert, {"at": datetime.now(UTC).replace(tzinfo=None), "value": 1})
        return "", 201

    from f0monitor.data.models import ApiToken

    token_of = sa.select(ApiToken.user_id, ApiToken.expires_at, ApiToken.revoked_at).where(
        ApiToken.token_hash == sa.bindparam("h"))
    store = FLOOR.insert().returning(FLOOR.c.id)
    schema = FloorIn()

    @bare.post("/floor")
    def floor():
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return jsonify(error="unauthorized"), 401
        try:
            data = schema.load(request.get_json(silent=True) or {})
        except ValidationError as e:
            return jsonify(error="validation_error", fields=e.messages), 422
        now = datetime.now(UTC)
        with engine.begin() as conn:
            row = conn.execute(token_of, {"h": hashlib.sha256(header[7:].encode()).hexdigest()}).first()
            if row is None or row.revoked_at is not None or row.expires_at <= now:
                return jsonify(error="unauthorized"), 401
            key = request.headers.get("Idempotency-Key", "")
            stored = conn.execute(store, {"user_id": row.user_id, "client_key": key,
                                               "reported_at": now.replace(tzinfo=None), **data})
            return jsonify(report={"id": stored.scalar_one(), "reported_at": now.isoformat(), **data}), 201

    return bare


app = create_app({
    "DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
    "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", "bench-secret-key"),
    "RATELIMIT_ENABLED": False,  # wrk sends from one address; the limits are not what is measured
    "SESSION_COOKIE_SECURE": False,
    # Staff pages are measured with a signed-in session made by bench/load.py, without the
    # second factor's enrolment page in the way (what is measured is the page, not the login).
    "STAFF_MFA": "optional",
})
app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/_bench": make_yardsticks(database_url(app))})
application = app
