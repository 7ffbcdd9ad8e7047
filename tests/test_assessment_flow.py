"""Scoring inside the report transaction, profile re-scoring, reassess, overdue flags."""

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from f0monitor.data.models import Alert, Patient, RiskAssessment, SymptomReport
from f0monitor.domain import covid as risk
from f0monitor.domain.clock import VN_TZ, utcnow
from f0monitor.services.assessments import rescore_profile
from f0monitor.services.inputs import ReportInput
from f0monitor.services.reassess import reassess_all
from f0monitor.services.reports import submit_report


def _report(session, patient, now, **vitals):
    recorded = submit_report(session, patient, ReportInput(**vitals), now=now, channel="staff")
    session.commit()
    return recorded


def test_stored_assessment_and_patient_tier_in_one_transaction(session, make_patient):
    patient = session.get(Patient, make_patient(date_of_birth=date(1990, 1, 1)).id)
    assert patient.current_tier == "green"  # fully vaccinated, 36, nothing else
    now = utcnow()
    recorded = _report(session, patient, now, spo2=95, spo2_recheck=95, pulse=80)
    assert recorded.assessment.tier == "red" and recorded.assessment.alert
    assert recorded.assessment.warning_signs[0]["code"] == "W3"
    session.refresh(patient)
    assert patient.current_tier == "red" and patient.has_open_alert
    assert patient.last_report_at == now
    alert = session.scalar(sa.select(Alert))
    assert alert.reason_codes == ["W3"] and alert.report_id == recorded.report.id


def test_failed_assessment_rolls_back_the_report(session, make_patient, monkeypatch):
    patient = session.get(Patient, make_patient().id)

    def broken(*_a, **_k):
        raise RuntimeError("rules crashed")

    monkeypatch.setattr(risk, "assess", broken)
    try:
        submit_report(session, patient, ReportInput(spo2=97), now=utcnow(), channel="self")
        session.commit()
    except RuntimeError:
        session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(SymptomReport)) == 0


def test_alert_opens_once_until_resolved(session, make_patient):
    patient = session.get(Patient, make_patient().id)
    now = utcnow()
    for minutes in (0, 30, 60):
        _report(session, patient, now + timedelta(minutes=minutes), symptoms=frozenset({"chest_pain"}))
    assert session.scalar(sa.select(sa.func.count()).select_from(Alert)) == 1
    alert = session.scalar(sa.select(Alert))
    alert.state = "resolved"
    patient.has_open_alert = False
    session.commit()
    _report(session, patient, now + timedelta(hours=2), symptoms=frozenset({"chest_pain"}))
    assert session.scalar(sa.select(sa.func.count()).select_from(Alert)) == 2


def test_late_entered_older_report_does_not_replace_current_tier(session, make_patient):
    patient = session.get(Patient, make_patient().id)
    now = utcnow()
    _report(session, patient, now, spo2=98)
    # entered late: measured 6 hours ago, sent now
    submit_report(
        session, patient, ReportInput(respiratory_rate=30, reported_at=now - timedelta(hours=6)),
        now=now + timedelta(minutes=1), channel="staff",
    )
    session.commit()
    session.refresh(patient)
    assert patient.current_tier == "green"  # the newest report decides
    assert patient.last_report_at == now
    assert session.scalar(sa.select(sa.func.count()).select_from(Alert)) == 1  # but it still alerts


def test_c2_uses_stored_history(session, make_patient):
    child = session.get(Patient, make_patient(date_of_birth=date(2019, 5, 1), fully_vaccinated=False).id)
    start = datetime(2026, 11, 19, 8, tzinfo=VN_TZ)
    for hours, temp in ((0, 38.2), (24, 38.5), (48, 38.4)):
        recorded = _report(session, child, start + timedelta(hours=hours), temperature_c=temp)
    codes = [s["code"] for s in recorded.assessment.warning_signs]
    assert codes == ["C2"]


def test_profile_change_rescores_baseline(session, make_patient):
    patient = session.get(Patient, make_patient(date_of_birth=date(1958, 1, 1), fully_vaccinated=True).id)
    assert patient.baseline_tier == "orange"  # 65+ vaccinated, no comorbidity
    patient.comorbidities = ["diabetes"]
    rescore_profile(session, patient, now=utcnow())
    session.commit()
    assert patient.baseline_tier == "red" and patient.current_tier == "red"
    assert patient.baseline_reasons[0]["code"] == "AGE_65_COMORBID"


