"""The triage queue (the workspace's home), its live fragment, and the coordinator's views."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask import session as session_store
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ...data.models import TIERS, User
from ...data.session import get_session
from ...domain.clock import utcnow
from ...http import i18n
from ...http.access import STAFF, access
from ...http.labels import FLAG_LABELS, warning_short
from ...http.queryargs import filters_from
from ...services import NotAllowed, areas
from ...services.alerts import escalated_alerts, record_escalations
from ...services.assignment import (
    ASSIGNABLE_ROLES,
    BadAssignee,
    bulk_assign,
    unassigned_count,
    unassigned_patients,
    workload,
)
from ...services.queue import triage_queue
from ...services.retention import recent_withdrawals
from ..common.forms import CsrfForm
from . import bp

COORDINATING = ("coordinator", "admin")


SEARCH_KEY = "queue_search"


def _ward_choices() -> list[tuple[int, str]]:
    wards = list(getattr(current_user, "ward_codes", None) or [])
    if wards:
        return sorted(((w, areas.ward_name(w)) for w in wards), key=lambda item: item[1])
    if current_user.province_code is None:
        return []
    return list(areas.wards(current_user.province_code))


def _live_context() -> dict[str, Any]:
    """Build what both the full page and the live fragment show, storing new escalations."""
    session = get_session()
    now = utcnow()
    filters = filters_from(request.args, session_store.get(SEARCH_KEY))
    counts = current_app.extensions["f0monitor.queue_counts"]
    page = triage_queue(session, current_user, filters, now=now, counts=counts)
    if not page.items and page.total and filters.page > page.pages:
        # A page past the end (the queue or the search shrank under an open page, or a typed
        # URL): its last page, not "No patient matches" over patients who are there.
        filters = replace(filters, page=page.pages)
        page = triage_queue(session, current_user, filters, now=now, counts=counts)
    changed = record_escalations(session, [i.open_alert for i in page.items if i.escalated], now=now) > 0
    escalated = []
    if current_user.role in COORDINATING:
        escalated = escalated_alerts(session, current_user, now=now, limit=20)
        changed = True
    if changed:
        session.commit()  # escalated_at is stored the first time an escalation is seen
    args = {k: v for k, v in request.args.items() if k not in ("page", "q") and v}
    return {
        "page": page,
        "filters": filters,
        "escalated": escalated,
        "now": now,
        "args": args,
        "ward_name": areas.ward_name,
        "warning_short": warning_short,
        "waited": waited_text,
    }


def waited_text(minutes: int | None) -> str:
    """Say how long an alert has waited: "waiting 12 min", "waiting 2 h 05", "waiting 6 days".

    Translated the request's way (`http.i18n`): a row of every open alert on the page asks.
    """
    if minutes is None:
        return ""
    if minutes < 60:
        return i18n.gettext("waiting %(m)s min", m=minutes)
    if minutes < 24 * 60:
        return i18n.gettext("waiting %(h)s h %(m)s", h=minutes // 60, m=f"{minutes % 60:02d}")
    return i18n.ngettext("waiting %(num)s day", "waiting %(num)s days", minutes // (24 * 60))


@bp.route("/", methods=("GET", "POST"))
@access(*STAFF)
def index():
    """Show the triage queue of the user's area; it refreshes itself every few seconds.

    The filter form is posted: the search text goes to the session, the other filters (no
    personal data) into the query string of the page it redirects to.
    """
    if request.method == "POST":
        session_store[SEARCH_KEY] = (request.form.get("q") or "").strip()[:100]
        if request.form.get("clear"):
            session_store.pop(SEARCH_KEY, None)
            return redirect(url_for("staff.index"))
        keep = {k: request.form.get(k) for k in ("tier", "flag", "ward", "assigned")}
        return redirect(url_for("staff.index", **{k: v for k, v in keep.items() if v}))
    if "q" in request.args:
        # The old GET search (?q=name or phone) is gone: it put personal data in URLs, browser
        # history and access logs. The link is sent to the queue without it, unsearched.
        kept = {k: v for k, v in request.args.items() if k != "q" and v}
        return redirect(url_for("staff.index", **kept), 303)
    context = _live_context()
    return render_template(
        "staff/queue.html",
        tiers=TIERS,
        flags=FLAG_LABELS,
        wards=_ward_choices(),
        withdrawals=recent_withdrawals(get_session(), current_user, now=context["now"]),
        **context,
    )


@bp.route("/queue/live")
@access(*STAFF)
def queue_live():
    """Return the queue's rows as an HTML fragment, for the page's polling script."""
    response = render_template("staff/_queue_live.html", **_live_context())
    return response, 200, {"Cache-Control": "no-store"}


@bp.route("/workload")
@access("coordinator", "admin")
def workload_view():
    """Show each staff member's patients, open alerts and overdue patients."""
    session = get_session()
    now = utcnow()
    rows = workload(session, current_user, now=now)
    escalated = escalated_alerts(session, current_user, now=now)
    unassigned = unassigned_count(session, current_user)
    waiting = unassigned_patients(session, current_user)
    session.commit()
    return render_template(
        "staff/workload.html", rows=rows, escalated=escalated, unassigned=unassigned, now=now,
        ward_name=areas.ward_name, waiting=waiting, form=CsrfForm(),
        assignees=[w for w in rows if w.user.role in ASSIGNABLE_ROLES],
        chosen=set(), target="auto", error=None,
    )


