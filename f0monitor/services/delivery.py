"""Handing queued outbox messages to their providers, exactly once, and recording receipts.

A consumer ``claim``\\ s a batch with ONE conditional UPDATE (no read-then-write: SQLite's WAL
refuses a reading transaction that then writes after another writer), committed by the job
runner before anything is sent; two consumers, on one host or many, never claim one row. The
claim is a lease (``LEASE``): a consumer that died mid-batch leaves its rows to be claimed
again once it expires, and the provider drops the re-send by our key (see ``channels``).

``send_claimed`` then sends what is still needed — a reminder whose slot was reported, or whose
patient left care, opted out or moved to phone follow-up, is cancelled instead; a reminder
inside the patient's quiet hours waits for their end — and records each answer: ``sent`` (or ``delivered`` for the
console), or a failure retried with back-off (``domain.ladder.retry_delay``) until
``MAX_ATTEMPTS``, then ``failed`` with the provider's error. A row once sent is never sent again.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from ..channels import Channel, Outgoing, Sent
from ..data import bulk
from ..data.models import OutboxMessage, Patient
from ..domain import ladder
from ..domain.states import FollowUpChannel, MessagePurpose, MessageStatus, PatientStatus
from . import preferences

LEASE = timedelta(minutes=5)
BATCH = 500
T = OutboxMessage.__table__


def key_of(message_id: int) -> str:
    """Our idempotency key of a message, handed to the provider."""
    return f"f0-{message_id}"


def claim(session: Session, *, now: datetime, limit: int = BATCH) -> list[int]:
    """Claim up to ``limit`` due messages for this call; return their ids (oldest first).

    Flushes nothing else: the caller commits right after, before sending.
    """
    token = uuid.uuid4().hex
    free = sa.and_(
        T.c.status == MessageStatus.QUEUED,
        T.c.next_attempt_at <= now,
        sa.or_(T.c.claimed_at.is_(None), T.c.claimed_at < now - LEASE),
    )
    pick = sa.select(T.c.id).where(free).order_by(T.c.next_attempt_at, T.c.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    # The pick runs on its own: as a subquery of the UPDATE, PostgreSQL may re-run it per row
    # (a SubPlan under SKIP LOCKED), and one sender then claimed every due message, not `limit`.
    ids = list(session.scalars(pick))
    if not ids:
        return []
    # The free condition is repeated on the UPDATE itself: a row another sender claimed
    # between the pick and here (SQLite has no row locks) is left to that sender.
    claimed = session.scalars(
        sa.update(T).where(bulk.any_of(T.c.id, ids, bulk.dialect_of(session)), free)
        .values(claimed_by=token, claimed_at=now)
        .returning(T.c.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed)


@dataclass
class Counts:
    sent: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    held: int = 0
    by_channel: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, other: Counts) -> None:
        for name in ("sent", "delivered", "retried", "failed", "cancelled", "held"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def handled(self) -> int:
        return self.sent + self.delivered + self.retried + self.failed + self.cancelled + self.held


def _no_longer_needed(row: Any, patient: Any, prefs: preferences.Preferences) -> str | None:
    """Why a queued reminder must not go out any more, or None."""
    if row.purpose != MessagePurpose.REMINDER or row.recipient_user_id is not None:
        return None
    if patient.status != PatientStatus.ACTIVE:
        return "left_care"
    if prefs.opted_out:
        return "opted_out"
    if patient.follow_up_channel == FollowUpChannel.PHONE:  # moved to phone rounds since the tick
        return "phone_follow_up"
    slot = _slot_of_key(row.slot)
    if slot is not None and patient.last_report_at is not None and patient.last_report_at >= slot.window[0]:
        return "reported"
    return None


@lru_cache(maxsize=64)
def _slot_of_key(key: str) -> ladder.Slot | None:
    """The report slot of a reminder's key ("2026-12-02:morning:1"), or None."""
    parts = key.split(":")
    if len(parts) < 2 or parts[1] not in ladder.SLOT_TIMES:
        return None
    try:
        return ladder.Slot(date.fromisoformat(parts[0]), parts[1])
    except ValueError:
        return None


