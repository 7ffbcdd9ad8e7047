"""Back up a generated PostgreSQL database with pg_dump and restore it with pg_restore, checked.

    python bench/backup_restore.py --url postgresql://postgres@127.0.0.1:5432/f0_scale_10k

Dumps in the custom format (``pg_dump -Fc``), restores into a new database
(``pg_restore -j 2 --no-owner``), then compares every table's row count, the Alembic version
and a checksum of the patients' current state between the two; prints sizes and timings and
drops the restored copy. Exits non-zero when anything differs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

CHECKSUM = """SELECT md5(string_agg(id || ':' || status || ':' || coalesce(current_tier, '-') || ':' ||
    coalesce(last_report_at::text, '-') || ':' || has_open_alert::text, ',' ORDER BY id)) FROM patients"""


def libpq(url: sa.URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def facts(url: sa.URL) -> dict[str, object]:
    engine = sa.create_engine(url.set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:
        tables = [r[0] for r in conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        out: dict[str, object] = {t: conn.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar() for t in tables}
        out["alembic_version"] = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        out["patients checksum"] = conn.exec_driver_sql(CHECKSUM).scalar()
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    args = parser.parse_args()
    source = make_url(args.url)
    target = source.set(database=f"{source.database}_restored")
    admin = sa.create_engine(source.set(drivername="postgresql+psycopg", database="postgres"),
                             isolation_level="AUTOCOMMIT")
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "f0monitor.dump"
        started = time.perf_counter()
        subprocess.run(["pg_dump", "-Fc", "-f", str(dump), libpq(source)], check=True)
        dumped = time.perf_counter() - started
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
        started = time.perf_counter()
        subprocess.run(["pg_restore", "-j", "2", "--no-owner", "-d", libpq(target), str(dump)], check=True)
        restored = time.perf_counter() - started
        size = dump.stat().st_size
    before, after = facts(source), facts(target)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{target.database}"')
    admin.dispose()
    print(f"pg_dump -Fc: {dumped:.1f} s, {size / 1e6:.1f} MB; pg_restore -j 2: {restored:.1f} s")
    differ = False
    for key in sorted(set(before) | set(after)):
        same = before.get(key) == after.get(key)
        differ |= not same
        print(f"  {key:<22} {before.get(key)!s:>34}  {'=' if same else '≠'}  {after.get(key)!s}")
    print("restore identical" if not differ else "RESTORE DIFFERS")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