@bp.route("/workload/assign", methods=("POST",))
@access("coordinator", "admin")
def bulk_assign_view():
    """Assign the selected unassigned patients to one person, or automatically by ward."""
    session = get_session()
    now = utcnow()
    form = CsrfForm()
    chosen = [int(v) for v in request.form.getlist("patient") if v.isdigit()]
    if request.form.get("all") == "1":  # "select every patient listed", also without JavaScript
        chosen = [p.id for p in unassigned_patients(session, current_user)]
    target = request.form.get("to", "auto")
    error = None
    to = None
    if not form.validate():
        error = _("The form has expired. Please try again.")
    elif not chosen:
        error = _("Select at least one patient.")
    elif target != "auto":
        to = session.get(User, int(target)) if target.isdigit() else None
        if to is None:
            error = _("Choose a staff member, or automatic assignment by ward.")
    if error is None:
        try:
            result = bulk_assign(session, chosen, to=to, by=current_user, now=now)
        except (NotAllowed, BadAssignee):
            session.rollback()
            error = _("Choose a staff member, or automatic assignment by ward.")
        else:
            session.commit()
            parts = [ngettext("%(num)s patient assigned", "%(num)s patients assigned", result.total)]
            parts += [_("%(name)s: %(n)s", name=result.names[uid], n=n) for uid, n in result.assigned.items()]
            if result.left_at_cap:
                parts.append(ngettext("%(num)s left unassigned: the staff are at their cap",
                                      "%(num)s left unassigned: the staff are at their cap", result.left_at_cap))
            if result.left_no_staff:
                parts.append(ngettext("%(num)s left unassigned: nobody available covers their ward",
                                      "%(num)s left unassigned: nobody available covers their ward",
                                      result.left_no_staff))
            if result.skipped:
                parts.append(ngettext("%(num)s skipped (already assigned or no longer active)",
                                      "%(num)s skipped (already assigned or no longer active)", result.skipped))
            flash("; ".join(parts) + ".", "success" if result.total else "warning")
            return redirect(url_for("staff.workload_view"))
    rows = workload(session, current_user, now=now)
    page = render_template(
        "staff/workload.html", rows=rows, escalated=escalated_alerts(session, current_user, now=now),
        unassigned=unassigned_count(session, current_user), now=now, ward_name=areas.ward_name,
        waiting=unassigned_patients(session, current_user), form=form,
        assignees=[w for w in rows if w.user.role in ASSIGNABLE_ROLES],
        chosen=set(chosen), target=target, error=error,
    )
    session.commit()
    return page, 422
