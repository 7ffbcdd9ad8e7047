"""Staff pages for consult requests: answer, forward, and the answered / forwarded counts."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...data.session import get_session
from ...domain.clock import VN_TZ, local_date, utcnow
from ...http.access import STAFF, access
from ...http.labels import CATEGORY_LABELS, CONSULT_STATE_LABELS, FORWARD_LABELS, field_message
from ...services import areas
from ...services.consults import (
    FORWARD_TARGETS,
    ConsultAlreadyHandled,
    ConsultInvalid,
    answer,
    counts,
    forward,
    get_for,
    list_for,
)
from ...services.inputs import page_number
from ...services.phones import display_phone
from ..common.forms import CsrfForm
from . import bp
from .transfers import staff_patient_url

STATS_ROLES = ("coordinator", "admin")
PER_PAGE = 50


def _labels() -> dict:
    return {
        "category_labels": CATEGORY_LABELS,
        "state_labels": CONSULT_STATE_LABELS,
        "forward_labels": FORWARD_LABELS,
        "forward_targets": FORWARD_TARGETS,
        "display_phone": display_phone,
        "ward_name": areas.ward_name,
        "staff_patient_url": staff_patient_url,
    }


@bp.route("/consults")
@access(*STAFF)
def consults():
    """List the consult requests of the area: waiting first, oldest first."""
    state = request.args.get("state", "open")
    if state not in ("open", "answered", "forwarded", "all"):
        state = "open"
    page = page_number(request.args.get("page"))
    rows, total = list_for(
        get_session(), current_user, state=None if state == "all" else state, page=page,
        per_page=PER_PAGE,
    )
    return render_template(
        "staff/consults/list.html", consults=rows, total=total, state=state, page=page,
        pages=max(1, (total + PER_PAGE - 1) // PER_PAGE), **_labels(),
    )


def _consult_or_404(consult_id: int):
    row = get_for(get_session(), current_user, consult_id)
    if row is None:
        abort(404)
    return row


@bp.route("/consults/<int:consult_id>", methods=("GET", "POST"))
@access(*STAFF)
def consult(consult_id: int):
    """Answer a consult request, or forward it to the ward station, the CDC or 115."""
    row = _consult_or_404(consult_id)
    session = get_session()
    form = CsrfForm()
    errors: dict[str, str] = {}
    values = {"answer": "", "forwarded_to": "", "do": ""}
    if request.method == "POST":
        values = {
            "answer": (request.form.get("answer") or "")[:5000],
            "forwarded_to": request.form.get("forwarded_to") or "",
            "do": request.form.get("do") or "answer",
        }
        now = utcnow()
        try:
            if values["do"] == "forward":
                forward(session, row, values["forwarded_to"], values["answer"], by=current_user, now=now)
            else:
                answer(session, row, values["answer"], by=current_user, now=now)
            session.commit()
        except ConsultInvalid as exc:
            session.rollback()
            errors[exc.field] = field_message(exc.field, exc.message)
        except ConsultAlreadyHandled as exc:
            session.rollback()
            flash(_("Someone else already handled this request: it is %(state)s.",
                    state=CONSULT_STATE_LABELS[exc.state]), "danger")
            return redirect(url_for("staff.consult", consult_id=consult_id), 303)
        else:
            flash(_("Answer saved.") if row.state == "answered" else _("Request forwarded."), "success")
            return redirect(url_for("staff.consults"), 303)
    return (
        render_template("staff/consults/detail.html", consult=row, form=form, errors=errors,
                        values=values, **_labels()),
        422 if errors else 200,
    )


@bp.route("/consults/stats")
@access(*STATS_ROLES)
def consult_stats():
    """Count consult requests answered and forwarded, by topic and destination (Hanoi's figures)."""
    today = local_date(utcnow())
    try:
        days = min(366, max(1, int(request.args.get("days", 30))))
    except ValueError:
        days = 30
    start = today - timedelta(days=days - 1)
    since = datetime(start.year, start.month, start.day, tzinfo=VN_TZ)
    data = counts(get_session(), current_user, since=since)
    return render_template("staff/consults/stats.html", data=data, days=days, since=start, **_labels())
