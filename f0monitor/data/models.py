"""Database models: every `*_at` column is an aware UTC instant, every `*_date` a local day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..domain.states import (
    STAFF_ROLES,  # noqa: F401  (re-exported: scope, access and api.patients read it here)
    AlertOutcome,
    AlertState,
    BedType,
    CallReason,
    CallState,
    ConsultCategory,
    ConsultState,
    ContactChannel,
    ContactOutcome,
    FollowUpChannel,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    PatientStatus,
    ReportChannel,
    Role,
    Sex,
    SmsOutcome,
    TestType,
    Tier,
    TransferState,
    values,
)
from ..domain.textfold import fold
from .types import Base, UTCDateTime

# Stored vocabularies, each defined once in domain.states (CHECK constraints are built from them).
ROLES = values(Role)
TIERS = values(Tier)
PATIENT_STATUSES = values(PatientStatus)
SEXES = values(Sex)
TEST_TYPES = values(TestType)
REPORT_CHANNELS = values(ReportChannel)
ALERT_STATES = values(AlertState)
ALERT_OUTCOMES = values(AlertOutcome)
TRANSFER_STATES = values(TransferState)
CONTACT_CHANNELS = values(ContactChannel)
CONTACT_OUTCOMES = values(ContactOutcome)
CONSULT_CATEGORIES = values(ConsultCategory)
CONSULT_STATES = values(ConsultState)
MESSAGE_PURPOSES = values(MessagePurpose)
MESSAGE_CHANNELS = values(MessageChannel)
MESSAGE_STATUSES = values(MessageStatus)
CALL_REASONS = values(CallReason)
CALL_STATES = values(CallState)
FOLLOW_UP_CHANNELS = values(FollowUpChannel)
SMS_OUTCOMES = values(SmsOutcome)
BED_TYPES = values(BedType)


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


class User(Base):
    """A login: a patient or a member of staff.

    It has the four members Flask-Login reads (``is_authenticated``, ``is_active``,
    ``is_anonymous``, ``get_id``) written out, so the models import no Flask extension.
    Users compare by identity: a session's identity map holds one object per row.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(20), unique=True)  # E.164
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(_enum(*ROLES, name="role"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    province_code: Mapped[int | None] = mapped_column(sa.Integer)
    ward_codes: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    is_active_account: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    max_patients: Mapped[int | None] = mapped_column(sa.Integer)
    is_available: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on deactivation: old sessions stop working.
    session_version: Mapped[int] = mapped_column(sa.Integer, default=1)
    # The second factor (TOTP, RFC 6238): the base32 secret once enrolled, when, and the last
    # time step accepted (a code is never accepted twice).
    mfa_secret: Mapped[str | None] = mapped_column(sa.String(64))
    mfa_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mfa_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Role "facility": the one receiving facility whose incoming transfers the user answers.
    facility_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("facilities.id", ondelete="SET NULL", use_alter=True)
    )

    patient: Mapped[Patient | None] = relationship(
        back_populates="user", foreign_keys="Patient.user_id", uselist=False
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_account

    @property
    def is_authenticated(self) -> bool:  # as Flask-Login's UserMixin: a closed account is not
        return self.is_active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the caller said it is (the User-Agent, cut), shown on the account's security page.
    label: Mapped[str | None] = mapped_column(sa.String(120))

    user: Mapped[User] = relationship()


class LoginSession(Base):
    """A browser session of an account: listed, and revocable one by one, by its owner.

    The session cookie carries a random id; only its SHA-256 is stored. A session whose row is
    missing or revoked is logged out on its next request.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sid_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    label: Mapped[str | None] = mapped_column(sa.String(120))

    user: Mapped[User] = relationship()


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator app; only its SHA-256 is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# Indexes only PostgreSQL has, made by the migrations and not by the models (the comparison
# of models and migrations leaves them out): the trigram index of the name search.
POSTGRESQL_ONLY_INDEXES = frozenset({"ix_patient_names_trgm"})


class PatientName(Base):
    """A patient's name folded for search (no accents, lower case), in a row of its own.

    Not a column of ``patients``: every report updates the patient's row, and PostgreSQL
    writes a new entry in every index of a row it updates (the report's columns are indexed
    for the queue, so the update cannot be HOT). The name's trigram index on ``patients``
    made that update 1.7 ms instead of 0.7 (pgbench at 300,000 patients; migration 0012).
    Here it is written when the name is.
    """

    __tablename__ = "patient_names"

    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True)
    name_search: Mapped[str] = mapped_column(sa.String(120))


class Patient(Base):
    """A COVID-19 case followed at home."""

    __tablename__ = "patients"
    __table_args__ = (
        # The triage queue's segments, in its order (services.queue; migration 0009_queue).
        sa.Index("ix_patients_province_segment", "status", "province_code", "current_tier", "last_report_at", "id"),
        sa.Index("ix_patients_ward_segment", "status", "ward_code", "current_tier", "last_report_at", "id"),
        # The queue's "consent withdrawn lately" notice (services.retention.recent_withdrawals)
        # read all 300,000 rows for it without this.
        sa.Index("ix_patients_consent_withdrawn", "consent_withdrawn_at"),
        # The area's columns too, so that the overdue and missing counts by ward (services.
        # caseload) are index-only scans of the few silent patients, not heap reads.
        sa.Index("ix_patients_status_last_report", "status", "last_report_at", "province_code",
                 "ward_code", "registered_at"),
        # Phone rounds read the (few) patients on phone follow-up who have not reported.
        sa.Index("ix_patients_follow_up", "follow_up_channel", "status", "last_report_at"),
        # Who follows whom, and each one's load (services.assignment.load_of): with the status
        # in the index the count of a volunteer's 2,000 active patients reads no table page.
        sa.Index("ix_patients_assigned_status", "assigned_to_id", "status"),
        # The few patients with an open alert, who head the triage queue: each open alert's
        # patient is looked up by id in it, with the columns the queue filters on (services.
        # queue._alerted_ids; migration 0014_open_alert_index says why).
        sa.Index("ix_patients_open_alert", "id", "status", "province_code", "ward_code", "current_tier",
                 sqlite_where=sa.text("has_open_alert = 1"), postgresql_where=sa.text("has_open_alert")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    full_name: Mapped[str] = mapped_column(sa.String(120))
    date_of_birth: Mapped[date] = mapped_column(sa.Date)
    sex: Mapped[str] = mapped_column(_enum(*SEXES, name="sex"))
    phone: Mapped[str] = mapped_column(sa.String(20), unique=True)  # E.164
    national_id: Mapped[str | None] = mapped_column(sa.String(12))
    province_code: Mapped[int] = mapped_column(sa.Integer)
    ward_code: Mapped[int] = mapped_column(sa.Integer, index=True)
    address: Mapped[str] = mapped_column(sa.String(255))
    positive_test_date: Mapped[date] = mapped_column(sa.Date)
    test_type: Mapped[str] = mapped_column(_enum(*TEST_TYPES, name="test_type"))
    symptom_onset_date: Mapped[date | None] = mapped_column(sa.Date)
    comorbidities: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    comorbidities_stable: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    pregnant: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    pregnancy_weeks: Mapped[int | None] = mapped_column(sa.Integer)
    postpartum: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    vaccine_doses: Mapped[int] = mapped_column(sa.Integer, default=0)
    fully_vaccinated: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    height_cm: Mapped[float | None] = mapped_column(sa.Float)
    weight_kg: Mapped[float | None] = mapped_column(sa.Float)
    news2_scale: Mapped[int] = mapped_column(sa.Integer, default=1)
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # active_history: the caseload rollup (services.rollup) reads the value a flush replaces.
    status: Mapped[str] = mapped_column(
        _enum(*PATIENT_STATUSES, name="patient_status"), active_history=True
    )
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    current_tier: Mapped[str | None] = mapped_column(_enum(*TIERS, name="tier"), active_history=True)
    baseline_tier: Mapped[str | None] = mapped_column(
        _enum(*TIERS, name="baseline_tier"), active_history=True
    )
    tier_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    baseline_reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    eligible_home_care: Mapped[bool | None] = mapped_column(sa.Boolean)
    eligibility_reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    has_open_alert: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    alert_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_report_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    claim_code_hash: Mapped[str | None] = mapped_column(sa.String(64))
    claim_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    discharged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    discharged_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    discharge_note: Mapped[str | None] = mapped_column(sa.Text)
    negative_test_date: Mapped[date | None] = mapped_column(sa.Date)
    certificate_code: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    # Decree 13/2023: the patient withdrew consent (follow-up stopped), and when the personal
    # data was anonymised after the retention period (services.retention).
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How the patient is followed now (app, sms, phone); every change is a FollowUpChange row.
    follow_up_channel: Mapped[str] = mapped_column(
        _enum(*FOLLOW_UP_CHANNELS, name="follow_up_channel"),
        default=FollowUpChannel.APP,
        server_default=FollowUpChannel.APP.value,
    )
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    user: Mapped[User | None] = relationship(back_populates="patient", foreign_keys=[user_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    # The name folded for search, kept in step by the validator below (PatientName says why
    # it is a row of its own).
    folded_name: Mapped[PatientName | None] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    @validates("full_name")
    def _fold_name(self, _key: str, value: str) -> str:
        folded = fold(value)
        if self.folded_name is None:
            self.folded_name = PatientName(name_search=folded)
        elif self.folded_name.name_search != folded:
            self.folded_name.name_search = folded
        return value

    @property
    def name_search(self) -> str | None:
        """The name as the search sees it (no accents, lower case)."""
        return self.folded_name.name_search if self.folded_name is not None else None


class SymptomReport(Base):
    """One self-report, or a report entered by staff for the patient."""

    __tablename__ = "symptom_reports"
    __table_args__ = (
        sa.UniqueConstraint("patient_id", "client_key", name="uq_symptom_reports_client_key"),
        sa.Index("ix_symptom_reports_patient_time", "patient_id", "reported_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id", ondelete="CASCADE"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    report_date: Mapped[date] = mapped_column(sa.Date, index=True)  # local (Vietnam) day
    slot: Mapped[str] = mapped_column(sa.String(10))  # morning / afternoon
    channel: Mapped[str] = mapped_column(_enum(*REPORT_CHANNELS, name="channel"))
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    temperature_c: Mapped[float | None] = mapped_column(sa.Float)
    spo2: Mapped[int | None] = mapped_column(sa.Integer)
    spo2_recheck: Mapped[int | None] = mapped_column(sa.Integer)
    no_oximeter: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    pulse: Mapped[int | None] = mapped_column(sa.Integer)
    respiratory_rate: Mapped[int | None] = mapped_column(sa.Integer)
    systolic_bp: Mapped[int | None] = mapped_column(sa.Integer)
    diastolic_bp: Mapped[int | None] = mapped_column(sa.Integer)
    symptoms: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    note: Mapped[str | None] = mapped_column(sa.Text)
    client_key: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship()
    assessment: Mapped[RiskAssessment | None] = relationship(back_populates="report", uselist=False)


class RiskAssessment(Base):
    """The risk module's verdict on one report, as stored when the report was."""

    __tablename__ = "risk_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        sa.ForeignKey("symptom_reports.id", ondelete="CASCADE"), unique=True
    )
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tier: Mapped[str] = mapped_column(_enum(*TIERS, name="tier"))
    baseline_tier: Mapped[str] = mapped_column(_enum(*TIERS, name="baseline_tier"))
    clinical_tier: Mapped[str] = mapped_column(_enum(*TIERS, name="clinical_tier"))
    alert: Mapped[bool] = mapped_column(sa.Boolean)
    warning_signs: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    news2_score: Mapped[int | None] = mapped_column(sa.Integer)
    news2_band: Mapped[str | None] = mapped_column(sa.String(12))
    news2_complete: Mapped[bool | None] = mapped_column(sa.Boolean)
    severity: Mapped[str | None] = mapped_column(sa.String(16))
    eligible_home_care: Mapped[bool] = mapped_column(sa.Boolean)
    rules_version: Mapped[str] = mapped_column(sa.String(16))

    report: Mapped[SymptomReport] = relationship(back_populates="assessment")


class Alert(Base):
    """Opened on warning signs; acknowledged by a named person; resolved with an outcome."""

    __tablename__ = "alerts"
    __table_args__ = (
        sa.Index("ix_alerts_state_opened", "state", "opened_at"),
        # The caseload's median minutes to acknowledge reads the alerts acknowledged in a range.
        sa.Index("ix_alerts_acknowledged_at", "acknowledged_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    report_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("symptom_reports.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(_enum(*ALERT_STATES, name="alert_state"))
    reason_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    seconds_to_acknowledge: Mapped[int | None] = mapped_column(sa.Integer)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    outcome: Mapped[str | None] = mapped_column(sa.String(24))
    note: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    patient: Mapped[Patient] = relationship()
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])

    __mapper_args__ = {"version_id_col": version}


class ContactLog(Base):
    """A call, message or visit by staff."""

    __tablename__ = "contact_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(_enum(*CONTACT_CHANNELS, name="contact_channel"))
    outcome: Mapped[str] = mapped_column(_enum(*CONTACT_OUTCOMES, name="contact_outcome"))
    text: Mapped[str | None] = mapped_column(sa.Text)

    staff: Mapped[User | None] = relationship()


class Facility(Base):
    """A hospital or treatment facility with its beds."""

    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    province_code: Mapped[int] = mapped_column(sa.Integer, index=True)
    ward_code: Mapped[int | None] = mapped_column(sa.Integer)
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    # Beds by type (domain.states.BedType): every facility has general beds; the other types
    # are NULL where the facility has none of them (absent from the API's "beds").
    general_capacity: Mapped[int] = mapped_column(sa.Integer, default=0)
    general_free: Mapped[int] = mapped_column(sa.Integer, default=0)
    oxygen_capacity: Mapped[int | None] = mapped_column(sa.Integer)
    oxygen_free: Mapped[int | None] = mapped_column(sa.Integer)
    icu_capacity: Mapped[int | None] = mapped_column(sa.Integer)
    icu_free: Mapped[int | None] = mapped_column(sa.Integer)
    ventilator_capacity: Mapped[int | None] = mapped_column(sa.Integer)
    ventilator_free: Mapped[int | None] = mapped_column(sa.Integer)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    def beds(self) -> dict[str, tuple[int, int]]:
        """Return {bed type: (capacity, free)} for the types this facility has."""
        out: dict[str, tuple[int, int]] = {}
        for kind in BED_TYPES:
            capacity = getattr(self, f"{kind}_capacity")
            if capacity is not None:
                out[kind] = (capacity, getattr(self, f"{kind}_free") or 0)
        return out


class Transfer(Base):
    """An emergency transfer, from request to admission (or cancellation / refusal)."""

    __tablename__ = "transfers"
    __table_args__ = (
        # One open transfer per patient, enforced by both databases.
        sa.Index(
            "uq_transfers_one_open",
            "patient_id",
            unique=True,
            sqlite_where=sa.text("state IN ('requested', 'accepted', 'dispatched', 'arrived')"),
            postgresql_where=sa.text("state IN ('requested', 'accepted', 'dispatched', 'arrived')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(_enum(*TRANSFER_STATES, name="transfer_state"))
    reason: Mapped[str] = mapped_column(sa.Text)
    facility_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("facilities.id", ondelete="SET NULL")
    )
    ambulance_ref: Mapped[str | None] = mapped_column(sa.String(64))
    bed_type: Mapped[str | None] = mapped_column(sa.String(16))  # domain.states.BedType
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    patient: Mapped[Patient] = relationship()
    facility: Mapped[Facility | None] = relationship()
    events: Mapped[list[TransferEvent]] = relationship(
        back_populates="transfer", order_by="TransferEvent.id"
    )

    __mapper_args__ = {"version_id_col": version}


class TransferEvent(Base):
    """One step of a transfer: who did what, when."""

    __tablename__ = "transfer_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("transfers.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(16))
    from_state: Mapped[str | None] = mapped_column(sa.String(16))
    to_state: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(sa.Text)

    transfer: Mapped[Transfer] = relationship(back_populates="events")
    by: Mapped[User | None] = relationship()


class ConsultRequest(Base):
    """A question or call-back request to the hotline."""

    __tablename__ = "consult_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str | None] = mapped_column(sa.String(120))
    phone: Mapped[str] = mapped_column(sa.String(20))
    province_code: Mapped[int | None] = mapped_column(sa.Integer)
    ward_code: Mapped[int | None] = mapped_column(sa.Integer)
    category: Mapped[str] = mapped_column(_enum(*CONSULT_CATEGORIES, name="consult_category"))
    question: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(_enum(*CONSULT_STATES, name="consult_state"))
    answer: Mapped[str | None] = mapped_column(sa.Text)
    forwarded_to: Mapped[str | None] = mapped_column(sa.String(24))
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Who read or changed which patient record, when, from where (Decree 13/2023).

    Append-only: database triggers refuse UPDATE and DELETE (data.append_only, migration 0003).
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    patient_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(40))
    detail: Mapped[str | None] = mapped_column(sa.String(255))
    ip: Mapped[str | None] = mapped_column(sa.String(45))

    user: Mapped[User | None] = relationship()


class OutboxMessage(Base):
    """One message about a patient, to the patient (or, for an escalation, to staff).

    Every message is a row before it is sent: ``(patient_id, purpose, slot)`` is unique, so
    a retried job, a second consumer or a second tick of the ladder never makes a second row,
    and a row is handed to its provider only by the consumer that claimed it (``claimed_by``,
    ``claimed_at``: a lease taken by a conditional UPDATE). ``slot`` is the caller's key of
    the occasion (``2026-12-02:morning:1`` for the first reminder of that report slot).
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.UniqueConstraint("patient_id", "purpose", "slot", name="uq_outbox_messages_key"),
        sa.Index("ix_outbox_messages_status_next", "status", "next_attempt_at"),
        sa.Index("ix_outbox_messages_patient_created", "patient_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(_enum(*MESSAGE_PURPOSES, name="message_purpose"))
    slot: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(_enum(*MESSAGE_CHANNELS, name="message_channel"))
    # The provider that sends on this channel (console, esms, webhook, smtp, zalo), as configured
    # when the message was sent: the outbox page shows it and receipts are matched through it.
    provider: Mapped[str | None] = mapped_column(sa.String(16))
    recipient: Mapped[str] = mapped_column(sa.String(254))  # E.164 phone, Zalo phone or e-mail
    recipient_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )  # set when the message goes to staff, not to the patient
    locale: Mapped[str] = mapped_column(sa.String(5))
    text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(_enum(*MESSAGE_STATUSES, name="message_status"))
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    error: Mapped[str | None] = mapped_column(sa.String(255))
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    cost_units: Mapped[int | None] = mapped_column(sa.Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship()


class CallTask(Base):
    """A patient to be called by the area's callers (call rounds, issue 10).

    One open task (``due`` or ``claimed``) per patient and reason, enforced by both databases;
    ``key`` ties a task to its occasion (the report slot of a missed report), so the ladder
    opens one per occasion even after the first was done.
    """

    __tablename__ = "call_tasks"
    __table_args__ = (
        sa.Index(
            "uq_call_tasks_one_open",
            "patient_id",
            "reason",
            unique=True,
            sqlite_where=sa.text("state IN ('due', 'claimed')"),
            postgresql_where=sa.text("state IN ('due', 'claimed')"),
        ),
        sa.UniqueConstraint("patient_id", "reason", "key", name="uq_call_tasks_key"),
        sa.Index("ix_call_tasks_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(_enum(*CALL_REASONS, name="call_reason"))
    key: Mapped[str | None] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(_enum(*CALL_STATES, name="call_state"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    claimed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(sa.String(24))
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship()
    claimed_by: Mapped[User | None] = relationship()


class ReminderPreference(Base):
    """How a patient wants to be reminded (no row: the defaults of ``services.preferences``)."""

    __tablename__ = "reminder_preferences"

    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    channels: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # in order of preference
    email: Mapped[str | None] = mapped_column(sa.String(254))
    quiet_start: Mapped[str] = mapped_column(sa.String(5), default="21:00")  # local HH:MM
    quiet_end: Mapped[str] = mapped_column(sa.String(5), default="07:00")
    opted_out: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opted_out_via: Mapped[str | None] = mapped_column(sa.String(8))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FollowUpChange(Base):
    """One switch of a patient's follow-up channel: from, to, who, when and why.

    The registration's choice is the first row (``from_channel`` None), so the history of how a
    patient was followed is complete; reports keep the channel they came by on their own row.
    """

    __tablename__ = "follow_up_changes"
    __table_args__ = (sa.Index("ix_follow_up_changes_patient_at", "patient_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    from_channel: Mapped[str | None] = mapped_column(sa.String(8))
    to_channel: Mapped[str] = mapped_column(sa.String(8))
    reason: Mapped[str | None] = mapped_column(sa.String(255))

    by: Mapped[User | None] = relationship()


class SmsCheckin(Base):
    """An inbound SMS check-in as the gateway delivered it, and what we answered.

    ``message_id`` (the provider's) is unique: the same message delivered twice is stored once
    and answered with the same reply.
    """

    __tablename__ = "sms_checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    sender: Mapped[str] = mapped_column(sa.String(20))  # E.164 when it could be read
    text: Mapped[str] = mapped_column(sa.Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    patient_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    report_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("symptom_reports.id", ondelete="SET NULL")
    )
    call_task_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("call_tasks.id", ondelete="SET NULL")
    )
    outcome: Mapped[str] = mapped_column(_enum(*SMS_OUTCOMES, name="sms_outcome"))
    reply: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The caseload rollup (services.rollup): what services.caseload counts, per local day and ward.
ROLLUP_COUNTERS = (
    "new", "recovered", "transferred", "deceased", "withdrawn", "alerts_opened",
    "d_active", "d_green", "d_yellow", "d_orange", "d_red", "late_new", "late_reporters",
    "positive_tests",
)


class CaseloadDay(Base):
    """One ward on one local day: counts of that day, and net changes of the caseload.

    Kept in the transaction of the change it counts (services.rollup). ``d_*`` are net changes
    (+1 when a patient becomes active or enters a tier, -1 when leaving it): the caseload at
    the end of D is their sum over the days up to D. ``late_new``: registrations of the last
    12 hours of the day still active at its end (not yet due a report). ``positive_tests``:
    the patients whose positive test was on that day (their ``positive_test_date``, whatever
    their status since: the daily report's epidemic curve). ``reporters``: the
    patients counted as having reported in the last 12 hours of the day, taken when the day
    was closed (``CaseloadClosedDay``) from the reports stored before its end; the reports for
    that day stored after it are counted in ``late_reporters`` as they come.
    """

    __tablename__ = "caseload_days"
    __table_args__ = (sa.Index("ix_caseload_days_province_day", "province_code", "day"),)

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    ward_code: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    province_code: Mapped[int] = mapped_column(sa.Integer)
    new: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    recovered: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    transferred: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    deceased: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    withdrawn: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    alerts_opened: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    d_active: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    d_green: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    d_yellow: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    d_orange: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    d_red: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    late_new: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    reporters: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    late_reporters: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    positive_tests: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    # The median minutes to acknowledge of the alerts acknowledged that day, set when the day
    # is closed (an acknowledgement is dated when it is made: a past day gets no more).
    median_minutes: Mapped[float | None] = mapped_column(sa.Float)


class CaseloadClosedDay(Base):
    """A past day whose ``CaseloadDay.reporters`` were counted (every ward at once)."""

    __tablename__ = "caseload_closed_days"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseloadAck(Base):
    """One acknowledged alert, with its patient's area: the caseload's times to acknowledge.

    Kept with the acknowledgement (services.rollup); a median is no sum, so each time is kept.
    """

    __tablename__ = "caseload_acks"
    __table_args__ = (sa.Index("ix_caseload_acks_province_at", "province_code", "acknowledged_at"),)

    alert_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    province_code: Mapped[int] = mapped_column(sa.Integer)
    ward_code: Mapped[int] = mapped_column(sa.Integer)
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seconds: Mapped[float] = mapped_column(sa.Float)
