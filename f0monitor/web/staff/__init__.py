"""Pages for staff (volunteers, doctors, coordinators, admins): the workspace.

The blueprint lives here; its pages are in ``queue`` (triage queue, live fragment, workload),
``patient`` (the staff view of one patient and its actions, registration for a caller),
``profile`` (correcting a risk profile), ``transfers`` (emergency transfers, facility beds),
``discharge`` (end of home treatment, certificate), ``consults`` (hotline questions) and
``calls`` (call rounds, the call screen, the follow-up channel), ``exports`` (the
coordinators' line lists, streamed) and
``admin`` (accounts, audit trail), all on the one ``staff`` blueprint; ``forms`` holds the
workspace's forms.

May import: what ``web`` may (Flask, domain, data, services, http, web.common); never api
or cli.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort
from flask_login import current_user
from sqlalchemy.orm import Session

from ...data.models import Patient
from ...http.audit import audit_patient
from ...services.scope import OutOfScope, get_patient_in_scope

__all__ = ["audit_patient", "bp", "scoped_patient"]  # the pages of this package import these

bp = Blueprint("staff", __name__, url_prefix="/staff")


def scoped_patient(session: Session, patient_id: int) -> Patient:
    """Return a patient of the current user's area.

    :raise 404: when there is none, or it lies outside the area.
    """
    try:
        return get_patient_in_scope(session, current_user, patient_id)
    except OutOfScope:
        abort(404)


# The modules add their routes to bp.
from . import admin, consults, discharge, exports, outbox, profile, queue, transfers  # noqa: E402,F401
from . import calls as call_pages  # noqa: E402,F401  (call rounds, follow-up channel)
from . import patient as patient_pages  # noqa: E402,F401  (not to shadow `patient` arguments)


def init_app(app: Flask) -> None:
    """Add the template filters the workspace uses (the blueprint is registered by the factory)."""
    from ...services.phones import display_phone

    app.jinja_env.filters.setdefault("phone", display_phone)
