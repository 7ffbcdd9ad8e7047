"""Generate a province-sized caseload and bulk-load it into SQLite or PostgreSQL.

    python bench/generate.py --patients 300000 --days 14 --url postgresql://postgres@127.0.0.1:5432/f0_scale_bench
    python bench/generate.py --patients 10000 --days 14 --url sqlite:////tmp/f0-10k.sqlite

Migrates the database first (``--reset`` drops what is there), then loads, for one actual
province (An Giang by default, its wards from the vietnam-provinces package):

- staff: per ward a doctor and two volunteers, and coordinators, department users and an admin
  for the province; every login has the password ``BENCH_PASSWORD`` (bench/load.py signs in
  with it);
- facilities with beds;
- N patients, each with a patient login, registered over the first days of the window (most
  at its start, so most have D days of history), their baseline tier from the real rules; a
  few recovered, transferred (with a transfer and its events) or died on the way;
- twice-daily reports (morning and afternoon, local time; about one in twelve missed) with
  their assessments; one patient in eight deteriorates for a few days (yellow to red), and
  red reports open an alert, most acknowledged and resolved, with a call logged;
- the patients' current state (tier, tier since, last report, open alert), as the app keeps it.

PostgreSQL is loaded with COPY (psycopg), SQLite with executemany through SQLAlchemy's
connection, in chunks of patients; foreign-key checks are off during the load and the tables
are ANALYZEd after it. Prints what it loaded and how long it took.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from f0monitor import create_app  # noqa: E402
from f0monitor.data import name_index  # noqa: E402
from f0monitor.data.session import upgrade_db  # noqa: E402
from f0monitor.data.types import Base  # noqa: E402
from f0monitor.domain import covid as risk  # noqa: E402
from f0monitor.domain.clock import VN_TZ  # noqa: E402
from f0monitor.domain.textfold import fold  # noqa: E402
from f0monitor.services import areas  # noqa: E402
from f0monitor.services.assessments import patient_tier_values, reason_rows  # noqa: E402
from f0monitor.services.passwords import hash_password  # noqa: E402

BENCH_PASSWORD = "bench password 1"
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
          "Hồ", "Ngô", "Dương", "Lý")
MIDDLE = ("Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Quốc", "Đức", "Thu", "Kim")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Hương", "Lan", "Linh",
         "Long", "Mai", "Minh", "Nam", "Phúc", "Quân", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến")
STREETS = ("Trần Hưng Đạo", "Lê Lợi", "Nguyễn Huệ", "Hai Bà Trưng", "Tôn Đức Thắng", "Lý Thái Tổ")
MILD = ("cough", "sore_throat", "runny_nose", "fatigue", "headache", "myalgia", "loss_of_taste_smell")
COMORBID = ("diabetes", "hypertension", "obesity", "chronic_lung_disease", "chronic_kidney_disease")
TIER_RANK = {"green": 0, "yellow": 1, "orange": 2, "red": 3}
CHUNK = 2_000

T = Base.metadata.tables  # the migrated schema's tables, for their column names


def naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def local_day(moment: datetime) -> date:
    return moment.astimezone(VN_TZ).date()


class Loader:
    """Writes rows to one database: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.counts: Counter = Counter()

    def _converter(self, table: str, column: str) -> Any:
        """Return what turns a Python value of this column into the driver's (None: as is)."""
        kind = T[table].c[column].type
        if isinstance(kind, sa.JSON):
            return lambda v: None if v is None else json.dumps(v, ensure_ascii=False, separators=(",", ":"))
        if self.dialect == "sqlite":
            if isinstance(kind, sa.types.TypeDecorator) or isinstance(kind, sa.DateTime):
                return lambda v: None if v is None else v.isoformat(" ", "microseconds")
            if isinstance(kind, sa.Date):
                return lambda v: None if v is None else v.isoformat()
        return None

    def write(self, conn: sa.Connection, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        cols = list(rows[0])
        convert = [self._converter(table, c) for c in cols]
        plain = [i for i, f in enumerate(convert) if f is None]
        tuples = [
            tuple(row[c] if f is None else f(row[c]) for c, f in zip(cols, convert, strict=False)) for row in rows
        ] if len(plain) < len(cols) else [tuple(row.values()) for row in rows]
        if self.dialect == "postgresql":
            cursor = conn.connection.dbapi_connection.cursor()
            with cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in tuples:
                    copy.write_row(row)
            cursor.close()
        else:
            marks = ", ".join("?" for _ in cols)
            conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", tuples)
        self.counts[table] += len(rows)

    def begin_load(self, conn: sa.Connection) -> None:
        if self.dialect == "postgresql":
            conn.exec_driver_sql("SET session_replication_role = replica")  # no FK triggers
            conn.exec_driver_sql("SET synchronous_commit = off")
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("PRAGMA synchronous=OFF")

    def finish(self) -> None:
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                for table in self.counts:
                    if "id" not in Base.metadata.tables[table].c:
                        continue  # keyed by another table's id (patient_names): no sequence
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                    )
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # VACUUM sets the visibility map, so counts can be index-only scans from the start.
            conn.exec_driver_sql("VACUUM ANALYZE" if self.dialect == "postgresql" else "ANALYZE")


