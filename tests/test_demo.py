"""The demo's patient logins: an older adult with comorbidities first, and a child."""

from __future__ import annotations

import sqlalchemy as sa

from f0monitor.cli.demo import DEMO_CHILD_PHONE, DEMO_PATIENT_PHONE
from f0monitor.data.models import Patient, SymptomReport
from f0monitor.domain import covid as risk
from f0monitor.domain.clock import VN_TZ, local_date, utcnow

from .conftest import login


def _patient(session, phone: str) -> Patient:
    return session.scalar(sa.select(Patient).where(Patient.phone == "+84" + phone[1:]))


def test_demo_patient_is_an_older_adult_with_a_comorbidity_reporting_for_days(runner, session, client):
    result = runner.invoke(args=["seed-demo", "--patients", "4"])
    assert result.exit_code == 0, result.output
    assert f"{DEMO_PATIENT_PHONE}  Nguyễn Thị Lan (68 years, hypertension, diabetes)" in result.output
    assert DEMO_CHILD_PHONE in result.output
    lan = _patient(session, DEMO_PATIENT_PHONE)
    years, _months = risk.age_on(lan.date_of_birth, local_date(utcnow()))
    assert years >= 65 and lan.comorbidities
    days = {r.reported_at.astimezone(VN_TZ).date() for r in session.scalars(
        sa.select(SymptomReport).where(SymptomReport.patient_id == lan.id))}
    assert len(days) >= 4
    assert lan.baseline_tier == "red"  # 65 or over with a comorbidity: followed closely
    child = _patient(session, DEMO_CHILD_PHONE)
    assert risk.age_on(child.date_of_birth, local_date(utcnow()))[0] < 12
    assert session.scalar(sa.select(sa.func.count()).select_from(SymptomReport)
                          .where(SymptomReport.patient_id == child.id)) >= 4
    # Both log in with the demo password.
    for phone in (DEMO_PATIENT_PHONE, DEMO_CHILD_PHONE):
        assert login(client, phone, "demo12345").status_code == 302
        assert client.get("/home").status_code == 200
        client.post("/logout", data={"csrf_token": client.get("/home").get_data(as_text=True)
                                     .split('name="csrf_token" value="', 1)[1].split('"', 1)[0]})


def test_every_demo_staff_login_exists_once_with_its_own_role(runner, session):
    """Each account the README and `demo-logins` print is there with its role (the facility
    desk once shared the integration account's number, and was never created)."""
    from f0monitor.cli.demo import DEMO_ACCOUNTS, DEMO_FACILITY_ACCOUNT
    from f0monitor.data.models import User
    from f0monitor.services.passwords import password_matches

    result = runner.invoke(args=["seed-demo", "--patients", "2"])
    assert result.exit_code == 0, result.output
    accounts = (*DEMO_ACCOUNTS, DEMO_FACILITY_ACCOUNT)
    assert len({phone for _role, phone, _name in accounts}) == len(accounts)
    for role, phone, _name in accounts:
        user = session.scalar(sa.select(User).where(User.phone == "+84" + phone[1:]))
        assert user is not None and user.role == role, (role, phone)
        assert password_matches(user.password_hash, "demo12345")
        assert f"{role:<12} {phone}" in result.output
    desk = session.scalar(sa.select(User).where(User.role == "facility"))
    assert desk.facility_id is not None
