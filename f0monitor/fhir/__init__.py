"""The FHIR R4 feed at /fhir for national and hospital systems (api.md, FHIR R4).

Read-only, ``application/fhir+json``, for bearer tokens (POST /api/v1/tokens) of the roles
``integration`` (a service account of one province) and ``admin``; every read is audited on
the patient's record. ``resources`` turns rows into resources, ``search`` reads FHIR search
parameters and builds Bundles, ``queries`` selects the rows of the caller's area, ``views``
has the routes and ``export`` the Bulk Data ``$export``.

Layer: an edge, like ``web`` and ``api``: it may import domain, data, services and http, and
commits. Neither web nor api imports it, and it imports neither (the ``fhir`` import-linter
contract).
"""

from __future__ import annotations

from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("fhir", __name__, url_prefix="/fhir")
# Bearer tokens only (the session loader ignores /fhir), and no route writes patient data.
csrf.exempt(bp)

FHIR_ROLES = ("integration", "admin")

from . import export, views  # noqa: E402,F401