class Province:
    """Generates the rows; ids are given here so that the tables can be written in any order."""

    def __init__(self, province: int, days: int, now: datetime, seed: int) -> None:
        self.rng = random.Random(seed)
        self.province = province
        self.days = days
        self.now = now
        self.start = now - timedelta(days=days)
        self.wards = [code for code, _name in areas.wards(province)]
        if not self.wards:
            raise SystemExit(f"province {province} has no wards")
        self.ids: Counter = Counter()
        self.password_hash = hash_password(BENCH_PASSWORD)
        self.doctors: dict[int, int] = {}
        self.facilities: list[int] = []
        self.coordinator = 0

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def user(self, role: str, name: str, phone: str, wards: list[int]) -> dict[str, Any]:
        return {
            "id": self.next_id("users"), "phone": phone, "password_hash": self.password_hash,
            "role": role, "full_name": name, "province_code": self.province, "ward_codes": wards,
            "locale": "vi", "is_active_account": True, "max_patients": None, "is_available": True,
            "created_at": naive(self.start - timedelta(days=30)), "last_login_at": None,
            "session_version": 1,
        }

    def staff(self) -> tuple[list[dict], list[dict]]:
        users, facilities = [], []
        serial = 0

        def phone() -> str:
            nonlocal serial
            serial += 1
            return f"+8488{serial:07d}"

        for role, count in (("admin", 1), ("department", 2), ("coordinator", 3)):
            for i in range(count):
                users.append(self.user(role, f"{role.title()} {i + 1}", phone(), []))
        self.coordinator = users[-1]["id"]
        for ward in self.wards:
            doctor = self.user("doctor", f"BS. {self._name()}", phone(), [ward])
            self.doctors[ward] = doctor["id"]
            users.append(doctor)
            for _ in range(2):
                users.append(self.user("volunteer", self._name(), phone(), [ward]))
        for i in range(max(4, len(self.wards) // 10)):
            beds = self.rng.choice((60, 120, 200, 350))
            fid = self.next_id("facilities")
            self.facilities.append(fid)
            facilities.append({
                "id": fid, "name": f"Bệnh viện điều trị COVID-19 số {i + 1}",
                "province_code": self.province, "ward_code": self.rng.choice(self.wards),
                "phone": f"+842963{i:06d}", "general_capacity": beds,
                "general_free": self.rng.randint(0, beds // 3),
                "oxygen_capacity": beds // 4, "oxygen_free": self.rng.randint(0, beds // 12),
                "icu_capacity": beds // 20, "icu_free": self.rng.randint(0, max(1, beds // 60)), "updated_at": naive(self.now),
                "updated_by_id": self.coordinator, "version": 1,
            })
        return users, facilities

    def _name(self) -> str:
        rng = self.rng
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"

    def patient(self, pid: int) -> dict[str, list[dict]]:
        """Return every row of one patient, by table."""
        rng = self.rng
        out: dict[str, list[dict]] = {k: [] for k in (
            "users", "patients", "patient_names", "symptom_reports", "risk_assessments", "alerts",
            "contact_logs", "transfers", "transfer_events")}
        # Most were registered in the first two days of the window, the rest over it.
        span = 2 * 24 if rng.random() < 0.75 else (self.days - 1) * 24
        registered = self.start + timedelta(hours=rng.uniform(0, span))
        age_years = rng.choices((rng.randint(1, 15), rng.randint(16, 49), rng.randint(50, 64),
                                 rng.randint(65, 92)), (12, 55, 20, 13))[0]
        dob = date(self.now.year - age_years, rng.randint(1, 12), rng.randint(1, 28))
        sex = rng.choice(("male", "female"))
        comorbid = rng.sample(COMORBID, rng.choice((0, 0, 0, 1, 1, 2))) if age_years >= 16 else []
        vaccinated = rng.random() < 0.85 and age_years >= 12
        positive = local_day(registered) - timedelta(days=rng.randint(0, 2))
        profile = risk.Profile(
            date_of_birth=dob, sex=sex, comorbidities=frozenset(comorbid),
            comorbidities_stable=True, fully_vaccinated=vaccinated, positive_test_date=positive,
        )
        first = risk.assess(profile, risk.Report(reported_at=registered))
        baseline = first.baseline_tier.value
        base_reasons = reason_rows(first.reasons)
        status, changed = "active", None
        stay = timedelta(days=rng.uniform(7, 12))
        if registered + stay < self.now:
            roll = rng.random()
            if roll < 0.06:
                status, changed = "recovered", registered + stay
        end = changed or self.now
        # One in eight deteriorates for a few days; the worst of them reach red (an alert).
        worse_from = worse_to = None
        worse_tier = None
        if rng.random() < 0.125:
            worse_from = registered + timedelta(days=rng.uniform(1, max(1.5, (end - registered).days)))
            worse_to = worse_from + timedelta(days=rng.uniform(1, 4))
            worse_tier = rng.choices(("yellow", "orange", "red"), (50, 30, 20))[0]
            if worse_tier == "red" and status == "active" and rng.random() < 0.1:
                status, changed = rng.choices(("transferred", "deceased"), (95, 5))[0], min(
                    self.now - timedelta(minutes=30), worse_from + timedelta(hours=6))
                end = changed
        uid = self.next_id("users")
        ward = rng.choice(self.wards)
        name = self._name()
        phone = f"+849{pid:08d}"
        out["users"].append({**self.user("patient", name, phone, []), "id": uid,
                             "created_at": naive(registered)})
        self.ids["users"] -= 1  # user() took one id too many

        tier, tier_since, last_at = baseline, registered, None
        alert_row: dict | None = None
        day = local_day(registered)
        while True:
            for hour, spread in ((8.0, 1.5), (17.0, 1.5)):
                at = datetime(day.year, day.month, day.day, tzinfo=VN_TZ) + timedelta(
                    hours=hour + rng.uniform(-spread, spread))
                at = at.astimezone(UTC)
                if at <= registered or at >= end or rng.random() < 0.08:
                    continue
                worse = worse_from is not None and worse_from <= at < worse_to
                clinical = worse_tier if worse else "green"
                spo2 = {"red": rng.randint(88, 93), "orange": rng.randint(93, 95)}.get(clinical, rng.randint(95, 99))
                fever = rng.random() < (0.5 if worse else 0.08)
                temp = round(rng.uniform(37.8, 38.9) if fever else rng.uniform(36.3, 37.4), 1)
                symptoms = rng.sample(MILD, rng.choice((0, 1, 1, 2))) if rng.random() < 0.6 else []
                if clinical == "red":
                    symptoms.append("shortness_of_breath")
                rid = self.next_id("symptom_reports")
                out["symptom_reports"].append({
                    "id": rid, "patient_id": pid, "reported_at": naive(at), "report_date": local_day(at),
                    "slot": "morning" if hour < 12 else "afternoon", "channel": "self",
                    "entered_by_id": None, "temperature_c": temp, "spo2": spo2,
                    "spo2_recheck": spo2 if spo2 < 94 else None, "no_oximeter": False,
                    "pulse": rng.randint(62, 118 if worse else 100),
                    "respiratory_rate": rng.randint(14, 26 if worse else 20) if rng.random() < 0.5 else None,
                    "systolic_bp": None, "diastolic_bp": None, "symptoms": sorted(symptoms),
                    "note": None, "client_key": f"gen-{rid}", "created_at": naive(at),
                })
                new_tier = max(baseline, clinical, key=TIER_RANK.get)
                signs = [{"code": "W3", "params": {"value": spo2, "op": "<", "limit": 94}}] if clinical == "red" else []
                out["risk_assessments"].append({
                    "id": self.next_id("risk_assessments"), "report_id": rid, "patient_id": pid,
                    "assessed_at": naive(at), "tier": new_tier, "baseline_tier": baseline,
                    "clinical_tier": clinical, "alert": clinical == "red", "warning_signs": signs,
                    "reasons": base_reasons + signs, "news2_score": rng.randint(0, 4),
                    "news2_band": "low", "news2_complete": False, "severity": "mild",
                    "eligible_home_care": clinical != "red", "rules_version": risk.RULES_VERSION,
                })
                if new_tier != tier:
                    tier, tier_since = new_tier, at
                last_at = at
                if clinical == "red" and alert_row is None:
                    alert_row = self._alert(out, pid, rid, at)
            day += timedelta(days=1)
            if datetime(day.year, day.month, day.day, tzinfo=VN_TZ) >= end:
                break

        open_alert = alert_row is not None and alert_row["state"] != "resolved"
        values = patient_tier_values(first)
        values["current_tier"] = tier
        if status == "transferred":
            self._transfer(out, pid, registered, changed)
        out["patient_names"].append({"patient_id": pid, "name_search": fold(name)})
        out["patients"].append({
            "id": pid, "user_id": uid, "full_name": name,
            "date_of_birth": dob, "sex": sex, "phone": phone, "national_id": f"0{pid:011d}",
            "province_code": self.province, "ward_code": ward,
            "address": f"{rng.randint(1, 300)} {rng.choice(STREETS)}",
            "positive_test_date": positive, "test_type": rng.choice(("pcr", "rapid_antigen")),
            "symptom_onset_date": positive, "comorbidities": comorbid, "comorbidities_stable": True,
            "pregnant": False, "pregnancy_weeks": None, "postpartum": False,
            "vaccine_doses": 3 if vaccinated else 0, "fully_vaccinated": vaccinated,
            "height_cm": None, "weight_kg": None, "news2_scale": 1,
            "consent_at": naive(registered), "registered_at": naive(registered),
            "registered_by_id": self.doctors[ward], "status": status,
            "status_changed_at": naive(changed) if changed else None,
            "current_tier": values["current_tier"], "baseline_tier": values["baseline_tier"],
            "tier_since": naive(tier_since), "baseline_reasons": values["baseline_reasons"],
            "eligible_home_care": values["eligible_home_care"],
            "eligibility_reasons": values["eligibility_reasons"],
            "has_open_alert": open_alert and status == "active",
            "alert_opened_at": alert_row["opened_at"] if open_alert else None,
            "last_report_at": naive(last_at) if last_at else None,
            "assigned_to_id": self.doctors[ward] if rng.random() < 0.7 else None,
            "claim_code_hash": None, "claim_code_expires_at": None,
            "discharged_at": naive(changed) if status == "recovered" else None,
            "discharged_by_id": self.doctors[ward] if status == "recovered" else None,
            "discharge_note": None, "negative_test_date": local_day(changed) if status == "recovered" else None,
            "certificate_code": None, "version": 1,
        })
        return out

    def _alert(self, out: dict, pid: int, rid: int, at: datetime) -> dict:
        rng = self.rng
        age = self.now - at
        acked = at + timedelta(minutes=rng.uniform(2, 40))
        resolved = acked + timedelta(hours=rng.uniform(0.5, 6))
        state = "resolved" if resolved < self.now else "acknowledged" if acked < self.now else "open"
        row = {
            "id": self.next_id("alerts"), "patient_id": pid, "report_id": rid, "state": state,
            "reason_codes": ["W3"], "opened_at": naive(at),
            "acknowledged_at": naive(acked) if state != "open" else None,
            "acknowledged_by_id": self.coordinator if state != "open" else None,
            "seconds_to_acknowledge": int((acked - at).total_seconds()) if state != "open" else None,
            "escalated_at": naive(at + timedelta(minutes=15)) if state == "open" and age > timedelta(minutes=15) else None,
            "resolved_at": naive(resolved) if state == "resolved" else None,
            "resolved_by_id": self.coordinator if state == "resolved" else None,
            "outcome": rng.choice(("advised_at_home", "transfer", "false_alarm")) if state == "resolved" else None,
            "note": None, "version": 1,
        }
        out["alerts"].append(row)
        if state != "open":
            out["contact_logs"].append({
                "id": self.next_id("contact_logs"), "patient_id": pid, "staff_id": self.coordinator,
                "at": naive(acked), "channel": "phone", "outcome": "reached", "text": None,
            })
        return row

    def _transfer(self, out: dict, pid: int, registered: datetime, admitted: datetime) -> None:
        tid = self.next_id("transfers")
        requested = admitted - timedelta(hours=2)
        out["transfers"].append({
            "id": tid, "patient_id": pid, "state": "admitted", "reason": "SpO2 < 94%",
            "facility_id": self.rng.choice(self.facilities), "ambulance_ref": f"115-{tid}",
            "requested_at": naive(requested), "requested_by_id": self.coordinator,
            "updated_at": naive(admitted), "version": 4,
        })
        steps = (("request", None, "requested", requested),
                 ("dispatch", "requested", "dispatched", requested + timedelta(minutes=20)),
                 ("arrive", "dispatched", "arrived", admitted - timedelta(minutes=30)),
                 ("admit", "arrived", "admitted", admitted))
        for action, before, after, at in steps:
            out["transfer_events"].append({
                "id": self.next_id("transfer_events"), "transfer_id": tid, "action": action,
                "from_state": before, "to_state": after, "at": naive(at),
                "by_id": self.coordinator, "note": None,
            })


ORDER = ("users", "patients", "patient_names", "symptom_reports", "risk_assessments", "alerts",
         "contact_logs", "transfers", "transfer_events")


def create_database(url: str) -> None:
    """Create a PostgreSQL database named in the URL when it does not exist yet."""
    target = sa.engine.make_url(url)
    if not target.drivername.startswith("postgresql"):
        return
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}):
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def migrate(url: str, reset: bool) -> sa.Engine:
    create_database(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-generate", "TESTING": True})
    with app.app_context():
        engine = app.extensions["f0monitor.engine"]
        if reset:
            with engine.begin() as conn:
                name_index.execute(conn, create=False)
                Base.metadata.drop_all(conn)
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
                conn.execute(sa.text("DROP TABLE IF EXISTS day_ward_rollup"))
        upgrade_db()
        with engine.connect() as conn:
            if conn.scalar(sa.text("SELECT COUNT(*) FROM patients")):
                raise SystemExit("the database already has patients: pass --reset to replace them")
    return engine


def generate(url: str, patients: int, days: int, province: int, seed: int, reset: bool,
             now: datetime | None = None, quiet: bool = False) -> Counter:
    """Load the caseload; return the row counts by table."""
    started = time.perf_counter()
    engine = migrate(url, reset)
    now = now or datetime.now(UTC)
    gen = Province(province, days, now, seed)
    loader = Loader(engine)
    users, facilities = gen.staff()
    with engine.begin() as conn:
        loader.begin_load(conn)
        loader.write(conn, "users", users)
        loader.write(conn, "facilities", facilities)
    for chunk_start in range(1, patients + 1, CHUNK):
        rows: dict[str, list[dict]] = {k: [] for k in ORDER}
        for pid in range(chunk_start, min(patients, chunk_start + CHUNK - 1) + 1):
            for table, items in gen.patient(pid).items():
                rows[table] += items
        with engine.begin() as conn:
            loader.begin_load(conn)
            for table in ORDER:
                loader.write(conn, table, rows[table])
        if not quiet and (chunk_start // CHUNK) % 10 == 0:
            elapsed = time.perf_counter() - started
            print(f"  {min(patients, chunk_start + CHUNK - 1):>9,} patients  {elapsed:6.0f} s", flush=True)
    loader.finish()
    rebuild_rollup(engine)
    if not quiet:
        print(f"loaded in {time.perf_counter() - started:.0f} s into {engine.url.render_as_string(hide_password=True)}")
        for table in ("users", "facilities", *ORDER[1:]):
            print(f"  {table:<18} {loader.counts[table]:>12,}")
        with engine.connect() as conn:
            statuses = conn.execute(sa.text("SELECT status, COUNT(*) FROM patients GROUP BY status ORDER BY 1")).all()
        print("  patients by status: " + ", ".join(f"{s} {n:,}" for s, n in statuses))
    engine.dispose()
    return loader.counts


def rebuild_rollup(engine: sa.Engine) -> None:
    """Rebuild the per-day per-ward rollup, when the schema has one."""
    try:
        from f0monitor.services.rollup import rebuild
    except ImportError:
        return
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        rebuild(session)
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--url", required=True, help="SQLAlchemy or postgresql:// URL")
    parser.add_argument("--province", type=int, default=91, help="province code (91: An Giang)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reset", action="store_true", help="drop the tables there first")
    args = parser.parse_args()
    generate(args.url, args.patients, args.days, args.province, args.seed, args.reset)


if __name__ == "__main__":
    main()
