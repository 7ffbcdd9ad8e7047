"""The WSGI app bench/load.py serves with gunicorn: f0monitor, and the two yardsticks beside it.

The yardsticks are bench code, not part of f0monitor: a bare Flask app mounted at /_bench in
the same gunicorn workers (same processes, same settings, same database):

- ``GET /_bench/constant`` returns a constant: the cost of gunicorn, WSGI and Flask alone;
- ``POST /_bench/insert`` inserts one row with SQLAlchemy Core in its own transaction: what the
  database itself can do for one write from Python, the bar a stored report is measured against.

Configured from the environment: BENCH_DATABASE_URL, BENCH_SECRET_KEY.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
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
