"""Facilities and their beds by type (api.md, Facilities and transfers).

Staff of an area read the facilities of their province; coordinators (and admins) update the
beds with the version they read, and a stale version is a 409 carrying the current figures.
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ..data.models import Facility
from ..data.session import get_session
from ..domain.clock import utcnow
from ..domain.states import BedType
from ..http.access import STAFF, access
from ..http.errors import api_error
from ..http.labels import field_message
from ..services.transfers import (
    BedsInput,
    FacilityChanged,
    TransferInvalid,
    facilities_for,
    update_beds,
)
from . import bp, documented, load_body, page_args
from .schemas import FacilityConflictOut, FacilityListArgs, FacilityOut, FacilityPatchIn, iso_z

BEDS_ROLES = ("coordinator", "admin")


def facility_dict(facility: Facility) -> dict[str, Any]:
    """Return a facility in the API's shape (bed types it does not have are absent)."""
    return {
        "id": facility.id,
        "name": facility.name,
        "province_code": str(facility.province_code),
        "ward_code": str(facility.ward_code) if facility.ward_code is not None else None,
        "phone": facility.phone,
        "beds": {kind: {"capacity": c, "free": f} for kind, (c, f) in facility.beds().items()},
        "updated_at": iso_z(facility.updated_at),
        "version": facility.version,
    }


def _province_asked() -> int | None:
    """Return the province to list: the caller's own, or any for an admin of the country."""
    data = FacilityListArgs().load(request.args)
    asked = data.get("province")
    own = current_user.province_code
    if own is None:  # an admin of every province
        return asked
    if asked is not None and asked != own:
        abort(404)  # another province's facilities are not this caller's to see
    return own


@bp.route("/facilities", methods=("GET",))
@access(*STAFF)
@documented(response=FacilityOut, paginated=True, query=FacilityListArgs, errors=(404,),
            provides={"facility_id": "/items/0/id"})
def list_facilities():
    """Return the facilities of the caller's province with their beds by type."""
    page, per_page = page_args()
    rows = facilities_for(get_session(), _province_asked())
    start = (page - 1) * per_page
    return jsonify({
        "items": [facility_dict(f) for f in rows[start:start + per_page]],
        "page": page, "per_page": per_page, "total": len(rows),
    })


@bp.route("/facilities/<int:facility_id>", methods=("PATCH",))
@access(*BEDS_ROLES)
@documented(FacilityPatchIn, FacilityOut, errors=(409,), error_schemas={409: FacilityConflictOut})
def patch_facility(facility_id: int):
    """Update a facility's beds by type, with the version read (a stale one: 409).

    A bed type absent from `beds` keeps its figures; `null` removes a type the facility no
    longer has (general beds stay).
    """
    session = get_session()
    facility = session.get(Facility, facility_id)
    own = current_user.province_code
    if facility is None or (own is not None and facility.province_code != own):
        abort(404)
    data = load_body(FacilityPatchIn())
    beds = {
        kind: (None if figures is None else (figures["capacity"], figures["free"]))
        for kind, figures in data["beds"].items()
    }
    try:
        update_beds(session, facility, BedsInput(beds), expected_version=data["version"],
                    by=current_user, now=utcnow())
        session.commit()
    except TransferInvalid as exc:
        session.rollback()
        kind, _sep, part = exc.field.rpartition("_")
        name = f"beds.{kind}.{part}" if kind in set(map(str, BedType)) else exc.field
        return api_error(422, _("Some fields are not valid."),
                         fields={name: [field_message(exc.field, exc.message)]})
    except FacilityChanged:
        session.rollback()
        fresh = session.get(Facility, facility_id, populate_existing=True)
        response, status = api_error(
            409, _("Someone else changed the beds of %(name)s. Check the current figures and send again.",
                   name=fresh.name),
            code="conflict",
        )
        body = response.get_json()
        body["facility"] = facility_dict(fresh)
        return jsonify(body), status
    return jsonify(facility_dict(facility))
