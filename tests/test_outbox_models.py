"""The shared interface of issue 10: outbox rows, call tasks and reminder preferences."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from f0monitor.data.models import CallTask, OutboxMessage, Patient
from f0monitor.domain.clock import utcnow
from f0monitor.domain.text import Msg
from f0monitor.services import calls, outbox, preferences


@pytest.fixture
def patient(make_patient, session) -> Patient:
    return session.get(Patient, make_patient(login=True).id)


def test_enqueue_is_idempotent_on_patient_purpose_slot(session, patient):
    now = utcnow()
    first = outbox.enqueue(session, patient=patient, purpose="reminder", slot="2026-12-02:morning:1",
                           text_or_msg="Nhắc", now=now)
    again = outbox.enqueue(session, patient=patient, purpose="reminder", slot="2026-12-02:morning:1",
                           text_or_msg="other", now=now + timedelta(minutes=1))
    other = outbox.enqueue(session, patient=patient, purpose="reminder", slot="2026-12-02:morning:2",
                           text_or_msg="Nhắc 2", now=now)
    session.commit()
    assert again.id == first.id and again.text == "Nhắc"
    assert other.id != first.id
    assert first.status == "queued" and first.channel == "sms" and first.recipient == patient.phone
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 2


def test_the_database_refuses_a_second_row_for_one_key(session, patient):
    now = utcnow()
    outbox.enqueue(session, patient=patient, purpose="advice", slot="r1", text_or_msg="x", now=now)
    session.commit()
    session.add(OutboxMessage(patient_id=patient.id, purpose="advice", slot="r1", channel="sms",
                              recipient="x", locale="vi", text="y", status="queued", attempts=0,
                              created_at=now))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_a_msg_is_rendered_in_the_patient_language(session, patient):
    now = utcnow()
    msg = Msg("Choose at least one channel.")
    vi = outbox.enqueue(session, patient=patient, purpose="advice", slot="a", text_or_msg=msg, now=now)
    patient.user.locale = "en"
    en = outbox.enqueue(session, patient=patient, purpose="advice", slot="b", text_or_msg=msg, now=now)
    assert en.text == "Choose at least one channel." and en.locale == "en"
    assert vi.locale == "vi" and vi.text == "Chọn ít nhất một kênh."


def test_one_open_call_task_per_patient_and_reason(session, patient):
    now = utcnow()
    first = calls.open_task(session, patient=patient, reason="missed_report", now=now)
    again = calls.open_task(session, patient=patient, reason="missed_report", now=now)
    other = calls.open_task(session, patient=patient, reason="wants_call", now=now)
    assert again.id == first.id and other.id != first.id and first.state == "due"
    session.add(CallTask(patient_id=patient.id, reason="missed_report", state="claimed",
                         due_at=now, attempts=0, created_at=now))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_a_closed_task_lets_a_new_one_open_but_not_for_the_same_key(session, patient):
    now = utcnow()
    first = calls.open_task(session, patient=patient, reason="missed_report", now=now, key="d1:morning")
    first.state = "done"
    session.flush()
    same = calls.open_task(session, patient=patient, reason="missed_report", now=now, key="d1:morning")
    new = calls.open_task(session, patient=patient, reason="missed_report", now=now, key="d1:afternoon")
    assert same.id == first.id and new.id != first.id and new.state == "due"


def test_preferences_defaults_update_and_opt_out(session, patient):
    now = utcnow()
    assert preferences.get(session, patient).as_dict() == {
        "channels": ["sms"], "email": None, "quiet_hours": ["21:00", "07:00"], "opted_out": False}
    with pytest.raises(preferences.PreferenceInvalid) as bad:
        preferences.update(session, patient=patient, now=now, channels=["email"])
    assert bad.value.field == "email"
    with pytest.raises(preferences.PreferenceInvalid) as bad:
        preferences.update(session, patient=patient, now=now, quiet_hours=["25:00", "07:00"])
    assert bad.value.field == "quiet_hours"
    assert preferences.get(session, patient) == preferences.DEFAULTS  # nothing half-stored
    prefs = preferences.update(session, patient=patient, now=now, channels=["email", "sms"],
                               email="binh@example.vn", quiet_hours=["22:00", "06:30"])
    assert prefs.channels == ("email", "sms") and prefs.quiet_hours == ("22:00", "06:30")
    reminder = outbox.enqueue(session, patient=patient, purpose="reminder", slot="s1",
                              text_or_msg="x", now=now)
    advice = outbox.enqueue(session, patient=patient, purpose="advice", slot="s1",
                            text_or_msg="x", now=now)
    assert reminder.channel == "email" and reminder.recipient == "binh@example.vn"
    out = preferences.opt_out(session, patient=patient, via="sms", now=now)
    assert out.opted_out
    session.commit()
    session.refresh(reminder)
    session.refresh(advice)
    assert reminder.status == "cancelled" and advice.status == "queued"
    back = preferences.update(session, patient=patient, now=now, opted_out=False)
    assert not back.opted_out


def test_a_claim_takes_its_batch_and_no_more(session, make_patient):
    # Two senders, each with its own connection: each claims exactly its batch of 5, and they
    # never share a message. (On PostgreSQL the pick once ran as a subquery re-evaluated per
    # row under SKIP LOCKED, and the first sender claimed all 20.)
    from sqlalchemy.orm import Session

    from f0monitor.services import delivery

    now = utcnow()
    ids = [make_patient().id for _ in range(20)]
    for pid in ids:
        outbox.enqueue(session, patient=session.get(Patient, pid), purpose="advice", slot="claim",
                       text_or_msg="x", now=now)
    session.commit()
    session.close()
    engine = session.get_bind()
    with Session(engine) as first, Session(engine) as second:
        a = delivery.claim(first, now=now, limit=5)
        first.commit()
        b = delivery.claim(second, now=now, limit=5)
        second.commit()
    assert len(a) == 5 and len(b) == 5 and not set(a) & set(b)
    assert a == sorted(a) and max(a) < min(b)  # oldest first
