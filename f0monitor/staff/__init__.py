"""Pages for staff (volunteers, doctors, coordinators, admins) and the health department."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from ..access import STAFF, access

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/")
@access(*STAFF)
def index():
    """The staff workspace."""
    return render_template("staff/index.html")


def init_app(app: Flask) -> None:
    """Nothing to bind yet."""
