"""The outbox for coordinators: every message of their area, failures first."""

from __future__ import annotations

import math

import sqlalchemy as sa
from flask import render_template, request
from flask_login import current_user

from ...data.models import OutboxMessage, Patient
from ...data.session import get_session
from ...http.access import access
from ...http.labels import (
    MESSAGE_CHANNEL_LABELS,
    MESSAGE_PURPOSE_LABELS,
    MESSAGE_STATUS_LABELS,
)
from ...services.delivery import outbox_page
from ...services.scope import patients_in_scope
from . import bp

PER_PAGE = 50


@bp.route("/outbox")
@access("coordinator", "admin")
def outbox():
    """Messages to (and about) the area's patients: failed first, then queued, then newest."""
    session = get_session()
    status = request.args.get("status") or None
    if status not in MESSAGE_STATUS_LABELS:
        status = None
    try:
        page = max(1, min(10_000, int(request.args.get("page", 1))))
    except ValueError:
        page = 1
    in_area = patients_in_scope(sa.select(Patient.id), current_user)
    rows, total = outbox_page(session, patient_ids_query=in_area, page=page, per_page=PER_PAGE, status=status)
    names = dict(session.execute(
        sa.select(Patient.id, Patient.full_name).where(Patient.id.in_({r.patient_id for r in rows}))
    ).all()) if rows else {}
    counts = dict(session.execute(
        sa.select(OutboxMessage.status, sa.func.count())
        .where(OutboxMessage.patient_id.in_(in_area)).group_by(OutboxMessage.status)
    ).all())
    return render_template(
        "staff/outbox.html", rows=rows, names=names, total=total, page=page,
        pages=max(1, math.ceil(total / PER_PAGE)), status=status, counts=counts,
        purpose_labels=MESSAGE_PURPOSE_LABELS, status_labels=MESSAGE_STATUS_LABELS,
        channel_labels=MESSAGE_CHANNEL_LABELS,
    )
