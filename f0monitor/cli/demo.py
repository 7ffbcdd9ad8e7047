"""Demo data: an An Giang caseload with a week of twice-daily reports, through the real services."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data.models import Facility, Patient, User
from ..domain.clock import VN_TZ
from ..domain.vitals import VITALS, VitalSpec
from ..services import areas, followup
from ..services.inputs import RegistrationInput, ReportInput
from ..services.patients import hash_password, register_patient
from ..services.reports import submit_report

DEMO_PASSWORD = "demo12345"
PROVINCE = 91  # An Giang

# Role, phone, name. Phones are valid Vietnamese mobile numbers reserved for the demo.
DEMO_ACCOUNTS = (
    ("admin", "0900000001", "Quản trị Nguyễn Văn An"),
    ("coordinator", "0900000002", "Điều phối Trần Thị Bình"),
    ("doctor", "0900000003", "BS. Lê Minh Châu"),
    ("volunteer", "0900000004", "TNV Phạm Thu Dung"),
    ("department", "0900000005", "Sở Y tế Võ Văn Em"),
    # A FHIR service account of the province (reads /fhir with an API token, nothing else).
    ("integration", "0900000006", "Hệ thống liên thông Sở Y tế An Giang"),
)
# The receiving hospital's duty desk: accepts or refuses the transfers sent to the first facility.
DEMO_FACILITY_ACCOUNT = ("facility", "0900000007", "Khoa Cấp cứu BV Đa khoa Trung tâm An Giang")
DEMO_PATIENT_PHONE = "0900000100"
DEMO_CHILD_PHONE = "0900000101"

# The two demo patients with a login, as a product for older adults first meets its users:
# (phone, name, sex, age in years, comorbidities, days reporting, course). The second, a child
# (a parent reports), shows the paediatric rules (age-banded breathing rate, SpO2 < 96, C2).
DEMO_PATIENTS = (
    (DEMO_PATIENT_PHONE, "Nguyễn Thị Lan", "female", 68, ("hypertension", "diabetes"), 5, "recovering"),
    (DEMO_CHILD_PHONE, "Trần Gia Bảo", "male", 7, (), 3, "stable"),
)

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Võ", "Phan", "Trương", "Bùi", "Đặng", "Đỗ", "Ngô", "Dương", "Lý"]
MIDDLE_M = ["Văn", "Minh", "Hữu", "Đức", "Quốc", "Thanh", "Công"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Kim", "Mỹ", "Thanh", "Bích"]
GIVEN_M = ["An", "Bảo", "Cường", "Dũng", "Hải", "Hùng", "Khoa", "Long", "Nam", "Phúc", "Quang", "Sơn", "Tài", "Thắng", "Tuấn", "Vinh"]
GIVEN_F = ["Anh", "Châu", "Diệp", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga", "Ngân", "Nhung", "Phương", "Thảo", "Trang", "Vy", "Yến"]
STREETS = ["Trần Hưng Đạo", "Hà Hoàng Hổ", "Nguyễn Huệ", "Lý Thái Tổ", "Tôn Đức Thắng", "Hùng Vương", "Ấp Mỹ Thạnh", "Ấp Bình Hòa", "Tổ 5, Ấp Long Hòa"]
COMORBIDITY_MIX = ["hypertension", "diabetes", "cardiovascular_disease", "chronic_lung_disease", "asthma", "chronic_kidney_disease", "obesity", "cancer"]
MILD = ["cough", "sore_throat", "runny_nose", "fatigue", "headache", "myalgia", "loss_of_taste_smell", "fever", "chills"]


def _phone(i: int) -> str:
    return f"09{10000000 + i:08d}"


def seed_demo(session: Session, *, now: datetime, n_patients: int = 300, progress: Callable[[int], None] | None = None, seed: int = 2022) -> dict[str, int]:
    """Create the demo staff, facilities and caseload; a second run adds nothing."""
    rng = random.Random(seed)
    created = {"accounts": 0, "patients": 0, "reports": 0, "facilities": 0}
    wards = [code for code, _name in areas.wards(PROVINCE)]
    for role, phone, name in DEMO_ACCOUNTS:
        e164 = "+84" + phone[1:]
        if session.scalar(sa.select(User.id).where(User.phone == e164)) is None:
            session.add(
                User(
                    phone=e164,
                    password_hash=hash_password(DEMO_PASSWORD),
                    role=role,
                    full_name=name,
                    province_code=PROVINCE,
                    ward_codes=[],
                    created_at=now,
                    is_active_account=True,
                    session_version=1,
                    max_patients=60 if role in ("doctor", "volunteer") else None,
                    is_available=True,
                )
            )
            created["accounts"] += 1
    if session.scalar(sa.select(sa.func.count()).select_from(Facility)) == 0:
        # (name, {bed type: (capacity, free)}): every facility has general beds, some more.
        for name, beds in (
            ("Bệnh viện Đa khoa Trung tâm An Giang",
             {"general": (120, 18), "oxygen": (40, 6), "icu": (12, 2), "ventilator": (8, 1)}),
            ("Bệnh viện Đa khoa khu vực Châu Đốc", {"general": (80, 9), "oxygen": (20, 3), "icu": (6, 0)}),
            ("Bệnh viện Đa khoa khu vực Tân Châu", {"general": (60, 4), "oxygen": (10, 2)}),
            ("Cơ sở thu dung điều trị COVID-19 số 1 Long Xuyên", {"general": (200, 57), "oxygen": (60, 21)}),
        ):
            figures = {f"{kind}_{part}": n for kind, pair in beds.items() for part, n in zip(("capacity", "free"), pair, strict=True)}
            session.add(Facility(name=name, province_code=PROVINCE, updated_at=now, version=1, **figures))
            created["facilities"] += 1
    session.flush()
    role, phone, name = DEMO_FACILITY_ACCOUNT
    e164 = "+84" + phone[1:]
    if session.scalar(sa.select(User.id).where(User.phone == e164)) is None:
        first = session.scalar(sa.select(Facility.id).where(Facility.province_code == PROVINCE).order_by(Facility.id))
        session.add(User(phone=e164, password_hash=hash_password(DEMO_PASSWORD), role=role, full_name=name,
                         province_code=PROVINCE, ward_codes=[], created_at=now, is_active_account=True,
                         session_version=1, is_available=True, facility_id=first))
        created["accounts"] += 1
        session.flush()
    for i in range(n_patients):
        phone = "+84" + (DEMO_PATIENTS[i][0] if i < len(DEMO_PATIENTS) else _phone(i))[1:]
        if session.scalar(sa.select(Patient.id).where(Patient.phone == phone)) is not None:
            rng.random()
            continue
        patient = _make_patient(session, rng, i, phone, wards, now)
        if i and i % 12 == 5:  # a caller without a smartphone: followed by the call rounds
            followup.record_registration(session, patient, "phone", by=None, now=patient.registered_at)
        elif i and i % 17 == 3:  # a feature phone: answers SMS prompts
            followup.record_registration(session, patient, "sms", by=None, now=patient.registered_at)
        created["patients"] += 1
        created["reports"] += _make_reports(session, rng, i, patient, now)
        if progress:
            progress(1)
    session.flush()
    _handle_old_alerts(session, rng, now)
    return created


def _handle_old_alerts(session: Session, rng: random.Random, now: datetime) -> None:
    """Have the demo staff acknowledge alerts older than a few hours, as a working team would.

    Recent alerts and a quarter of the older ones stay open, so the queue shows what is waiting
    (some escalated); the acknowledged ones give
    the department real times to acknowledge.
    """
    from ..data.models import Alert
    from ..services.alerts import acknowledge

    staff = session.scalars(
        sa.select(User).where(User.role.in_(("doctor", "volunteer")), User.phone.like("+8490000000%"))
    ).all()
    if not staff:
        return
    old = session.scalars(
        sa.select(Alert).where(Alert.state == "open", Alert.opened_at < now - timedelta(hours=4))
    ).all()
    for alert in old:
        if rng.random() < 0.25:
            continue  # a few still wait: the queue shows them on top, escalated
        when = alert.opened_at + timedelta(minutes=rng.choice([2, 4, 6, 9, 12, 18, 25, 40]))
        acknowledge(session, alert, rng.choice(staff), now=when)


def _named_patient(rng: random.Random, i: int, phone: str, wards: list[int], now: datetime) -> RegistrationInput:
    """One of the demo patients with a login (``DEMO_PATIENTS``)."""
    _phone_text, name, sex, age, comorbid, days, _course = DEMO_PATIENTS[i]
    today = now.astimezone(VN_TZ).date()
    positive = today - timedelta(days=days)
    adult = age >= 16
    return RegistrationInput(
        full_name=name,
        date_of_birth=date(today.year - age, today.month, min(today.day, 28)) - timedelta(days=40 + 9 * i),
        sex=sex,
        phone=phone,
        province_code=PROVINCE,
        ward_code=wards[0],
        address="12 Trần Hưng Đạo" if i == 0 else "Tổ 5, Ấp Long Hòa",
        positive_test_date=positive,
        test_type="rapid_antigen",
        symptom_onset_date=positive,
        comorbidities=tuple(comorbid),
        comorbidities_stable=bool(comorbid),
        vaccine_doses=3 if adult else 2,
        fully_vaccinated=True,
        height_cm=152.0 if adult else None,
        weight_kg=56.0 if adult else None,
        consent=True,
        password=DEMO_PASSWORD,
    )


def _make_patient(session: Session, rng: random.Random, i: int, phone: str, wards: list[int], now: datetime) -> Patient:
    if i < len(DEMO_PATIENTS):
        data = _named_patient(rng, i, phone, wards, now)
        registered_at = datetime.combine(data.positive_test_date, datetime.min.time(), VN_TZ).replace(hour=9)
        return register_patient(session, data, now=registered_at)
    female = rng.random() < 0.52
    name = " ".join(
        [rng.choice(FAMILY), rng.choice(MIDDLE_F if female else MIDDLE_M), rng.choice(GIVEN_F if female else GIVEN_M)]
    )
    # Ages: mostly working-age adults, a tail of elderly and some children, as in 2022 caseloads.
    age = int(min(95, max(0, rng.choice([rng.gauss(38, 14), rng.gauss(70, 8), rng.uniform(1, 15)] if rng.random() < 0.9 else [rng.uniform(0.2, 3)]))))
    today = now.astimezone(VN_TZ).date()
    dob = today - timedelta(days=int(age * 365.25) + rng.randint(0, 364))
    comorbid = []
    if rng.random() < (0.15 + age / 150):
        comorbid = rng.sample(COMORBIDITY_MIX, k=1 if rng.random() < 0.7 else 2)
    registered_days_ago = rng.randint(4, 8) if i else 7
    positive = today - timedelta(days=registered_days_ago + rng.randint(0, 1))
    pregnant = female and 20 <= age <= 40 and rng.random() < 0.06
    data = RegistrationInput(
        full_name=name,
        date_of_birth=dob,
        sex="female" if female else "male",
        phone=phone,
        province_code=PROVINCE,
        ward_code=rng.choice(wards),
        address=f"{rng.randint(1, 250)} {rng.choice(STREETS)}",
        positive_test_date=positive,
        test_type=rng.choice(["rapid_antigen", "rapid_antigen", "pcr"]),
        symptom_onset_date=positive - timedelta(days=rng.randint(0, 2)) if rng.random() < 0.8 else None,
        comorbidities=tuple(comorbid),
        comorbidities_stable=bool(comorbid) and rng.random() < 0.7,
        pregnant=pregnant,
        pregnancy_weeks=rng.randint(8, 36) if pregnant else None,
        vaccine_doses=0 if age < 5 else rng.choice([0, 1, 2, 2, 3, 3, 3]),
        fully_vaccinated=age >= 5 and rng.random() < 0.8,
        height_cm=float(rng.randint(150, 175)) if age >= 16 else None,
        weight_kg=float(rng.randint(45, 90)) if age >= 16 else None,
        consent=True,
        password=DEMO_PASSWORD if i == 0 else None,
    )
    registered_at = datetime.combine(positive + timedelta(days=1), datetime.min.time(), VN_TZ).replace(hour=9)
    return register_patient(session, data, now=registered_at)


def _make_reports(session: Session, rng: random.Random, i: int, patient: Patient, now: datetime) -> int:
    # How the illness goes over the week: most recover, some stay unwell, a few get worse
    # (they raise alerts), a few stop reporting (overdue / missing flags).
    kind = rng.choices(["recovering", "stable", "deteriorating", "silent"], weights=[55, 28, 9, 8])[0]
    if i < len(DEMO_PATIENTS):
        kind = DEMO_PATIENTS[i][6]
    start = patient.registered_at
    count = 0
    slots = []
    day = start.astimezone(VN_TZ).date()
    end_day = now.astimezone(VN_TZ).date()
    while day <= end_day:
        for hour in (8, 16):
            moment = datetime(day.year, day.month, day.day, hour, rng.randint(0, 50), tzinfo=VN_TZ)
            if start <= moment <= now:
                slots.append(moment)
        day += timedelta(days=1)
    if kind == "silent":
        slots = slots[: max(1, len(slots) - rng.randint(3, 6))]  # stopped reporting 1.5–3 days ago
    n = len(slots)
    for k, moment in enumerate(slots):
        if rng.random() < 0.07 and k not in (0, n - 1):
            continue  # a missed report now and then
        progress = k / max(1, n - 1)
        report = _vitals(rng, kind, progress)
        submit_report(session, patient, report, now=moment.astimezone(VN_TZ), channel="seed")
        count += 1
    return count


def _vitals(rng: random.Random, kind: str, progress: float) -> ReportInput:
    has_oximeter = rng.random() < 0.85
    symptoms = set(rng.sample(MILD, k=rng.randint(0, 3)))
    if kind == "recovering":
        temp = 38.3 - 1.6 * progress + rng.uniform(-0.3, 0.3)
        spo2 = rng.choice([97, 98, 98, 99])
        pulse = int(92 - 15 * progress + rng.randint(-6, 6))
        rr = rng.randint(14, 18)
        if progress > 0.5:
            symptoms = set(rng.sample(["cough", "fatigue", "loss_of_taste_smell"], k=rng.randint(0, 1)))
    elif kind == "deteriorating":
        temp = 37.8 + 1.2 * progress + rng.uniform(-0.2, 0.3)
        spo2 = int(98 - 7 * progress + rng.randint(-1, 1))
        pulse = int(88 + 35 * progress + rng.randint(-5, 5))
        rr = int(17 + 10 * progress + rng.randint(-1, 1))
        if progress > 0.7:
            symptoms |= {"shortness_of_breath"}
        if progress > 0.9 and rng.random() < 0.5:
            symptoms |= {"chest_pain"}
    else:
        temp = 37.2 + rng.uniform(-0.5, 0.8)
        spo2 = rng.choice([97, 97, 98, 98, 99])
        pulse = rng.randint(70, 98)
        rr = rng.randint(14, 19)
    readings = {
        "temperature_c": min(41.0, max(35.5, temp)),
        "spo2": spo2,
        "pulse": pulse,
        "respiratory_rate": rr if rng.random() < 0.8 else None,
        "systolic_bp": rng.randint(105, 145) if rng.random() < 0.4 else None,
    }
    return ReportInput(
        **{spec.name: _reading(spec, readings.get(spec.name), has_oximeter) for spec in VITALS},
        no_oximeter=not has_oximeter,
        symptoms=frozenset(symptoms),
    )


def _reading(spec: VitalSpec, value: float | None, has_oximeter: bool) -> float | None:
    """Return a demo value as the spec keeps it, within its range; None when not measured.

    A vital the trajectories above do not produce (a new one, the SpO2 recheck, the diastolic
    pressure) is left unmeasured.
    """
    if value is None or (spec.oximeter and not has_oximeter):
        return None
    return spec.coerce(min(spec.high, max(spec.low, value)))


__all__ = ["seed_demo", "DEMO_PASSWORD", "DEMO_ACCOUNTS", "DEMO_PATIENTS", "date"]