def test_reassess_rescores_latest_reports_and_counts_changes(session, make_patient, runner):
    now = utcnow()
    young = session.get(Patient, make_patient(date_of_birth=date(1990, 1, 1)).id)
    old = session.get(Patient, make_patient(date_of_birth=date(1950, 1, 1)).id)
    _report(session, young, now - timedelta(hours=3), spo2=98)
    _report(session, old, now - timedelta(hours=2), spo2=98)
    # A rules or data change behind the scores' back: the stored tiers are now stale.
    session.execute(sa.update(Patient).values(current_tier="green"))
    session.execute(sa.update(RiskAssessment).values(tier="green", rules_version="old"))
    session.commit()
    summary = reassess_all(session, now=now, batch_size=1)
    assert summary.patients == 2
    assert summary.changes == {("green", "orange"): 1}
    # The same with the rules in two worker processes gives the same result.
    session.execute(sa.update(Patient).values(current_tier="green"))
    session.execute(sa.update(RiskAssessment).values(tier="green", rules_version="old"))
    session.commit()
    summary = reassess_all(session, now=now, batch_size=1, workers=2)
    assert summary.patients == 2 and summary.changes == {("green", "orange"): 1}
    session.expire_all()
    assert set(session.scalars(sa.select(RiskAssessment.tier))) == {"green", "orange"}
    assert set(session.scalars(sa.select(RiskAssessment.rules_version))) == {risk.RULES_VERSION}
    result = runner.invoke(args=["reassess", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "Re-scored 2 patients" in result.output and "No tier changed." in result.output


def test_reporting_flags_from_last_report(make_patient, session):
    now = utcnow()
    patient = session.get(Patient, make_patient(now=now - timedelta(hours=30)).id)
    assert risk.reporting_flag(patient.last_report_at, patient.registered_at, now) == "missing"
    _report(session, patient, now - timedelta(hours=13), spo2=98)
    assert risk.reporting_flag(patient.last_report_at, patient.registered_at, now) == "overdue"
    _report(session, patient, now - timedelta(hours=1), spo2=98)
    assert risk.reporting_flag(patient.last_report_at, patient.registered_at, now) is None


def test_seed_demo_twice_does_not_duplicate(runner, session):
    first = runner.invoke(args=["seed-demo", "--patients", "25"])
    assert first.exit_code == 0, first.output
    assert "Created 25 patients" in first.output and "demo12345" in first.output
    counts = [session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Patient, SymptomReport)]
    second = runner.invoke(args=["seed-demo", "--patients", "25"])
    assert "Created 0 patients, 0 reports, 0 staff accounts" in second.output
    assert [session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Patient, SymptomReport)] == counts
    tiers = set(session.scalars(sa.select(Patient.current_tier)))
    assert len(tiers) >= 3  # a realistic mix
    assert session.scalar(sa.select(sa.func.count()).select_from(RiskAssessment)) == counts[1]


def test_stored_reasons_render_exactly_like_fresh_ones(session, make_patient):
    """Reasons go through JSON in the database; their text must not change on the way."""
    from tests.labels_helpers import assessment_body, stored_rows, text

    patient = session.get(Patient, make_patient(date_of_birth=date(1950, 1, 1), comorbidities=("diabetes",),
                                                fully_vaccinated=False, height_cm=150.0, weight_kg=80.0).id)
    recorded = _report(session, patient, utcnow(), spo2=93, spo2_recheck=92, pulse=125, respiratory_rate=26,
                       temperature_c=39.2, systolic_bp=85, diastolic_bp=55,
                       symptoms=frozenset({"shortness_of_breath", "chest_pain", "wants_call"}))
    session.expire_all()
    stored = session.get(RiskAssessment, recorded.assessment.id)
    for lang in ("vi", "en"):
        assert stored_rows(stored.reasons, lang) == assessment_body(recorded.result, lang)["reasons"]
        assert stored_rows(stored.warning_signs, lang) == assessment_body(recorded.result, lang)["warning_signs"]
    patient = session.get(Patient, patient.id)
    assert stored_rows(patient.eligibility_reasons, "vi") == [
        {"code": r.code, "message": text(r, "vi")} for r in recorded.result.eligibility_reasons
    ]
    assert all("[" not in r["message"] for r in stored_rows(patient.eligibility_reasons, "en"))
