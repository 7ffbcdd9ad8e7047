"""Admin pages: staff accounts (create, deactivate) and a patient's audit trail."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ...data.models import AuditEvent, User
from ...data.session import get_session
from ...domain.clock import utcnow
from ...http.access import access
from ...http.auth import record_security
from ...http.labels import ROLE_LABELS, audit_action_label, render_fields, role_label
from ...services import NotAllowed, PhoneTaken, areas, mfa
from ...services.staff_users import (
    BadStaff,
    StaffInput,
    create_staff,
    deactivate,
    reactivate,
    staff_in_area,
)
from ...services.transfers import facilities_for
from ..common.forms import choices
from . import audit_patient, bp, scoped_patient
from .forms import StaffUserForm

AUDIT_PAGE = 200


def _managed_user(user_id: int) -> User:
    """Return an account the current admin manages.

    :raise 404: when there is none, it is a patient's, or it lies in another province.
    """
    user = get_session().get(User, user_id)
    if (
        user is None
        or user.role == "patient"
        or (current_user.province_code is not None and user.province_code != current_user.province_code)
    ):
        abort(404)
    return user


def _render_users(form: StaffUserForm, status: int = 200):
    users = staff_in_area(get_session(), current_user)
    form.facility_id.choices = choices([("", "—")] + [
        (str(f.id), f.name) for f in facilities_for(get_session(), form.province() or current_user.province_code)
    ])
    return (
        render_template(
            "staff/admin_users.html", form=form, users=users, role_labels=ROLE_LABELS,
            province_name=areas.province_name, ward_name=areas.ward_name,
        ),
        status,
    )


@bp.route("/admin/users", methods=("GET", "POST"))
@access("admin")
def admin_users():
    """List the staff accounts of the admin's province and create new ones."""
    form = StaffUserForm(province_code=current_user.province_code)
    if request.method == "GET":
        return _render_users(form)
    if not form.validate():
        return _render_users(form, 422)
    data = StaffInput(
        role=form.role.data,
        phone=form._phone,
        full_name=form.full_name.data or "",
        province_code=form.province(),
        ward_codes=tuple(form._wards),
        password=form.password.data or "",
        max_patients=form._max,
        facility_id=form.facility_choice() if form.role.data == "facility" else None,
    )
    session = get_session()
    try:
        user = create_staff(session, data, now=utcnow())
        session.commit()
    except BadStaff as exc:
        session.rollback()
        for name, messages in render_fields(exc.params.get("fields") or {}).items():
            form[name].errors = [*form[name].errors, *messages]
        return _render_users(form, 422)
    except PhoneTaken:
        session.rollback()
        form.phone.errors = [_("An account with this phone number already exists.")]
        return _render_users(form, 422)
    flash(_("Account created for %(name)s.", name=user.full_name), "success")
    return redirect(url_for("staff.admin_users"), 303)


@bp.route("/admin/users/<int:user_id>/deactivate", methods=("POST",))
@access("admin")
def admin_deactivate(user_id: int):
    """Close a staff account: its sessions and tokens stop working at once."""
    user = _managed_user(user_id)
    session = get_session()
    try:
        deactivate(session, user, by=current_user, now=utcnow())
    except NotAllowed:
        flash(_("You cannot deactivate your own account."), "danger")
        return redirect(url_for("staff.admin_users"), 303)
    session.commit()
    flash(_("Account of %(name)s deactivated.", name=user.full_name), "success")
    return redirect(url_for("staff.admin_users"), 303)


@bp.route("/admin/users/<int:user_id>/reactivate", methods=("POST",))
@access("admin")
def admin_reactivate(user_id: int):
    """Open a closed staff account again."""
    user = _managed_user(user_id)
    session = get_session()
    reactivate(session, user, now=utcnow())
    session.commit()
    flash(_("Account of %(name)s reactivated.", name=user.full_name), "success")
    return redirect(url_for("staff.admin_users"), 303)


@bp.route("/admin/users/<int:user_id>/mfa-reset", methods=("POST",))
@access("admin")
def admin_mfa_reset(user_id: int):
    """Remove a staff member's lost second factor: their sessions and tokens end, and they set
    up a new authenticator at their next login. Audited."""
    user = _managed_user(user_id)
    session = get_session()
    if user.id == current_user.id:
        flash(_("Use your own security page to change your authenticator."), "danger")
        return redirect(url_for("staff.admin_users"), 303)
    if mfa.is_enrolled(user):
        mfa.reset(session, user, now=utcnow())
        record_security(user, "mfa_reset", by=current_user)
        session.commit()
        flash(_("The second factor of %(name)s was reset: they set up a new one at their next login.",
                name=user.full_name), "success")
    return redirect(url_for("staff.admin_users"), 303)


@bp.route("/admin/patients/<int:patient_id>/audit")
@access("admin")
def admin_audit(patient_id: int):
    """Show who read or changed a patient's record, what, when and from where."""
    session = get_session()
    found = scoped_patient(session, patient_id)
    events = list(
        session.scalars(
            sa.select(AuditEvent)
            .options(joinedload(AuditEvent.user))
            .where(AuditEvent.patient_id == found.id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(AUDIT_PAGE)
        )
    )
    audit_patient(session, found, "audit_view")
    session.commit()
    return render_template("staff/admin_audit.html", patient=found, events=events, limit=AUDIT_PAGE,
                           audit_action_label=audit_action_label, role_label=role_label)
