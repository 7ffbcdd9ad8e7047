"""The caseload rollup (services.rollup) against the reference recount, on a realistic week.

Registrations on several days and wards, reports changing tiers, alerts opened and
acknowledged, a recovery, a transfer admission, a death, a withdrawal, a tier change by a
profile correction and one by the batch re-assessment, a report synced after its day was
closed: the caseload read from the rollup equals ``caseload_recount`` (the scans) for the
province, one ward and every province, and ``rebuild`` gives the same rows.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from f0monitor.data.models import Alert, CaseloadAck, CaseloadDay, Facility, Patient, User
from f0monitor.data.session import get_session
from f0monitor.domain.clock import VN_TZ
from f0monitor.services import rollup
from f0monitor.services.alerts import acknowledge
from f0monitor.services.caseload import Area, caseload, caseload_recount
from f0monitor.services.discharge import DischargeInput, discharge
from f0monitor.services.inputs import ReportInput
from f0monitor.services.patients import ProfileChange, update_profile
from f0monitor.services.reassess import reassess_all
from f0monitor.services.reports import submit_report
from f0monitor.services.retention import withdraw_consent
from f0monitor.services.transfers import apply_event, open_transfer

from .conftest import AN_GIANG, LONG_XUYEN, _other_ward
from .staff_helpers import WARNING, report

D = date(2026, 3, 10)
CALM = {"temperature_c": 36.8, "spo2": 98, "pulse": 80, "respiratory_rate": 16}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    moment = D + timedelta(days=day)
    return datetime(moment.year, moment.month, moment.day, hour, minute, tzinfo=VN_TZ)


NOW = at(4, 15)


def _with(app, fn):
    with app.app_context():
        session = get_session()
        out = fn(session)
        session.commit()
        return out


@pytest.fixture
def week(app, make_patient, make_user):
    ward1, ward2 = LONG_XUYEN, _other_ward()
    doctor = make_user("doctor")
    coordinator = make_user("coordinator")
    old = {"positive_test_date": D - timedelta(days=12)}

    # Before the range: a patient who reports every afternoon until D+2, then falls silent.
    p0 = make_patient(now=at(-3, 9), **old)
    for day in range(-3, 3):
        report(app, p0.id, when=at(day, 16), **CALM)
    # Ward 1, D 08:00: calm, then warning signs on D+1 (red, an alert acknowledged 20 min later).
    p1 = make_patient(now=at(0, 8), **old)
    report(app, p1.id, when=at(0, 14), **CALM)
    alert = report(app, p1.id, when=at(1, 9), **WARNING)
    _with(app, lambda s: acknowledge(s, s.get(Alert, alert.id), s.get(User, doctor.id), now=at(1, 9, 20)))
    # Ward 2, D 20:00 (late in the day: not due a report that day); recovers on D+3.
    p2 = make_patient(now=at(0, 20), ward_code=ward2, **old)
    report(app, p2.id, when=at(1, 15), **CALM)
    report(app, p2.id, when=at(2, 15), **CALM)
    _with(app, lambda s: discharge(s, s.get(Patient, p2.id), DischargeInput("recovered"), by=None, now=at(3, 10)))
    # Ward 1, D+1: warning signs at 13:00 (alert left open), admitted to hospital on D+2.
    p3 = make_patient(now=at(1, 10))
    report(app, p3.id, when=at(1, 13), **WARNING)

    def transfer(s):
        hospital = Facility(name="BV Đa khoa An Giang", province_code=AN_GIANG, general_capacity=10,
                            general_free=2, updated_at=at(2, 7))
        s.add(hospital)
        s.flush()
        t = open_transfer(s, s.get(Patient, p3.id), reason="SpO2 90", facility_id=hospital.id,
                          by=None, now=at(2, 8))
        user = s.get(User, coordinator.id)
        apply_event(s, t, "accept", by=user, now=at(2, 9), override=True)
        apply_event(s, t, "dispatch", by=user, now=at(2, 9, 30), ambulance_ref="XE-1")
        apply_event(s, t, "admit", by=user, now=at(2, 11))

    _with(app, transfer)
    # Ward 2, registered D+1 22:00 and died an hour later (the same late evening).
    p4 = make_patient(now=at(1, 22), ward_code=ward2)
    _with(app, lambda s: discharge(s, s.get(Patient, p4.id), DischargeInput("deceased"), by=None, now=at(1, 23)))
    # Ward 1, D+2: a profile correction on D+3 raises the tier without a report.
    # (Two reports before it: the re-scoring rewrites the latest assessment, and the recount
    # reads the tier before the change from the one before that.)
    p5 = make_patient(now=at(2, 9), date_of_birth=date(1950, 1, 1))
    report(app, p5.id, when=at(2, 12), **CALM)
    report(app, p5.id, when=at(2, 16), **CALM)

    def correct(s):
        patient = s.get(Patient, p5.id)
        update_profile(s, patient, ProfileChange(
            comorbidities=("diabetes", "hypertension", "chronic_kidney_disease"), comorbidities_stable=False,
            pregnant=False, pregnancy_weeks=None, postpartum=False, vaccine_doses=0,
            fully_vaccinated=False, height_cm=None, weight_kg=None), now=at(3, 11))

    _with(app, correct)
    # Ward 2, D+2: the profile was changed behind the rules' back (as when the rules change);
    # the batch re-assessment on D+3 moves the tier (a bulk UPDATE, counted by tier_moves).
    p6 = make_patient(now=at(2, 10), ward_code=ward2, date_of_birth=date(1948, 1, 1))
    report(app, p6.id, when=at(2, 11), **CALM)
    report(app, p6.id, when=at(2, 17), **CALM)
    _with(app, lambda s: s.execute(sa.update(Patient).where(Patient.id == p6.id).values(
        comorbidities=["diabetes", "hypertension", "chronic_kidney_disease"], comorbidities_stable=False,
        fully_vaccinated=False, vaccine_doses=0)))
    summary = _with(app, lambda s: reassess_all(s, now=at(3, 12)))
    # Ward 1, D+1: withdraws consent on D+2.
    p7 = make_patient(now=at(1, 7))
    _with(app, lambda s: withdraw_consent(s, s.get(Patient, p7.id), now=at(2, 18), user_id=None))
    # Another province.
    from f0monitor.services import areas

    other_province = next(code for code, _n in areas.provinces() if code != AN_GIANG)
    p8 = make_patient(now=at(0, 9), province_code=other_province,
                      ward_code=areas.wards(other_province)[0][0])
    report(app, p8.id, when=at(0, 16), **CALM)
    # The past days are closed at 01:00 on D+4; then p0's phone syncs an afternoon report of
    # D+3 (stored late: counted among D+3's reporters as it comes).
    _with(app, lambda s: rollup.close_days(s, now=at(4, 1)))
    _with(app, lambda s: submit_report(s, s.get(Patient, p0.id), ReportInput(reported_at=at(3, 17), **CALM),
                                       now=at(4, 8), channel="self"))
    return {"ward1": ward1, "ward2": ward2, "summary": summary, "other": other_province,
            "ids": [p.id for p in (p0, p1, p2, p3, p4, p5, p6, p7, p8)]}


def _both(app, area: Area, first: date = D - timedelta(days=4), last: date = D + timedelta(days=4)):
    with app.app_context():
        session = get_session()
        return ([i.as_dict() for i in caseload(session, area, first, last, now=NOW)],
                [i.as_dict() for i in caseload_recount(session, area, first, last, now=NOW)])


def test_the_scenario_moves_what_it_should(app, week):
    """The scenario is the one described: tiers changed, statuses changed, alerts opened."""
    assert sum(week["summary"].changes.values()) >= 1  # the batch re-assessment moved a tier
    with app.app_context():
        session = get_session()
        statuses = dict(session.execute(sa.select(Patient.id, Patient.status).where(Patient.id.in_(week["ids"]))).all())
        assert sorted(statuses.values()).count("active") == 5
        assert {"recovered", "transferred", "deceased", "withdrawn"} <= set(statuses.values())
        assert session.scalar(sa.select(sa.func.count()).select_from(Alert)) == 2
        late = session.scalar(sa.select(sa.func.sum(CaseloadDay.late_reporters)))
        assert late == 1  # the report synced after its day was closed


def test_rollup_equals_the_recount(app, week):
    for area in (Area(province_code=AN_GIANG), Area(AN_GIANG, (week["ward1"],)),
                 Area(AN_GIANG, (week["ward2"],)), Area(), Area(province_code=week["other"])):
        fast, slow = _both(app, area)
        assert fast == slow, area
    fast, _slow = _both(app, Area(province_code=AN_GIANG))
    by = {(i["date"], int(i["ward_code"])): i for i in fast}
    w1, w2 = week["ward1"], week["ward2"]
    day = lambda k: (D + timedelta(days=k)).isoformat()  # noqa: E731
    assert by[(day(1), w1)]["by_tier"]["red"] == 2 and by[(day(1), w1)]["alerts_opened"] == 2
    assert (by[(day(3), w2)]["recovered"], by[(day(2), w1)]["transferred"], by[(day(1), w2)]["deceased"]) == (1, 1, 1)
    assert by[(day(1), w1)]["median_minutes_to_acknowledge"] == 20.0
    assert by[(day(3), w1)]["overdue"] >= 1  # p0, silent since D+2 16:00


def test_positive_tests_equal_the_recount(app, week):
    """The epidemic curve kept by the rollup (by day of positive test and ward) is the
    patients grouped again, and the daily report draws it."""
    from f0monitor.services.dailyreport import daily_report

    first, last = D - timedelta(days=12), D + timedelta(days=4)
    with app.app_context():
        session = get_session()
        kept = {(day, ward): n for day, ward, n in session.execute(
            sa.select(CaseloadDay.day, CaseloadDay.ward_code, CaseloadDay.positive_tests)
            .where(CaseloadDay.positive_tests != 0))}
        recount = {(day, ward): n for day, ward, n in session.execute(
            sa.select(Patient.positive_test_date, Patient.ward_code, sa.func.count())
            .group_by(Patient.positive_test_date, Patient.ward_code))}
        province = dict(session.execute(
            sa.select(Patient.positive_test_date, sa.func.count())
            .where(Patient.province_code == AN_GIANG)
            .group_by(Patient.positive_test_date)).all())
        report = daily_report(session, Area(province_code=AN_GIANG), first, last)
    assert kept == recount and sum(kept.values()) == len(week["ids"])
    assert len({day for day, _ward in kept}) > 1  # more than one day of the curve
    assert dict(zip(report.days, report.new_cases, strict=True)) == {
        day: province.get(day, 0) for day in report.days}
    assert sum(report.new_cases) == 3  # p0, p1, p2, tested on D-12; the others later


def test_a_range_inside_the_history_and_one_day(app, week):
    """A range ending before today, and single days, as the recount up to today has them.

    (The recount reads the tier history only for changes inside its range: for a range that
    ends before a later change, it counts the patient in today's tier; so it is run up to
    today and sliced.)
    """
    area = Area(province_code=AN_GIANG)
    for first, last in ((D + timedelta(days=2), D + timedelta(days=3)), (D, D),
                        (D + timedelta(days=3), D + timedelta(days=3)), (NOW.date(), NOW.date())):
        fast, _ = _both(app, area, first, last)
        _, slow = _both(app, area, first, NOW.date())
        wards = {i["ward_code"] for i in fast}
        assert fast and fast == [i for i in slow if i["date"] <= last.isoformat() and i["ward_code"] in wards]


def test_rebuild_gives_the_same_rows(app, week):
    def acks(s):
        return sorted(tuple(r) for r in s.execute(sa.select(CaseloadAck.__table__)))

    def kept_then_rebuilt(s):
        kept = rollup.summed(s), acks(s)
        rollup.rebuild(s, now=NOW)
        return kept, (rollup.summed(s), acks(s))

    kept, rebuilt = _with(app, kept_then_rebuilt)
    assert kept == rebuilt and len(kept[1]) == 2  # acknowledged: p1 by the doctor, p3 at admission
    fast, slow = _both(app, Area(province_code=AN_GIANG))
    assert fast == slow
    again = _with(app, lambda s: (rollup.rebuild(s, now=NOW), (rollup.summed(s), acks(s)))[1])
    assert again == rebuilt  # idempotent


def test_an_unclosed_day_is_counted_from_the_reports(app, week):
    """Without the closing of the past days, the caseload reads their reporters itself."""
    _with(app, lambda s: s.execute(sa.delete(rollup.CaseloadClosedDay)))
    fast, slow = _both(app, Area(province_code=AN_GIANG))
    assert fast == slow


def test_rebuild_command(app, runner, week):
    result = runner.invoke(args=["rebuild-rollup"])
    assert result.exit_code == 0, result.output
    assert "Rollup rebuilt" in result.output
    fast, slow = _both(app, Area(province_code=AN_GIANG))
    assert fast == slow


def test_two_tier_changes_are_counted_on_their_days(app, make_patient):
    """Where the recount approximates (it reads one change back), the rollup has each day.

    Green on D, red from D+1 (warning signs), green again from D+2 (a calm report): the
    recount takes the tier before the last change for every earlier day (red on D too).
    """
    patient = make_patient(now=at(0, 8), positive_test_date=D - timedelta(days=3))
    report(app, patient.id, when=at(0, 14), **CALM)
    alert = report(app, patient.id, when=at(1, 9), **WARNING)
    assert alert is not None
    report(app, patient.id, when=at(2, 9), **CALM)
    with app.app_context():
        session = get_session()
        tiers = [i.by_tier for i in caseload(session, Area(province_code=AN_GIANG), D, D + timedelta(days=2),
                                              now=at(2, 12))]
        now_tier = session.get(Patient, patient.id).current_tier
    assert [next(t for t, n in day.items() if n) for day in tiers] == ["green", "red", now_tier]
    assert all(sum(day.values()) == 1 for day in tiers)