def send_claimed(
    session: Session, ids: Sequence[int], adapters: Mapping[str, Channel], *, now: datetime
) -> Counts:
    """Send the claimed messages and record every answer (flushes; the caller commits)."""
    counts = Counts()
    if not ids:
        return counts
    rows = session.execute(
        sa.select(T.c.id, T.c.patient_id, T.c.purpose, T.c.slot, T.c.channel, T.c.recipient,
                  T.c.recipient_user_id, T.c.locale, T.c.text, T.c.claimed_by, T.c.attempts)
        .where(bulk.any_of(T.c.id, ids, bulk.dialect_of(session)))
    ).all()
    patient_ids = {r.patient_id for r in rows}
    P = Patient.__table__
    patients = {
        p.id: p
        for p in session.execute(
            sa.select(P.c.id, P.c.status, P.c.last_report_at, P.c.follow_up_channel)
            .where(bulk.any_of(P.c.id, patient_ids, bulk.dialect_of(session)))
        )
    }
    prefs = preferences.many(session, sorted(patient_ids))
    updates: list[dict[str, Any]] = []
    accepted: dict[tuple[str, bool], list[dict[str, Any]]] = defaultdict(list)
    to_send: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        patient, pref = patients[row.patient_id], prefs[row.patient_id]
        reason = _no_longer_needed(row, patient, pref)
        if reason is not None:
            updates.append(_update(row, status=MessageStatus.CANCELLED, error=reason))
            counts.cancelled += 1
            continue
        if row.purpose == MessagePurpose.REMINDER and row.recipient_user_id is None:
            until = ladder.quiet_until(now, pref.quiet_hours)
            if until is not None:
                updates.append(_update(row, next_attempt_at=until))
                counts.held += 1
                continue
        to_send[row.channel].append(row)
    for channel, batch in to_send.items():
        adapter = adapters[channel]
        out = [Outgoing(key=key_of(r.id), to=r.recipient, text=r.text, purpose=r.purpose,
                        locale=r.locale) for r in batch]
        try:
            answers = adapter.send_many(out)
        except Exception as exc:  # an adapter bug must not lose the batch: retry it
            answers = [Sent.failure(f"{adapter.provider}: {type(exc).__name__}", retryable=True)] * len(out)
        for row, answer in zip(batch, answers, strict=True):
            counts.by_channel[channel] += 1
            if answer.ok:  # the common case, written with four parameters a row
                accepted[adapter.provider, answer.delivered].append(
                    {"b_id": row.id, "b_claim": row.claimed_by,
                     "b_pmid": answer.provider_message_id, "b_cost": answer.cost_units})
                if answer.delivered:
                    counts.delivered += 1
                else:
                    counts.sent += 1
            else:
                updates.append(_failure(row, adapter.provider, answer, now, counts))
    _apply(session, updates)
    for (provider, delivered), params in accepted.items():
        _apply_accepted(session, params, provider=provider, delivered=delivered, now=now)
    return counts


def _update(row: Any, **changes: Any) -> dict[str, Any]:
    """The parameters of one row's UPDATE: only the fields that change, and our claim."""
    return {"b_id": row.id, "b_claim": row.claimed_by, **{f"b_{k}": v for k, v in changes.items()}}


def _failure(row: Any, provider: str, answer: Sent, now: datetime, counts: Counts) -> dict[str, Any]:
    """A failed attempt: retried with back-off while it may succeed, else reported failed."""
    attempts = row.attempts + 1
    if answer.retryable and attempts < ladder.MAX_ATTEMPTS:
        counts.retried += 1
        return _update(row, provider=provider, error=answer.error, attempts=attempts,
                       next_attempt_at=now + ladder.retry_delay(attempts, answer.retry_after))
    counts.failed += 1
    return _update(row, status=MessageStatus.FAILED, provider=provider, error=answer.error,
                   attempts=attempts, failed_at=now)


