"""Storing reports: one way in for every channel, scored in the same transaction.

`submit_report` is the only way a report is stored. The patient's web form, the staff page,
both API routes and the demo data call it; the channels still to come (SMS replies, phone
rounds, offline sync) will too. It decides, in this order, and in this one place:

1. the submission key: cut to `KEY_LENGTH` characters, an empty key is no key;
2. a key already stored answers ``duplicate`` with the first report (a double tap, the back
   button, a retry) — even after home treatment ended, since that report was received;
3. a patient whose home treatment ended (status not ``active``) is answered ``ended``;
3b. a report time outside the window of §1 (``inputs.check_reported_at``: before birth, in
   the future, too old) is answered ``refused`` with the field error, and nothing is stored
   (the forms and schemas refuse it at the field first; this keeps every channel honest);
4. the new report is inserted with ``ON CONFLICT DO NOTHING`` (`insert_once`): when two
   requests with one key race, the loser inserts nothing and the winner's report is answered
   ``duplicate``;
5. the report is scored (assessment, tier, alert) in the same transaction: ``stored``.

A stored report costs at most five statements (tests/test_statements.py counts them): the
INSERT of the report (which also returns the bounded history when a rule reads it: a
feverish child), the INSERTs of its assessment and of an alert (when one opens), the UPDATE
of the patient, whose row holds the current state (tier, last report, open alert), and the
caseload rollup's upsert when the tier changes or an alert opens. On PostgreSQL a report
whose verdict reads no history (nearly all) is scored before it is stored, and the report, its
assessment, the alert and the patient's UPDATE are one statement (`assessments.store_report`:
a WITH fed by the INSERT ... ON CONFLICT DO NOTHING, so a key already stored writes nothing): a
calm report is one statement, an alert two; the feverish child's takes the assessment and the
UPDATE in one WITH after its INSERT. They are Core statements, not an ORM flush
(`assessments.store_assessment` says why).

Callers only translate the `Submitted` outcome into a page or JSON; they commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..data.models import Patient, RiskAssessment, SymptomReport, User
from ..domain import covid as risk
from ..domain import vitals
from ..domain.clock import local_date, slot_of
from ..domain.states import PatientStatus
from ..domain.text import Msg
from . import rollup
from .assessments import (
    history_column,
    history_of,
    store_assessment,
    store_report,
    to_profile,
    to_risk_report,
)
from .inputs import ReportInput, check_reported_at

KEY_LENGTH = 64  # SymptomReport.client_key is String(64)


class Outcome(StrEnum):
    """What became of a submitted report."""

    STORED = "stored"  # new, scored
    DUPLICATE = "duplicate"  # its key was already stored: the first report counts
    ENDED = "ended"  # home treatment ended: nothing stored
    REFUSED = "refused"  # the report's time is outside the window (§1): nothing stored


@dataclass(frozen=True)
class Submitted:
    """The outcome of a submission: what the caller tells the person who sent it.

    ``report`` and ``assessment`` are the stored rows (the first report for a duplicate, none
    when ended); ``result`` is the fresh verdict, for a stored report only; ``alert_opened``
    says whether this report opened a new alert (one already open is not opened again).
    """

    status: Outcome
    report: SymptomReport | None = None
    assessment: RiskAssessment | None = None
    result: risk.Assessment | None = None
    alert_opened: bool = False
    errors: dict[str, list[Msg]] = field(default_factory=dict)  # REFUSED: field -> messages

    @property
    def warning_signs(self) -> bool:
        """True when the report just stored shows warning signs (the patient must act now)."""
        return self.result is not None and self.result.alert


def submission_key(raw: str | None) -> str | None:
    """Normalise a submission key: the one cut to `KEY_LENGTH`; empty means none."""
    return (raw or "")[:KEY_LENGTH] or None


def accepts_reports(patient: Patient) -> bool:
    """Whether the patient still reports: only during home treatment."""
    return patient.status == PatientStatus.ACTIVE


def find_by_key(session: Session, patient_id: int, client_key: str | None) -> SymptomReport | None:
    """Return the report a (normalised) submission key already stored, if any."""
    if not client_key:
        return None
    return session.scalar(
        sa.select(SymptomReport).where(
            SymptomReport.patient_id == patient_id, SymptomReport.client_key == client_key
        )
    )


def already_submitted(session: Session, patient: Patient, key: str | None) -> Submitted | None:
    """Answer ``duplicate`` when this key was already stored, else None.

    For callers that know the key before the report is read or validated (a form's hidden
    field, an Idempotency-Key header): a retry is answered even if its body no longer passes.
    """
    existing = find_by_key(session, patient.id, submission_key(key))
    if existing is None:
        return None
    return Submitted(Outcome.DUPLICATE, existing, existing.assessment)


def check_submission(session: Session, patient: Patient, key: str | None) -> Submitted | None:
    """Answer what needs no report data: ``duplicate`` first, then ``ended``; else None."""
    duplicate = already_submitted(session, patient, key)
    if duplicate is not None:
        return duplicate
    if not accepts_reports(patient):
        return Submitted(Outcome.ENDED)
    return None


def submit_report(
    session: Session,
    patient: Patient,
    data: ReportInput,
    *,
    now: datetime,
    channel: str,
    entered_by: User | None = None,
    key: str | None = None,
) -> Submitted:
    """Store a report once per submission key, assess it and update the patient.

    ``key`` (an Idempotency-Key header) takes the place of ``data.client_key`` when given.
    Flushes, never commits. See the module docstring for the order of the answers.
    """
    key = submission_key(key or data.client_key)
    if not accepts_reports(patient):  # rare: only then is the key looked up first
        return check_submission(session, patient, key) or Submitted(Outcome.ENDED)
    if data.reported_at is not None:  # no time: the server's, always in the window
        refused = check_reported_at(data.reported_at, patient.date_of_birth, now)
        if refused:
            return Submitted(Outcome.REFUSED, errors=refused)
    data = replace(data, client_key=key)
    reported_at = (data.reported_at or now).astimezone(UTC)  # as it comes back from the database
    values = dict(
        patient_id=patient.id,
        reported_at=reported_at,
        report_date=local_date(reported_at),
        slot=slot_of(reported_at),
        channel=channel,
        entered_by_id=entered_by.id if entered_by else None,
        **vitals.values_of(data),  # a column per vital of the spec
        no_oximeter=data.no_oximeter,
        symptoms=sorted(data.symptoms),
        note=(data.note or "").strip() or None,
        client_key=data.client_key or None,
        created_at=now,
    )
    profile = to_profile(patient)
    # The earlier reports a rule reads (C2, a feverish child) come back with the INSERT.
    reads_history = risk.history_needed(profile, risk.Report(reported_at=reported_at, temperature_c=data.temperature_c))
    if not reads_history and session.connection().dialect.name == "postgresql":
        # The verdict needs nothing stored: it is decided first, and the report goes in with it.
        result = risk.assess(profile, to_risk_report(SimpleNamespace(**values)))  # the columns, read by name
        stored = store_report(session, patient, values, result, now=now)
        if stored is None:
            return _lost_race(session, patient, key)
        report, row, alert = stored
    else:
        inserted = insert_once(session, values, history_before=reported_at if reads_history else None)
        if inserted is None:
            return _lost_race(session, patient, key)
        report, history = inserted
        result = risk.assess(profile, to_risk_report(report), history)
        row, alert = store_assessment(session, patient, report, result, now=now)
    # A report stored after its day was over counts among that day's reporters (rare).
    rollup.late_report(session, patient, report, now=now)
    # The ladder stops now with no statement here: see services.ladder.sweep_reported.
    session.flush()
    return Submitted(Outcome.STORED, report, row, result, alert_opened=alert is not None)


def _lost_race(session: Session, patient: Patient, key: str | None) -> Submitted:
    """The key was stored meanwhile (a race with a retry): the first report counts."""
    winner = find_by_key(session, patient.id, key)
    return Submitted(Outcome.DUPLICATE, winner, winner.assessment if winner else None)


def insert_once(
    session: Session, values: dict, *, history_before: datetime | None = None
) -> tuple[SymptomReport, list[risk.Report]] | None:
    """Insert a report unless its submission key is stored: one statement, no savepoint.

    ``INSERT ... ON CONFLICT (patient_id, client_key) DO NOTHING RETURNING`` is both the
    idempotency check and the insert. When two requests with one key race, PostgreSQL makes
    the loser wait for the winner's commit and then inserts nothing (SQLite has one writer at
    a time): None means "already stored". A report without a key never conflicts (NULLs are
    distinct in the unique key). Pending changes are flushed first. The report comes back
    as a loaded object (Core RETURNING every column; no unit of work).

    ``history_before``: also return, from the same statement, the patient's earlier reports
    that the rules read for a report made then (`assessments.history_column`); else [].
    """
    session.flush()  # what is pending goes first (a Core statement does not autoflush)
    connection = session.connection()
    dialect = connection.dialect.name
    stmt = _insert_once_statement(dialect)
    history: list[risk.Report] = []
    if history_before is not None:
        stmt = stmt.returning(history_column(dialect, values["patient_id"], history_before).label("history"))
    row = connection.execute(stmt, values).one_or_none()
    if row is None:
        return None
    columns = row._asdict()
    if history_before is not None:
        history = history_of(columns.pop("history"))
    # The new report as if loaded (a Core INSERT: no unit of work), with no assessment yet.
    report = SymptomReport(**columns)
    make_transient_to_detached(report)
    session.add(report)
    set_committed_value(report, "assessment", None)
    return report, history


@cache
def _insert_once_statement(dialect: str):
    """The INSERT of `insert_once`, built once per dialect (values are passed as parameters)."""
    insert = {"postgresql": pg_insert, "sqlite": sqlite_insert}[dialect]
    table = SymptomReport.__table__
    return insert(table).on_conflict_do_nothing(index_elements=["patient_id", "client_key"]).returning(*table.c)


def recent_reports(session: Session, patient_id: int, limit: int = 60) -> list[SymptomReport]:
    """Return a patient's reports, newest first, with their assessments."""
    from sqlalchemy.orm import selectinload

    return list(
        session.scalars(
            sa.select(SymptomReport)
            .options(selectinload(SymptomReport.assessment))
            .where(SymptomReport.patient_id == patient_id)
            .order_by(SymptomReport.reported_at.desc(), SymptomReport.id.desc())
            .limit(limit)
        )
    )
