"""The ladder over real patients and the outbox's sender (services.ladder, services.delivery)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from f0monitor.channels.console import ConsoleChannel
from f0monitor.channels.esms import EsmsChannel
from f0monitor.data.models import CallTask, OutboxMessage, Patient
from f0monitor.domain.clock import VN_TZ
from f0monitor.services import callrounds, delivery, followup, preferences
from f0monitor.services import ladder as ladder_service
from f0monitor.services.inputs import ReportInput
from f0monitor.services.reports import submit_report

from .conftest import LONG_XUYEN
from .providers import EsmsServer, start, stop


def at(h, m=0, day=2):
    return datetime(2026, 12, day, h, m, tzinfo=VN_TZ)


REGISTERED = at(17, day=1)  # after yesterday's afternoon slot was due


@pytest.fixture
def people(make_patient, make_user, session):
    coordinator = make_user("coordinator", ward_codes=[LONG_XUYEN], locale="vi")
    a = make_patient(login=True, now=REGISTERED, full_name="Trần Thị An")
    b = make_patient(login=True, now=REGISTERED, full_name="Lê Văn Bảo")
    c = make_patient(now=REGISTERED)
    d = make_patient(now=REGISTERED)
    a, b, c, d = (session.get(Patient, p.id) for p in (a, b, c, d))
    b.user.locale = "en"
    d.status = "recovered"
    preferences.opt_out(session, patient=c, via="sms", now=REGISTERED)
    submit_report(session, a, ReportInput(spo2=98, temperature_c=36.8),
                  now=at(17, 30, day=1), channel="self")
    session.commit()
    return a, b, c, d, coordinator


def messages(session, **where):
    session.expire_all()  # the sender writes with Core statements
    q = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    for k, v in where.items():
        q = q.where(getattr(OutboxMessage, k) == v)
    return list(session.scalars(q))


def test_the_ladder_climbs_and_stops(session, people):
    a, b, c, d, coordinator = people
    assert ladder_service.tick(session, now=at(7, 29)).steps == {
        "reminder": 0, "second_reminder": 0, "call_task": 0, "coordinator_alert": 0}
    result = ladder_service.tick(session, now=at(7, 30))
    session.commit()
    assert result.slot == "2026-12-02:morning" and result.reminders == 2
    first = messages(session, purpose="reminder")
    assert {m.patient_id for m in first} == {a.id, b.id}  # not opted-out C, not recovered D
    by_patient = {m.patient_id: m for m in first}
    assert by_patient[a.id].locale == "vi" and "08:00" in by_patient[a.id].text
    assert "buổi sáng" in by_patient[a.id].text
    assert by_patient[b.id].text.startswith("f0monitor: your morning health report is due at 08:00")
    assert all(m.slot == "2026-12-02:morning:1" and m.channel == "sms" for m in first)
    # a second tick (another consumer, a retried job) repeats nothing
    assert ladder_service.tick(session, now=at(7, 31)).reminders == 0

    # A reports at 08:10: the sender will not send A's reminder any more, and the next tick
    # records it as cancelled ("reported"); B's stays queued
    submit_report(session, a, ReportInput(spo2=97), now=at(8, 10), channel="self")
    session.commit()
    assert ladder_service.tick(session, now=at(8, 11)).stopped == 1
    session.commit()
    session.expire_all()
    cancelled = session.get(OutboxMessage, by_patient[a.id].id)
    assert (cancelled.status, cancelled.error) == ("cancelled", "reported")
    assert session.get(OutboxMessage, by_patient[b.id].id).status == "queued"

    # 10:00: B gets the second reminder on another channel and a call task; A nothing more
    result = ladder_service.tick(session, now=at(10))
    session.commit()
    assert (result.second_reminders, result.call_tasks, result.escalations) == (1, 1, 0)
    second = messages(session, slot="2026-12-02:morning:2")
    assert [(m.patient_id, m.channel) for m in second] == [(b.id, "zalo")]
    task = session.scalar(sa.select(CallTask))
    assert (task.patient_id, task.reason, task.state, task.key) == (b.id, "missed_report", "due",
                                                                     "2026-12-02:morning")
    again = ladder_service.tick(session, now=at(10, 5))
    assert (again.second_reminders, again.call_tasks, again.escalations) == (0, 0, 0)

    # 17:00, 24 h since B registered: the ward's coordinator is told, once
    result = ladder_service.tick(session, now=at(17))
    session.commit()
    assert (result.slot, result.reminders, result.escalations) == ("2026-12-02:afternoon", 2, 1)
    alert = messages(session, purpose="escalation")[0]
    assert alert.patient_id == b.id and alert.recipient == coordinator.phone
    assert alert.recipient_user_id == coordinator.id and f"{b.id}" in alert.text
    assert "Bảo" not in alert.text  # no name in an SMS
    assert ladder_service.tick(session, now=at(17, 1)).escalations == 0

    # B reports: the worklist hides the task at once; the next tick closes the due call task
    # and cancels the queued reminders
    submit_report(session, b, ReportInput(spo2=97), now=at(17, 10), channel="self")
    session.commit()
    assert ladder_service.tick(session, now=at(17, 11)).stopped >= 2
    session.commit()
    session.expire_all()
    assert session.get(CallTask, task.id).state == "cancelled"
    assert {m.status for m in messages(session, patient_id=b.id, purpose="reminder")} == {"cancelled"}


def test_quiet_hours_hold_reminders(session, people):
    a, b, *_ = people
    preferences.update(session, patient=b, now=at(7), quiet_hours=["22:00", "08:00"])
    ladder_service.tick(session, now=at(7, 30))
    session.commit()
    held = {m.patient_id: m.next_attempt_at for m in messages(session, purpose="reminder")}
    assert held[b.id] == at(8) and held[a.id] == at(7, 30)
    ids = delivery.claim(session, now=at(7, 31))
    session.commit()
    assert ids == [m.id for m in messages(session, patient_id=a.id)]


def test_the_sender_sends_once_retries_and_reports(session, people):
    a, b, *_ = people
    ladder_service.tick(session, now=at(7, 30))
    session.commit()
    server, url = start(EsmsServer)
    sms = EsmsChannel(api_key="key", secret_key="secret", base_url=url, timeout=2)
    adapters = {"sms": sms, "zalo": ConsoleChannel("zalo"), "email": ConsoleChannel("email")}
    try:
        server.recorder.fail_next("http", 503)  # the first request fails, the second passes
        ids = delivery.claim(session, now=at(7, 31))
        assert len(ids) == 2 and delivery.claim(session, now=at(7, 31)) == []  # claimed once
        session.commit()
        counts = delivery.send_claimed(session, ids, adapters, now=at(7, 31))
        session.commit()
        assert (counts.sent, counts.retried) == (1, 1)
        retry = next(m for m in messages(session) if m.status == "queued")
        assert retry.attempts == 1 and "503" in retry.error
        assert retry.next_attempt_at == at(7, 31) + timedelta(seconds=30)
        assert delivery.claim(session, now=at(7, 31, )) == []  # waits for its back-off
        ids = delivery.claim(session, now=at(7, 32))
        session.commit()
        delivery.send_claimed(session, ids, adapters, now=at(7, 32))
        session.commit()
        rows = messages(session)
        assert {m.status for m in rows} == {"sent"} and all(m.provider == "esms" for m in rows)
        assert len(server.recorder.received) == 2 and server.recorder.duplicates == 0
        assert delivery.claim(session, now=at(9)) == []  # never sent again
        # a permanent error is reported at once
        row = rows[0]
        receipt = delivery.record_receipt(session, provider_message_id=row.provider_message_id,
                                          status="delivered", error=None, now=at(7, 40))
        assert receipt.status == "delivered"
        late = delivery.record_receipt(session, provider_message_id=row.provider_message_id,
                                       status="failed", error="late", now=at(7, 41))
        assert late.status == "delivered"
        assert delivery.record_receipt(session, provider_message_id="nope", status="failed",
                                       error=None, now=at(7, 41)) is None
    finally:
        stop(server, sms)


def test_a_permanent_error_fails_after_one_attempt_and_many_retries_give_up(session, people):
    a, b, *_ = people
    ladder_service.tick(session, now=at(7, 30))
    session.commit()
    server, url = start(EsmsServer)
    sms = EsmsChannel(api_key="key", secret_key="secret", base_url=url, timeout=2)
    adapters = {"sms": sms}
    try:
        server.recorder.fail_next("code", "103")
        server.recorder.fail_next("code", "99", times=50)
        now = at(7, 31)
        ids = delivery.claim(session, now=now)
        session.commit()
        delivery.send_claimed(session, ids, adapters, now=now)
        session.commit()
        for _ in range(10):
            now += timedelta(hours=1)
            ids = delivery.claim(session, now=now)
            session.commit()
            delivery.send_claimed(session, ids, adapters, now=now)
            session.commit()
        rows = messages(session)
        assert [m.status for m in rows] == ["failed", "failed"]
        assert sorted(m.attempts for m in rows) == [1, 6]
        assert {m.error for m in rows} == {"eSMS 103: test failure", "eSMS 99: test failure"}
    finally:
        stop(server, sms)


def test_a_reminder_for_a_slot_already_reported_is_cancelled_not_sent(session, people):
    a, b, *_ = people
    ladder_service.tick(session, now=at(7, 30))
    session.commit()
    # B reports before any tick has swept (e.g. by phone, at 07:45): the sender checks
    session.get(Patient, b.id).last_report_at = at(7, 45)
    session.commit()
    ids = delivery.claim(session, now=at(7, 50))
    session.commit()
    counts = delivery.send_claimed(session, ids, {"sms": ConsoleChannel()}, now=at(7, 50))
    session.commit()
    assert (counts.delivered, counts.cancelled) == (1, 1)
    assert {m.patient_id: m.status for m in messages(session)} == {a.id: "delivered", b.id: "cancelled"}


def test_patients_on_phone_follow_up_get_a_call_not_reminders(session, people, make_patient):
    a, b, *_ = people
    phone = session.get(Patient, make_patient(now=REGISTERED).id)
    followup.set_channel(session, phone, "phone", by=None, now=REGISTERED)
    session.commit()
    # 07:30: the app and SMS patients are reminded; the phone patient is not
    assert ladder_service.tick(session, now=at(7, 30)).reminders == 2
    session.commit()
    assert {m.patient_id for m in messages(session, purpose="reminder")} == {a.id, b.id}
    # 10:00: no second reminder and no missed-report call for them either: their call is the
    # slot's phone round, which the caller's worklist opens
    result = ladder_service.tick(session, now=at(10))
    session.commit()
    assert (result.second_reminders, result.call_tasks) == (2, 2)  # A and B
    assert messages(session, patient_id=phone.id) == []
    assert session.scalars(sa.select(CallTask.reason).where(CallTask.patient_id == phone.id)).all() == []
    assert callrounds.open_phone_rounds(session, now=at(10)) == 1
    session.commit()
    task = session.scalar(sa.select(CallTask).where(CallTask.patient_id == phone.id))
    assert (task.reason, task.state, task.key) == ("phone_round", "due", "2026-12-02:morning")
    # 17:00, 24 h of silence: the ward's coordinators are still told about them
    ladder_service.tick(session, now=at(17))
    session.commit()
    assert phone.id in {m.patient_id for m in messages(session, purpose="escalation")}
    assert messages(session, patient_id=phone.id, purpose="reminder") == []


def test_patients_on_sms_follow_up_are_reminded_by_sms(session, people, make_patient):
    a, b, *_ = people
    sms = session.get(Patient, make_patient(now=REGISTERED).id)
    followup.set_channel(session, sms, "sms", by=None, now=REGISTERED)
    preferences.update(session, patient=sms, now=REGISTERED, channels=["zalo"])
    preferences.update(session, patient=b, now=REGISTERED, channels=["zalo"])
    session.commit()
    ladder_service.tick(session, now=at(7, 30))
    ladder_service.tick(session, now=at(10))
    session.commit()
    got = {(m.patient_id, m.slot[-1]): (m.channel, m.recipient) for m in messages(session, purpose="reminder")}
    # the app patient who chose Zalo gets Zalo, then SMS; the SMS patient SMS both times
    assert got[b.id, "1"][0] == "zalo" and got[b.id, "2"][0] == "sms"
    assert got[sms.id, "1"] == got[sms.id, "2"] == ("sms", sms.phone)


def test_a_queued_reminder_is_cancelled_when_the_patient_moves_to_phone_follow_up(session, people):
    a, b, *_ = people
    ladder_service.tick(session, now=at(7, 30))
    session.commit()
    followup.set_channel(session, b, "phone", by=None, now=at(7, 40))
    session.commit()
    ids = delivery.claim(session, now=at(7, 45))
    session.commit()
    counts = delivery.send_claimed(session, ids, {"sms": ConsoleChannel()}, now=at(7, 45))
    session.commit()
    assert (counts.cancelled, counts.delivered + counts.sent) == (1, 1)
    by_patient = {m.patient_id: m for m in messages(session, purpose="reminder")}
    assert by_patient[b.id].status == "cancelled" and by_patient[b.id].error == "phone_follow_up"
    assert by_patient[a.id].status in ("sent", "delivered")
