"""Call rounds: who is due, in what order, one caller per patient, and what each outcome does."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from f0monitor.data.models import (
    CallTask,
    ContactLog,
    FollowUpChange,
    OutboxMessage,
    Patient,
    SymptomReport,
    User,
)
from f0monitor.domain.clock import VN_TZ
from f0monitor.services import callrounds, followup
from f0monitor.services.callrounds import (
    BadOutcome,
    CallRefused,
    claim_next,
    current_slot,
    open_phone_rounds,
    record_outcome,
    worklist,
)
from f0monitor.services.calls import open_task
from f0monitor.services.inputs import ReportInput
from f0monitor.services.reports import submit_report

from .conftest import AN_GIANG, LONG_XUYEN

# A Tuesday morning in Vietnam, after the 08:00 slot began.
MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=VN_TZ)
REGISTERED = MORNING - timedelta(days=1)


def _on_phone(session, patient_id: int, now=REGISTERED) -> Patient:
    patient = session.get(Patient, patient_id)
    followup.set_channel(session, patient, "phone", by=None, now=now, reason="no smartphone")
    session.commit()
    return patient


def _fine() -> ReportInput:
    no = frozenset()
    return ReportInput(spo2=98, temperature_c=36.8, pulse=80, symptoms=no)


def test_current_slot():
    assert current_slot(MORNING) == (datetime(2026, 12, 1, 8, tzinfo=VN_TZ), "2026-12-01:morning")
    early = datetime(2026, 12, 1, 7, 59, tzinfo=VN_TZ)
    assert current_slot(early) == (datetime(2026, 11, 30, 16, tzinfo=VN_TZ), "2026-11-30:afternoon")
    late = datetime(2026, 12, 1, 16, 0, tzinfo=VN_TZ)
    assert current_slot(late)[1] == "2026-12-01:afternoon"


def test_phone_patients_who_have_not_reported_are_due_once_per_slot(app, session, make_patient):
    on_phone = _on_phone(session, make_patient(now=REGISTERED).id)
    in_app = make_patient(now=REGISTERED)  # app follow-up: the ladder, not the rounds
    reported = _on_phone(session, make_patient(now=REGISTERED).id)
    submit_report(session, reported, _fine(), now=MORNING - timedelta(minutes=30), channel="staff")
    session.commit()

    assert open_phone_rounds(session, now=MORNING) == 1
    session.commit()
    assert open_phone_rounds(session, now=MORNING + timedelta(minutes=5)) == 0  # same slot: once
    tasks = session.scalars(sa.select(CallTask)).all()
    assert [(t.patient_id, t.reason, t.key, t.state) for t in tasks] == [
        (on_phone.id, "phone_round", "2026-12-01:morning", "due")
    ]
    assert tasks[0].due_at == datetime(2026, 12, 1, 8, tzinfo=VN_TZ)
    assert in_app.id not in {t.patient_id for t in tasks}


def test_a_report_cancels_the_waiting_phone_round(app, session, make_patient):
    patient = _on_phone(session, make_patient(now=REGISTERED).id)
    open_phone_rounds(session, now=MORNING)
    submit_report(session, patient, _fine(), now=MORNING + timedelta(minutes=10), channel="sms")
    callrounds.refresh(session, now=MORNING + timedelta(minutes=11))
    session.commit()
    task = session.scalars(sa.select(CallTask)).one()
    assert task.state == "cancelled" and task.note == "report received"


def test_worklist_order_alert_then_tier_then_longest_overdue(app, session, make_patient, make_user):
    caller = make_user("volunteer")
    green_late = make_patient(now=REGISTERED, full_name="Xanh Lâu")  # fully vaccinated, 41: green
    green_new = make_patient(now=REGISTERED, full_name="Xanh Mới")
    red = make_patient(now=REGISTERED, full_name="Đỏ", date_of_birth=datetime(1950, 1, 1).date(),
                       comorbidities=("diabetes",))
    alerted = make_patient(now=REGISTERED, full_name="Báo Động")
    rows = {p.id: session.get(Patient, p.id) for p in (green_late, green_new, red, alerted)}
    submit_report(session, rows[alerted.id], ReportInput(spo2=90, symptoms=frozenset()), now=REGISTERED,
                  channel="staff")
    for pid, due in ((green_late.id, 180), (green_new.id, 30), (red.id, 10), (alerted.id, 5)):
        open_task(session, patient=rows[pid], reason="missed_report", now=MORNING,
                  due_at=MORNING - timedelta(minutes=due))
    session.commit()
    assert session.get(Patient, red.id).current_tier == "red"
    page = worklist(session, session.get(User, caller.id), now=MORNING)
    assert [i.patient.full_name for i in page.items] == ["Báo Động", "Đỏ", "Xanh Lâu", "Xanh Mới"]
    assert page.total == 4
    assert page.items[2].overdue_minutes == 180


def test_next_gives_two_callers_two_different_patients(app, session, make_patient, make_user):
    a, b = (session.get(User, make_user("volunteer").id), session.get(User, make_user("doctor").id))
    first = _on_phone(session, make_patient(now=REGISTERED).id)
    second = _on_phone(session, make_patient(now=REGISTERED).id)
    got_a = claim_next(session, a, now=MORNING)
    got_b = claim_next(session, b, now=MORNING)
    session.commit()
    assert {got_a.patient_id, got_b.patient_id} == {first.id, second.id}
    assert got_a.claimed_by_id == a.id and got_b.claimed_by_id == b.id
    assert claim_next(session, session.get(User, make_user("volunteer").id), now=MORNING) is None
    # A caller asking again gets their unfinished call back.
    assert claim_next(session, a, now=MORNING + timedelta(minutes=1)).id == got_a.id
    # A claim left too long may be taken over.
    c = session.get(User, make_user("volunteer").id)
    later = MORNING + callrounds.CLAIM_TIMEOUT + timedelta(minutes=1)
    assert claim_next(session, c, now=later).id in {got_a.id, got_b.id}


def test_two_tasks_of_one_patient_are_never_claimed_by_two_callers(app, session, make_patient, make_user):
    a, b = (session.get(User, make_user("volunteer").id), session.get(User, make_user("doctor").id))
    patient = _on_phone(session, make_patient(now=REGISTERED).id)
    open_task(session, patient=patient, reason="missed_report", now=MORNING)
    open_task(session, patient=patient, reason="unreadable_sms", now=MORNING)
    session.commit()
    assert claim_next(session, a, now=MORNING).patient_id == patient.id
    assert claim_next(session, b, now=MORNING) is None


def test_concurrent_next_claims_are_exclusive(app, make_patient, make_user):
    """Two callers press "next" at the same moment on two connections: each gets one patient."""
    factory = app.extensions["f0monitor.sessionmaker"]
    callers = [make_user("volunteer").id for _ in range(4)]
    patients = [make_patient(now=REGISTERED).id for _ in range(3)]
    with factory() as s:
        for pid in patients:
            _on_phone(s, pid)
        open_phone_rounds(s, now=MORNING)
        s.commit()
    start = threading.Barrier(len(callers), timeout=20)
    got: dict[int, int | None] = {}
    errors: list[BaseException] = []

    def press(user_id: int) -> None:
        try:
            with factory() as s:
                user = s.get(User, user_id)
                start.wait()
                task = claim_next(s, user, now=MORNING)
                s.commit()
                got[user_id] = task.patient_id if task else None
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=press, args=(uid,)) for uid in callers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    claimed = [pid for pid in got.values() if pid is not None]
    assert sorted(claimed) == sorted(patients)  # every patient once, nobody twice
    assert list(got.values()).count(None) == 1
    with factory() as s:
        rows = s.execute(sa.select(CallTask.patient_id, CallTask.claimed_by_id).where(CallTask.state == "claimed")).all()
        assert len(rows) == 3 and len({r.claimed_by_id for r in rows}) == 3


def test_no_answer_is_retried_twice_then_the_ward_is_told(app, session, make_patient, make_user):
    caller = session.get(User, make_user("volunteer").id)
    ward_coordinator = make_user("coordinator", ward_codes=[LONG_XUYEN], full_name="Điều phối phường")
    make_user("coordinator", full_name="Tỉnh")  # province-wide: not told when the ward has its own
    patient = _on_phone(session, make_patient(now=REGISTERED).id)
    now = MORNING
    task = claim_next(session, caller, now=now)
    first = record_outcome(session, task, by=caller, outcome="no_answer", now=now)
    assert first.retry_at == now + timedelta(minutes=30) and task.state == "due" and task.attempts == 1
    assert claim_next(session, caller, now=now + timedelta(minutes=5)) is None  # not due yet
    now += timedelta(minutes=31)
    task = claim_next(session, caller, now=now)
    second = record_outcome(session, task, by=caller, outcome="no_answer", now=now)
    assert second.retry_at == now + timedelta(hours=2)
    now += timedelta(hours=2, minutes=1)
    task = claim_next(session, caller, now=now)
    third = record_outcome(session, task, by=caller, outcome="no_answer", now=now, note="tắt máy")
    session.commit()
    assert third.retry_at is None and third.unreachable and third.ward_told == 1
    assert (task.state, task.outcome, task.attempts) == ("done", "no_answer", 3)
    message = session.scalars(sa.select(OutboxMessage)).one()
    assert (message.purpose, message.recipient_user_id, message.channel) == ("escalation", ward_coordinator.id, "sms")
    assert f"số {patient.id}" in message.text and "3 lần gọi" in message.text
    assert patient.full_name not in message.text and patient.phone not in message.text
    assert session.scalar(sa.select(sa.func.count()).select_from(ContactLog)) == 3
    listed = callrounds.unreachable(session, caller, now=now)
    assert [i.patient.id for i in listed] == [patient.id]


def test_reached_with_answers_stores_a_phone_report_and_closes_the_patients_calls(
    app, session, make_patient, make_user
):
    caller = session.get(User, make_user("volunteer").id)
    patient = _on_phone(session, make_patient(now=REGISTERED).id)
    open_task(session, patient=patient, reason="missed_report", now=MORNING)
    task = claim_next(session, caller, now=MORNING)
    answers = ReportInput(spo2=93, temperature_c=38.5, pulse=100, symptoms=frozenset({"shortness_of_breath"}))
    result = record_outcome(session, task, by=caller, outcome="reached", now=MORNING, report=answers)
    session.commit()
    report = session.scalars(sa.select(SymptomReport)).one()
    assert (report.channel, report.entered_by_id, report.spo2) == ("phone", caller.id, 93)
    assert report.assessment.alert and result.submitted.alert_opened
    assert session.get(Patient, patient.id).has_open_alert
    states = sorted(session.execute(sa.select(CallTask.reason, CallTask.state, CallTask.outcome)).all())
    # Reaching the patient closes every call of theirs that was waiting, the missed-report one too.
    assert states == [("missed_report", "done", "reached"), ("phone_round", "done", "reached")]
    with pytest.raises(CallRefused):
        record_outcome(session, task, by=caller, outcome="reached", now=MORNING)


def test_outcomes_are_checked(app, session, make_patient, make_user):
    caller = session.get(User, make_user("volunteer").id)
    other = session.get(User, make_user("volunteer").id)
    _on_phone(session, make_patient(now=REGISTERED).id)
    task = claim_next(session, caller, now=MORNING)
    with pytest.raises(BadOutcome):
        record_outcome(session, task, by=caller, outcome="busy", now=MORNING)
    with pytest.raises(BadOutcome):
        record_outcome(session, task, by=caller, outcome="refused", now=MORNING, report=_fine())
    with pytest.raises(CallRefused):
        record_outcome(session, task, by=other, outcome="reached", now=MORNING)
    result = record_outcome(session, task, by=caller, outcome="refused", now=MORNING, note="không muốn")
    assert (result.task.state, result.task.outcome) == ("done", "refused")
    assert not result.unreachable


def test_figures_per_caller_and_day(app, session, make_patient, make_user):
    a = session.get(User, make_user("volunteer", full_name="An").id)
    b = session.get(User, make_user("doctor", full_name="Bình").id)
    for _ in range(3):
        _on_phone(session, make_patient(now=REGISTERED).id)
    t1 = claim_next(session, a, now=MORNING)
    record_outcome(session, t1, by=a, outcome="reached", now=MORNING,
                   report=ReportInput(spo2=92, symptoms=frozenset()))
    t2 = claim_next(session, a, now=MORNING)
    record_outcome(session, t2, by=a, outcome="no_answer", now=MORNING)
    t3 = claim_next(session, b, now=MORNING)
    record_outcome(session, t3, by=b, outcome="reached", now=MORNING, report=_fine())
    session.commit()
    figures = {(f.name, f.day): (f.calls, f.reached, f.reports, f.alerts)
               for f in callrounds.caller_figures(session, a, now=MORNING)}
    day = MORNING.date()
    assert figures == {("An", day): (2, 1, 1, 1), ("Bình", day): (1, 1, 1, 0)}


def test_switching_channel_keeps_history_and_ends_phone_rounds(app, session, make_patient, make_user):
    coordinator = session.get(User, make_user("coordinator").id)
    patient = _on_phone(session, make_patient(now=REGISTERED).id)
    open_phone_rounds(session, now=MORNING)
    submit_report(session, patient, _fine(), now=MORNING - timedelta(hours=20), channel="phone")
    assert followup.set_channel(session, patient, "phone", by=coordinator, now=MORNING) is None  # unchanged
    change = followup.set_channel(session, patient, "sms", by=coordinator, now=MORNING, reason="has a feature phone")
    session.commit()
    assert (change.from_channel, change.to_channel, change.by_id) == ("phone", "sms", coordinator.id)
    history = followup.history(session, patient.id)
    assert [(h.from_channel, h.to_channel) for h in history] == [("phone", "sms"), ("app", "phone")]
    assert session.scalars(sa.select(CallTask.state)).all() == ["cancelled"]
    assert session.scalars(sa.select(SymptomReport.channel)).all() == ["phone"]  # reports keep theirs
    with pytest.raises(followup.BadFollowUp):
        followup.set_channel(session, patient, "pigeon", by=coordinator, now=MORNING)
    assert session.scalar(sa.select(sa.func.count()).select_from(FollowUpChange)) == 2


def test_scope_hides_other_areas(app, session, make_patient, make_user):
    elsewhere = session.get(User, make_user("volunteer", province_code=1).id)
    _on_phone(session, make_patient(now=REGISTERED).id)
    assert claim_next(session, elsewhere, now=MORNING) is None
    assert worklist(session, elsewhere, now=MORNING).total == 0
    assert AN_GIANG != 1
