"""Where one API report's time goes, in process: the whole request and its parts, beside a bare insert.

    python bench/generate.py --patients 10000 --url postgresql://postgres@127.0.0.1:5432/f0_10k --reset
    python bench/report_inprocess.py --url postgresql://postgres@127.0.0.1:5432/f0_10k --reports 600

Sends ``--reports`` reports through the Flask test client (no HTTP server, one at a time) for
generated patients, with the service functions on the path wrapped in timers, then as many
requests to a bare Flask route inserting one row with SQLAlchemy Core in its own transaction
(the yardstick of bench/load.py). Prints the milliseconds per report of each part (parts
overlap: ``submit_report`` holds the two INSERTs) and of the bare request. Writes reports and
API tokens into the database: use a copy. Asserts nothing.
"""

from __future__ import annotations

import argparse
import collections
import functools
import hashlib
import secrets
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from f0monitor import create_app  # noqa: E402
from f0monitor.api import me  # noqa: E402
from f0monitor.data.models import ApiToken, Patient  # noqa: E402
from f0monitor.services import credentials, reports  # noqa: E402

BODY = {"temperature_c": 37.1, "spo2": 97, "pulse": 80, "symptoms": ["cough"]}


def timed(spent: collections.Counter, owner: object, name: str, label: str | None = None) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label or name] += time.perf_counter() - started

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--reports", type=int, default=600)
    parser.add_argument("--profile", action="store_true",
                        help="also print pyinstrument's tree of the reports (pip install pyinstrument)")
    args = parser.parse_args()
    spent: collections.Counter = collections.Counter()
    timed(spent, credentials, "live_token", "token SELECT (live_token)")
    timed(spent, reports, "insert_once", "report INSERT (insert_once)")
    timed(spent, reports, "store_assessment", "assessment and patient (store_assessment)")
    if hasattr(reports, "store_report"):  # PostgreSQL: the report and its verdict, one statement
        timed(spent, reports, "store_report", "report, assessment and patient (store_report)")
    timed(spent, reports.risk, "assess", "the rules (risk.assess)")
    timed(spent, me, "submit_report", "submit_report")
    timed(spent, me, "submission_response", "the JSON answer")
    timed(spent, me, "report_body_or_retry", "marshmallow load")
    timed(spent, me, "ReportIn", "marshmallow schema")
    timed(spent, Session, "commit", "COMMIT")

    app = create_app({"DATABASE_URL": args.url, "SECRET_KEY": secrets.token_hex(8)})
    engine = app.extensions["f0monitor.engine"]
    now = datetime.now(UTC)
    tokens = []
    with engine.begin() as conn:
        users = conn.scalars(sa.select(Patient.user_id).where(Patient.status == "active", Patient.user_id.is_not(None))
                             .limit(200)).all()
        for uid in users:
            token = secrets.token_urlsafe(32)
            tokens.append(token)
            conn.execute(sa.insert(ApiToken).values(
                user_id=uid, token_hash=hashlib.sha256(token.encode()).hexdigest(), created_at=now,
                expires_at=now + timedelta(days=1)))
    if not tokens:
        raise SystemExit("no active patient with a login: run bench/generate.py first")
    client = app.test_client()

    def send(i: int) -> None:
        headers = {"Authorization": "Bearer " + tokens[i % len(tokens)], "Idempotency-Key": uuid.uuid4().hex}
        answer = client.post("/api/v1/me/reports", json=BODY, headers=headers)
        if answer.status_code != 201:
            raise SystemExit(f"a report was answered {answer.status_code}: {answer.get_data(as_text=True)[:200]}")

    for i in range(50):  # warm: statements compiled and cached, connections open
        send(i)
    spent.clear()
    started = time.perf_counter()
    for i in range(args.reports):
        send(i)
    per_report = (time.perf_counter() - started) / args.reports
    if args.profile:
        from pyinstrument import Profiler

        with Profiler(interval=0.0001) as profiler:
            for i in range(args.reports):
                send(i)
        print(profiler.output_text(unicode=True, show_all=False))

    bare = Flask("yardstick")
    meta = sa.MetaData()
    table = sa.Table("bench_inprocess_yardstick", meta, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("at", sa.DateTime), sa.Column("value", sa.Integer))
    meta.drop_all(engine)
    meta.create_all(engine)
    insert = table.insert()

    @bare.post("/insert")
    def insert_one():
        with engine.begin() as conn:
            conn.execute(insert, {"at": datetime.now(UTC).replace(tzinfo=None), "value": 1})
        return "", 201

    bare_client = bare.test_client()
    for _ in range(50):
        bare_client.post("/insert")
    started = time.perf_counter()
    for _ in range(args.reports):
        bare_client.post("/insert")
    per_insert = (time.perf_counter() - started) / args.reports
    meta.drop_all(engine)

    print(f"{engine.dialect.name}, {args.reports} reports one at a time through the test client")
    print(f"  a report, whole request                      {per_report * 1000:6.2f} ms")
    for name, seconds in spent.most_common():
        print(f"    {name:<44} {seconds / args.reports * 1000:6.2f} ms")
    print(f"  a bare one-row insert, whole request         {per_insert * 1000:6.2f} ms")
    print(f"  ratio (bare insert ÷ report)                 {per_insert / per_report:6.2f}×")


if __name__ == "__main__":
    main()