def _apply(session: Session, updates: list[dict[str, Any]]) -> None:
    """Write the answers; the lease is released. Guarded by our claim: a row whose lease
    expired and was claimed again by another consumer is not overwritten. Rows changing the
    same fields are written by one executemany."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for update in updates:
        groups[tuple(sorted(k for k in update if k not in ("b_id", "b_claim")))].append(update)
    for names, params in groups.items():
        statement = (
            sa.update(T)
            .where(T.c.id == sa.bindparam("b_id"), T.c.claimed_by == sa.bindparam("b_claim"))
            .values(claimed_by=None, claimed_at=None,
                    **{name[2:]: sa.bindparam(name) for name in names})
        )
        session.connection().execute(statement, params)


def _apply_accepted(session: Session, params: list[dict[str, Any]], *, provider: str,
                    delivered: bool, now: datetime) -> None:
    """Write the messages a provider accepted (sent, or delivered already), by our claim.

    On PostgreSQL one UPDATE … FROM unnest for the batch (1,000 single-row UPDATEs cost the
    server half a second a batch); elsewhere one executemany."""
    values = dict(
        claimed_by=None, claimed_at=None, provider=provider, error=None,
        status=MessageStatus.DELIVERED if delivered else MessageStatus.SENT,
        attempts=T.c.attempts + 1, sent_at=now, delivered_at=now if delivered else None,
    )
    if params and bulk.dialect_of(session) == "postgresql":
        rows = sa.select(
            sa.func.unnest(
                sa.bindparam("u_id", [p["b_id"] for p in params], type_=postgresql.ARRAY(sa.Integer)),
                sa.bindparam("u_claim", [p["b_claim"] for p in params], type_=postgresql.ARRAY(sa.String)),
                sa.bindparam("u_pmid", [p["b_pmid"] for p in params], type_=postgresql.ARRAY(sa.String)),
                sa.bindparam("u_cost", [p["b_cost"] for p in params], type_=postgresql.ARRAY(sa.Integer)),
            ).table_valued("id", "claim", "pmid", "cost").render_derived()
        ).subquery("u")
        session.execute(
            sa.update(T)
            .where(T.c.id == rows.c.id, T.c.claimed_by == rows.c.claim)
            .values(provider_message_id=rows.c.pmid, cost_units=rows.c.cost, **values)
            .execution_options(synchronize_session=False)
        )
        return
    statement = (
        sa.update(T)
        .where(T.c.id == sa.bindparam("b_id"), T.c.claimed_by == sa.bindparam("b_claim"))
        .values(provider_message_id=sa.bindparam("b_pmid"), cost_units=sa.bindparam("b_cost"), **values)
    )
    session.connection().execute(statement, params)


def record_receipt(
    session: Session, *, provider_message_id: str, status: str, error: str | None, now: datetime
) -> OutboxMessage | None:
    """A delivery receipt (``POST /api/v1/hooks/sms/status``): delivered or failed.

    None when no message of ours has that id. A receipt never moves a message back: a
    delivered message stays delivered when a late "failed" arrives.
    """
    row = session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.provider_message_id == provider_message_id)
    )
    if row is None:
        return None
    if row.status == MessageStatus.DELIVERED:
        return row
    if status == MessageStatus.DELIVERED:
        row.status = MessageStatus.DELIVERED
        row.delivered_at = now
        row.error = None
    else:
        row.status = MessageStatus.FAILED
        row.failed_at = now
        row.error = (error or "failed")[:255]
    session.flush()
    return row


def outbox_page(
    session: Session, *, patient_ids_query: Any | None, page: int, per_page: int,
    status: str | None = None,
) -> tuple[list[OutboxMessage], int]:
    """The outbox for staff: failures first, then queued, then the newest."""
    order = sa.case(
        (OutboxMessage.status == MessageStatus.FAILED, 0),
        (OutboxMessage.status == MessageStatus.QUEUED, 1),
        else_=2,
    )
    q = sa.select(OutboxMessage)
    if patient_ids_query is not None:
        q = q.where(OutboxMessage.patient_id.in_(patient_ids_query))
    if status:
        q = q.where(OutboxMessage.status == status)
    total = session.scalar(sa.select(sa.func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(
        q.order_by(order, OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), total
