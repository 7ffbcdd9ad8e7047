"""POST /api/v1/patients: self-registration, or registration by staff."""

from __future__ import annotations

from flask import current_app, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..data.models import STAFF_ROLES
from ..data.session import get_session
from ..domain.clock import utcnow
from ..extensions import limiter
from ..http.access import PUBLIC, access
from ..http.errors import api_error
from ..services import PhoneTaken
from ..services.patients import register_patient
from . import bp, documented, load_body
from .schemas import PatientOut, RegistrationIn


@bp.route("/patients", methods=("POST",))
@access(PUBLIC)
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT"], exempt_when=lambda: current_user.is_authenticated)
@documented(RegistrationIn, PatientOut, status=201, errors=(403, 409, 429),
            provides={"patient_id": "/id"}, token_optional=True)
def create_patient():
    """Register a patient: without a token, oneself (with a password); with a staff token, a caller."""
    by_staff = current_user.is_authenticated and current_user.role in STAFF_ROLES
    if current_user.is_authenticated and not by_staff:
        return api_error(403, _("You are not allowed to do this."))
    schema = RegistrationIn()
    schema.need_password = not by_staff
    data = load_body(schema)
    session = get_session()
    try:
        patient = register_patient(
            session, data, now=utcnow(), registered_by=current_user if by_staff else None
        )
        session.commit()
    except (PhoneTaken, IntegrityError):
        session.rollback()
        return api_error(
            409,
            _("This phone number is already registered."),
            code="phone_taken",
            fields={"phone": [_("already registered")]},
        )
    return jsonify(PatientOut().dump(patient)), 201
