"""SMS check-ins from feature phones: the gateway's inbound message in, a report and a reply out.

``receive`` is what ``POST /api/v1/hooks/sms`` calls. In one transaction it

1. answers a ``message_id`` it has seen with the reply it gave then (the gateway retries;
   nothing is stored twice — the ``sms_checkins`` row is unique on it, and the report's
   submission key is ``sms:<message_id>``);
2. finds the patient by the sender's number (none: a short "not followed here" reply);
3. reads the text with ``domain.smsreply.read_sms``;
4. STOP → ``preferences.opt_out(via="sms")``; a readable text → ``reports.submit_report``
   (channel ``sms``: the one submission path, scored, may alert) and a reply that repeats what
   was understood and the advice, with "CALL 115 NOW" ("GỌI 115 NGAY") on a warning sign; an
   unreadable one → the format back, and a call task (``unreadable_sms``) so a person calls.

Replies are rendered in the patient's language (Vietnamese unless their login says English)
with ``services.texts``: there is no request to take a language from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..data.models import Patient, SmsCheckin
from ..domain.clock import VN_TZ, next_report_due
from ..domain.smsreply import Problem, SmsReading, format_example, read_sms
from ..domain.states import CallReason, OptOutVia, ReportChannel, SmsOutcome
from ..domain.text import N_, Msg
from . import outbox, preferences, texts
from .calls import open_task
from .inputs import ReportInput
from .phones import InvalidPhone, normalize_phone
from .reports import Outcome, accepts_reports, submit_report

MAX_TEXT = 1600  # ten concatenated SMS; the gateway never sends more
# The clinical rules refuse report times more than 10 minutes ahead or 72 hours back (§1);
# a gateway's clock outside that window is not the report's time: ours is.
FUTURE_SLACK = timedelta(minutes=10)
PAST_LIMIT = timedelta(hours=72)

VITAL_WORDS = {
    "spo2": N_("SpO2 %(value)s%%"),
    "spo2_recheck": N_("SpO2 again %(value)s%%"),
    "temperature_c": N_("temperature %(value)s°C"),
    "pulse": N_("pulse %(value)s/min"),
    "respiratory_rate": N_("breathing %(value)s/min"),
}
FIELD_WORDS = {
    "spo2": N_("SpO2"),
    "spo2_recheck": N_("SpO2"),
    "temperature_c": N_("temperature"),
    "pulse": N_("pulse"),
    "respiratory_rate": N_("breathing rate"),
    "systolic_bp": N_("blood pressure"),
    "diastolic_bp": N_("blood pressure"),
    "text": N_("the message"),
}
# Short words for an SMS (the report form's labels are longer).
SYMPTOM_WORDS = {
    "fever": N_("fever"),
    "cough": N_("cough"),
    "productive_cough": N_("cough with phlegm"),
    "sore_throat": N_("sore throat"),
    "runny_nose": N_("runny nose"),
    "fatigue": N_("tiredness"),
    "headache": N_("headache"),
    "myalgia": N_("body aches"),
    "chills": N_("chills"),
    "red_eyes": N_("red eyes"),
    "loss_of_taste_smell": N_("loss of taste or smell"),
    "diarrhea": N_("diarrhoea"),
    "nausea_vomiting": N_("nausea"),
    "anorexia": N_("no appetite"),
    "dizziness": N_("dizziness"),
    "hemoptysis": N_("coughing blood"),
    "shortness_of_breath": N_("short of breath"),
    "chest_pain": N_("chest pain"),
    "altered_consciousness": N_("drowsy or confused"),
    "cyanosis": N_("blue lips"),
    "cannot_drink_or_feed": N_("cannot drink or eat"),
    "other_acute_illness": N_("another acute illness"),
    "wants_call": N_("wants a call"),
}
PROBLEM_WORDS = {
    "number_without_name": N_("which measurement is %(text)s?"),
    "out_of_range": N_("%(field)s %(text)s is not possible"),
    "implausible": N_("%(field)s %(text)s is very unusual"),
    "not_integer": N_("%(field)s must be a whole number"),
    "not_a_number": N_("%(field)s is not a number"),
    "given_twice": N_("%(field)s given twice"),
    "diastolic_not_below_systolic": N_("the lower blood pressure number must be below the upper"),
    "spo2_with_no_oximeter": N_("SpO2 given, but also no oximeter"),
    "name_without_number": N_("%(field)s without its number"),
}
TIER_ADVICE = {
    "red": N_("Very high risk: report twice a day and call 115 at once if you feel breathless."),
    "orange": N_("High risk: take your usual medicines and call your health station if worse."),
    "yellow": N_("Rest, drink water, eat well."),
    "green": N_("You are doing well. Rest, drink water, eat well."),
}


@dataclass(frozen=True)
class Received:
    """What became of an inbound SMS: the stored row (with its reply) and whether it was new."""

    checkin: SmsCheckin
    duplicate: bool


def _find(session: Session, message_id: str) -> SmsCheckin | None:
    return session.scalar(sa.select(SmsCheckin).where(SmsCheckin.message_id == message_id))


def _number(value: float, locale: str) -> str:
    text = str(int(value)) if float(value).is_integer() else f"{value:.1f}"
    return text.replace(".", ",") if locale == "vi" else text


def understood(reading: SmsReading, locale: str) -> list[str]:
    """Return what was read, in words: the values, "no oximeter", the symptoms said and denied."""
    r = lambda m: texts.render(m, locale)  # noqa: E731
    parts = []
    for name in ("spo2", "spo2_recheck", "temperature_c", "pulse", "respiratory_rate"):
        if name in reading.values:
            parts.append(r(Msg(VITAL_WORDS[name], value=_number(reading.values[name], locale))))
    if "systolic_bp" in reading.values and "diastolic_bp" in reading.values:
        parts.append(r(Msg("blood pressure %(high)s/%(low)s", high=int(reading.values["systolic_bp"]),
                           low=int(reading.values["diastolic_bp"]))))
    if reading.no_oximeter:
        parts.append(r(Msg("no oximeter")))
    parts += [r(Msg(SYMPTOM_WORDS[s])) for s in sorted(reading.symptoms, key=list(SYMPTOM_WORDS).index)]
    if reading.denied:
        denied = ", ".join(r(Msg(SYMPTOM_WORDS[s])) for s in sorted(reading.denied, key=list(SYMPTOM_WORDS).index))
        parts.append(r(Msg("no %(symptoms)s", symptoms=denied)))
    if not parts and reading.well:
        parts.append(r(Msg("no symptoms")))
    return parts


def problem_text(problem: Problem, locale: str) -> str:
    """Return one problem of a reading in words."""
    field = texts.render(Msg(FIELD_WORDS.get(problem.field, "the message")), locale)
    return texts.render(Msg(PROBLEM_WORDS[problem.code], field=field, text=problem.text), locale)


def format_reply(locale: str) -> str:
    """The format, as sent back to a message that could not be read."""
    return texts.render(
        Msg(
            "Reply like: %(example)s. Add KHO THO, DAU NGUC, MOI TIM if you have them; "
            "KHONG CO MAY DO if you have no oximeter.",
            example=format_example(),
        ),
        locale,
    )


def _stored_reply(reading: SmsReading, submitted, patient: Patient, locale: str, now: datetime) -> str:
    r = lambda m: texts.render(m, locale)  # noqa: E731
    said = ", ".join(understood(reading, locale))
    parts = [r(Msg("Received: %(what)s.", what=said))]
    if submitted.warning_signs:
        parts.append(r(Msg("WARNING SIGNS. CALL 115 NOW, or your health station.")))
    else:
        tier = submitted.assessment.tier if submitted.assessment is not None else None
        if tier in TIER_ADVICE:
            parts.append(r(Msg(TIER_ADVICE[tier])))
        due = next_report_due(patient.last_report_at, now).astimezone(VN_TZ)
        parts.append(r(Msg("Next report at %(time)s.", time=due.strftime("%H:%M"))))
    return " ".join(parts)


def _report_time(received_at: datetime | None, now: datetime) -> datetime:
    if received_at is None or received_at > now + FUTURE_SLACK or received_at < now - PAST_LIMIT:
        return now
    return received_at


def receive(
    session: Session,
    *,
    message_id: str,
    sender: str,
    text: str,
    received_at: datetime | None,
    now: datetime,
) -> Received:
    """Take one inbound SMS: store it once, act on it, and return the reply to send."""
    message_id = message_id[:64]
    seen = _find(session, message_id)
    if seen is not None:
        return Received(seen, duplicate=True)
    text = (text or "")[:MAX_TEXT]
    try:
        phone = normalize_phone(sender)
    except InvalidPhone:
        phone = (sender or "")[:20]
    patient = session.scalar(sa.select(Patient).where(Patient.phone == phone))
    row = SmsCheckin(
        message_id=message_id, sender=phone, text=text, received_at=received_at or now,
        patient_id=patient.id if patient else None, created_at=now,
    )
    if patient is None:
        row.outcome = SmsOutcome.UNKNOWN_SENDER
        row.reply = texts.render(
            Msg("This number is not followed by f0monitor. Ask your health station to register you."),
            texts.DEFAULT_LOCALE,
        )
        return _store(session, row)
    locale = outbox.patient_locale(patient)
    reading = read_sms(text)
    if reading.stop:
        preferences.opt_out(session, patient=patient, via=OptOutVia.SMS, now=now)
        row.outcome = SmsOutcome.STOPPED
        row.reply = texts.render(
            Msg("You will get no more reminders by SMS. In an emergency, call 115."), locale
        )
    elif not accepts_reports(patient):
        row.outcome = SmsOutcome.ENDED
        row.reply = texts.render(Msg("Your home treatment has ended; reports are no longer needed."), locale)
    elif reading.readable:
        data = ReportInput(
            **reading.values,
            no_oximeter=reading.no_oximeter,
            symptoms=reading.symptoms,
            reported_at=_report_time(received_at, now),
        )
        submitted = submit_report(
            session, patient, data, now=now, channel=ReportChannel.SMS, key=f"sms:{message_id}"
        )
        if submitted.status == Outcome.ENDED:  # pragma: no cover - checked just above
            row.outcome = SmsOutcome.ENDED
            row.reply = texts.render(Msg("Your home treatment has ended; reports are no longer needed."), locale)
        else:
            row.outcome = SmsOutcome.STORED
            row.report_id = submitted.report.id
            row.reply = _stored_reply(reading, submitted, patient, locale, now)
            if "wants_call" in reading.symptoms:
                task = open_task(session, patient=patient, reason=CallReason.WANTS_CALL, now=now,
                                 key=f"sms:{message_id}")
                row.call_task_id = task.id
    else:
        task = open_task(session, patient=patient, reason=CallReason.UNREADABLE_SMS, now=now,
                         key=f"sms:{message_id}")
        row.call_task_id = task.id
        row.outcome = SmsOutcome.UNREADABLE
        problems = [problem_text(p, locale) for p in reading.problems if p.code != "nothing_understood"]
        lead = (
            texts.render(Msg("We could not read: %(what)s.", what="; ".join(problems)), locale)
            if problems
            else texts.render(Msg("We could not read your message."), locale)
        )
        row.reply = " ".join(
            [lead, format_reply(locale), texts.render(Msg("A health worker will call you."), locale)]
        )
    return _store(session, row)


def _store(session: Session, row: SmsCheckin) -> Received:
    session.flush()
    try:
        with session.begin_nested():  # two deliveries of one message at once: one row
            session.add(row)
    except IntegrityError:
        winner = _find(session, row.message_id)
        if winner is None:
            raise
        return Received(winner, duplicate=True)
    return Received(row, duplicate=False)


def checkins_of(session: Session, patient_id: int, limit: int = 50) -> list[SmsCheckin]:
    """Return a patient's SMS check-ins, newest first."""
    return list(
        session.scalars(
            sa.select(SmsCheckin)
            .where(SmsCheckin.patient_id == patient_id)
            .order_by(SmsCheckin.received_at.desc(), SmsCheckin.id.desc())
            .limit(limit)
        )
    )
